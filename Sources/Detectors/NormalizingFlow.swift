// NormalizingFlow: a RealNVP-style flow of blocks (data-initialised ActNorm, affine coupling
// with a tanh MLP conditioner and tanh-bounded log-scales, fixed reversal permutation) onto a
// Laplace(0,1) prior per dimension. Parameters are Float (trained with AdamW); all arithmetic
// is done in Double. Forward, inverse, log-density and the exact NLL gradient are here.
import Base
import Foundation
import Numerics

/// A normalising flow z = f(h) with log p(h) = sum_i log Laplace(z_i) + log|det df/dh|.
public struct NormalizingFlow: Equatable {
    /// Architecture.
    public let config: FlowConfig
    /// All parameters, laid out block by block (see `FlowConfig.parameterGroups`).
    public var parameters: [Float]

    /// log 2, the per-dimension normaliser of the Laplace(0,1) density.
    static let log2 = Foundation.log(2.0)

    /// A flow with ActNorm at identity, conditioner input weights drawn from N(0, 1/d1) with
    /// `seed`, and zero output weights (so the untrained coupling layers are the identity).
    public init(config: FlowConfig, seed: UInt64) throws {
        try config.validate()
        self.config = config
        var params = [Float](repeating: 0, count: config.parameterCount)
        var rng = SplitMix64(seed: seed)
        let scale = 1 / Double(max(config.d1, 1)).squareRoot()
        for l in 0..<config.layers {
            let b = config.block(l)
            for i in b.w1..<b.b1 { params[i] = Float(rng.nextGaussian() * scale) }
        }
        parameters = params
    }

    /// A flow with the given parameters (count must match the config).
    public init(config: FlowConfig, parameters: [Float]) throws {
        try config.validate()
        guard parameters.count == config.parameterCount else {
            throw DetectorError.dimensionMismatch(what: "flow parameters", expected: config.parameterCount, actual: parameters.count)
        }
        self.config = config; self.parameters = parameters
    }

    /// Per-block intermediate values of one sample, kept for the backward pass.
    struct BlockCache {
        var input: [Double]      // block input x
        var normed: [Double]     // ActNorm output a
        var hidden: [Double]     // tanh(W1 u + b1)
        var rawScale: [Double]   // conditioner log-scale outputs before bounding
        var scale: [Double]      // bounded log-scales s
    }

    /// Maps one row h to z and returns log|det df/dh|; fills `caches` when given.
    func forward(_ x: [Double], params p: [Double], caches: inout [BlockCache]?) -> (z: [Double], logDet: Double) {
        let c = config, d = c.dimension, d1 = c.d1, d2 = c.d2, hN = c.hidden, bound = c.scaleBound
        var cur = x, logDet = 0.0
        for l in 0..<c.layers {
            let b = c.block(l)
            var a = [Double](repeating: 0, count: d)
            for i in 0..<d { a[i] = (cur[i] - p[b.bias + i]) * Foundation.exp(p[b.logScale + i]); logDet += p[b.logScale + i] }
            var hid = [Double](repeating: 0, count: hN)
            for j in 0..<hN {
                var acc = p[b.b1 + j]
                for i in 0..<d1 { acc += p[b.w1 + j * d1 + i] * a[i] }
                hid[j] = Foundation.tanh(acc)
            }
            var raw = [Double](repeating: 0, count: d2), s = [Double](repeating: 0, count: d2)
            var y = a
            for k in 0..<d2 {
                var rs = p[b.b2 + k], t = p[b.b2 + d2 + k]
                for j in 0..<hN { rs += p[b.w2 + k * hN + j] * hid[j]; t += p[b.w2 + (d2 + k) * hN + j] * hid[j] }
                raw[k] = rs
                s[k] = bound * Foundation.tanh(rs / bound)
                y[d1 + k] = a[d1 + k] * Foundation.exp(s[k]) + t
                logDet += s[k]
            }
            caches?.append(BlockCache(input: cur, normed: a, hidden: hid, rawScale: raw, scale: s))
            cur = Array(y.reversed())
        }
        return (cur, logDet)
    }

    /// The parameters widened to Double.
    var doubleParameters: [Double] { parameters.map(Double.init) }

    /// z = f(h) for one row.
    public func forward(_ x: [Double]) -> [Double] {
        var none: [BlockCache]? = nil
        return forward(x, params: doubleParameters, caches: &none).z
    }

    /// h = f^-1(z) for one row.
    public func inverse(_ z: [Double]) -> [Double] {
        let c = config, d = c.dimension, d1 = c.d1, d2 = c.d2, hN = c.hidden, bound = c.scaleBound
        let p = doubleParameters
        var cur = z
        for l in stride(from: c.layers - 1, through: 0, by: -1) {
            let b = c.block(l)
            let y = Array(cur.reversed())
            var a = y
            var hid = [Double](repeating: 0, count: hN)
            for j in 0..<hN {
                var acc = p[b.b1 + j]
                for i in 0..<d1 { acc += p[b.w1 + j * d1 + i] * y[i] }
                hid[j] = Foundation.tanh(acc)
            }
            for k in 0..<d2 {
                var rs = p[b.b2 + k], t = p[b.b2 + d2 + k]
                for j in 0..<hN { rs += p[b.w2 + k * hN + j] * hid[j]; t += p[b.w2 + (d2 + k) * hN + j] * hid[j] }
                let s = bound * Foundation.tanh(rs / bound)
                a[d1 + k] = (y[d1 + k] - t) * Foundation.exp(-s)
            }
            var x = [Double](repeating: 0, count: d)
            for i in 0..<d { x[i] = a[i] * Foundation.exp(-p[b.logScale + i]) + p[b.bias + i] }
            cur = x
        }
        return cur
    }

    /// log p(h) for one row.
    public func logDensity(_ x: [Double]) -> Double {
        var none: [BlockCache]? = nil
        let (z, logDet) = forward(x, params: doubleParameters, caches: &none)
        return -z.reduce(0) { $0 + abs($1) } - Double(config.dimension) * Self.log2 + logDet
    }

    /// Mean negative log-likelihood of `rows` (row-major, `dimension` columns) and its gradient
    /// with respect to `parameters` (Double, same layout).
    public func nllAndGradient(_ rows: [Double]) -> (nll: Double, gradient: [Double]) {
        let c = config, d = c.dimension, d1 = c.d1, d2 = c.d2, hN = c.hidden, bound = c.scaleBound
        let p = doubleParameters
        let n = rows.count / d
        var g = [Double](repeating: 0, count: p.count)
        var total = 0.0
        for r in 0..<n {
            var caches: [BlockCache]? = []
            caches!.reserveCapacity(c.layers)
            let (z, logDet) = forward(Array(rows[(r * d)..<((r + 1) * d)]), params: p, caches: &caches)
            total += z.reduce(0) { $0 + abs($1) } + Double(d) * Self.log2 - logDet
            var gout = z.map { $0 > 0 ? 1.0 : ($0 < 0 ? -1.0 : 0.0) }
            for l in stride(from: c.layers - 1, through: 0, by: -1) {
                let b = c.block(l), cache = caches![l]
                var gy = Array(gout.reversed())
                // Coupling: y2 = a2 * exp(s) + t, loss also has -sum s.
                var go = [Double](repeating: 0, count: 2 * d2)
                for k in 0..<d2 {
                    let es = Foundation.exp(cache.scale[k]), a2 = cache.normed[d1 + k]
                    let gs = gy[d1 + k] * a2 * es - 1
                    let th = Foundation.tanh(cache.rawScale[k] / bound)
                    go[k] = gs * (1 - th * th)
                    go[d2 + k] = gy[d1 + k]
                    gy[d1 + k] *= es                       // now d/da2
                }
                var gh = [Double](repeating: 0, count: hN)
                for k in 0..<(2 * d2) {
                    g[b.b2 + k] += go[k]
                    for j in 0..<hN { g[b.w2 + k * hN + j] += go[k] * cache.hidden[j]; gh[j] += p[b.w2 + k * hN + j] * go[k] }
                }
                for j in 0..<hN {
                    let gpre = gh[j] * (1 - cache.hidden[j] * cache.hidden[j])
                    g[b.b1 + j] += gpre
                    for i in 0..<d1 { g[b.w1 + j * d1 + i] += gpre * cache.normed[i]; gy[i] += p[b.w1 + j * d1 + i] * gpre }
                }
                // ActNorm: a = (x - bias) * exp(ls), loss also has -sum ls.
                var gx = [Double](repeating: 0, count: d)
                for i in 0..<d {
                    let e = Foundation.exp(p[b.logScale + i])
                    gx[i] = gy[i] * e
                    g[b.bias + i] -= gy[i] * e
                    g[b.logScale + i] += gy[i] * cache.normed[i] - 1
                }
                gout = gx
            }
        }
        let inv = 1 / Double(max(n, 1))
        return (total * inv, g.map { $0 * inv })
    }

    /// Mean negative log-likelihood of `rows` (row-major).
    public func meanNLL(_ rows: [Double]) -> Double {
        let d = config.dimension, n = rows.count / d
        var total = 0.0
        for r in 0..<n { total -= logDensity(Array(rows[(r * d)..<((r + 1) * d)])) }
        return total / Double(max(n, 1))
    }

    /// Sets each block's ActNorm so that its input over `rows` has zero mean and unit variance
    /// (the standard data-dependent initialisation), passing the rows through block by block.
    public mutating func initializeActNorm(_ rows: [Double]) {
        let c = config, d = c.dimension, n = rows.count / d
        guard n > 0 else { return }
        var data = rows
        for l in 0..<c.layers {
            let b = c.block(l)
            for i in 0..<d {
                var mean = 0.0
                for r in 0..<n { mean += data[r * d + i] }
                mean /= Double(n)
                var v = 0.0
                for r in 0..<n { let e = data[r * d + i] - mean; v += e * e }
                let sd = (v / Double(n)).squareRoot()
                parameters[b.bias + i] = Float(mean)
                parameters[b.logScale + i] = Float(-Foundation.log(max(sd, 1e-6)))
            }
            // Push the data through block l with the new ActNorm.
            let single = try! NormalizingFlow(config: FlowConfig(dimension: d, layers: 1, hidden: c.hidden, scaleBound: c.scaleBound),
                                              parameters: Array(parameters[b.bias..<b.end]))
            for r in 0..<n {
                let z = single.forward(Array(data[(r * d)..<((r + 1) * d)]))
                for i in 0..<d { data[r * d + i] = z[i] }
            }
        }
    }
}
