// ModelFixtures: the tiny configurations and inputs the model tests share (d=16, 2 layers,
// 2 heads, T=8), with parameters perturbed away from the initialisation so that norm weights,
// biases and gradients are all non-trivial.

import Base
import Models

enum ModelFixtures {
    static let B = 2
    static let T = 8

    static func config(_ family: ModelFamily) -> ModelConfig {
        ModelConfig(family: family, vocabSize: 256, maxSeq: 8, dModel: 16, nLayers: 2, nHeads: 2, dFF: 32)
    }

    /// A tiny model whose parameters are the seeded initialisation plus uniform noise in [-0.2, 0.2).
    static func model(_ family: ModelFamily, seed: UInt64 = 7) throws -> Transformer {
        let cfg = config(family)
        let layout = try ParameterLayout(config: cfg)
        let noise = GradientCheck.random(layout.count, seed: seed &+ 1000, scale: 0.2)
        let params = zip(layout.initialParameters(seed: seed), noise).map(+)
        return try Transformer(config: cfg, parameters: params)
    }

    /// [B, T] byte tokens.
    static func tokens(seed: UInt64 = 3) -> [Int] {
        var rng = SplitMix64(seed: seed)
        return (0..<(B * T)).map { _ in Int(rng.next() % 256) }
    }

    /// Next-token targets (the token sequence shifted by one, last one arbitrary).
    static func targets(_ tokens: [Int]) -> [Int] {
        (0..<tokens.count).map { i in (i + 1) % T == 0 ? 65 : tokens[i + 1] }
    }

    /// A loss mask with zeros, ones and a half weight.
    static func mask() -> [Float] {
        (0..<(B * T)).map { i in i % 3 == 0 ? 0 : (i % 5 == 0 ? 0.5 : 1) }
    }

    /// The weighted mean loss computed by the Double reference, sequence by sequence.
    static func referenceLoss(config: ModelConfig, parameters: [Float], lora: LoRAAdapters? = nil,
                              tokens: [Int], targets: [Int], mask: [Float]) throws -> Double {
        var logits: [[Double]] = []
        for b in 0..<B {
            let seq = Array(tokens[b * T ..< (b + 1) * T])
            logits += try ReferenceTransformer.run(config: config, parameters: parameters, lora: lora, tokens: seq).logits
        }
        return ReferenceTransformer.loss(logits: logits, targets: targets, weights: mask)
    }

    /// Coordinates to check: `perTensor` seeded random ones in every tensor, plus the `top`
    /// coordinates with the largest analytic gradient.
    static func coordinates(_ tensors: TensorLayout, gradient: [Float], perTensor: Int, top: Int, seed: UInt64) -> [Int] {
        var rng = SplitMix64(seed: seed)
        var picked = Set<Int>()
        for s in tensors.slices {
            for _ in 0..<perTensor { picked.insert(s.offset + Int(rng.next() % UInt64(s.count))) }
        }
        let largest = gradient.indices.sorted { abs(gradient[$0]) > abs(gradient[$1]) }.prefix(top)
        picked.formUnion(largest)
        return picked.sorted()
    }
}
