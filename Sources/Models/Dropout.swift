// Dropout: inverted dropout on each block's two residual branches (attention output and MLP
// output) during training. Each mask is drawn from a generator seeded by (seed, site), so the
// backward pass draws it again instead of storing it.

/// Residual dropout for one training forward/backward pass: every element of a block's attention
/// output and MLP output is zeroed with probability `rate` and the rest scaled by 1 / (1 - rate),
/// before the residual addition (GPT-2's `resid_pdrop`). Evaluation and extraction pass none.
public struct Dropout: Sendable, Equatable {
    /// Probability of zeroing an element, in [0, 1).
    public var rate: Float
    /// Seed of this pass's masks (the trainer derives one per step).
    public var seed: UInt64

    public init(rate: Float, seed: UInt64) {
        self.rate = rate
        self.seed = seed
    }

    /// Mask site of layer `layer`'s attention branch (`mlp` false) or MLP branch (`mlp` true).
    public static func site(layer: Int, mlp: Bool) -> Int { 2 * layer + (mlp ? 1 : 0) }

    /// The multipliers of `site` for `count` elements: 0 (dropped) or 1 / (1 - rate) (kept).
    /// Element i is the i-th draw of a SplitMix64 stream seeded by (seed, site).
    public func mask(site: Int, count: Int) -> [Float] {
        var rng = ModelRNG(seed: seed ^ (UInt64(site + 1) &* 0xD1B5_4A32_D192_ED03))
        let threshold = UInt64(Double(rate) * 9_007_199_254_740_992.0)   // rate x 2^53
        let scale = 1 / (1 - rate)
        return (0..<count).map { _ in (rng.next() >> 11) < threshold ? 0 : scale }
    }

    /// x[count] *= mask(site): the forward pass on a branch output.
    func forward(_ x: UnsafeMutablePointer<Float>, site: Int, count: Int) {
        let m = mask(site: site, count: count)
        for i in 0..<count { x[i] *= m[i] }
    }

    /// dx[count] *= mask(site): the gradient, through the same multipliers.
    func backward(_ dx: UnsafeMutablePointer<Float>, site: Int, count: Int) {
        forward(dx, site: site, count: count)
    }
}
