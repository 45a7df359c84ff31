// TransformerBenchmark: measures training throughput (forward + backward tokens per second) of
// the transformer on random bytes, for the benchmark notes in docs/ and bench/.

import Base
import Foundation
@testable import Models
import Numerics

/// One throughput measurement.
public struct BenchmarkResult: Sendable, CustomStringConvertible {
    public let config: ModelConfig
    public let batchSize: Int
    public let sequenceLength: Int
    public let iterations: Int
    /// Mean seconds of one forward pass (with loss).
    public let forwardSeconds: Double
    /// Mean seconds of one backward pass.
    public let backwardSeconds: Double
    /// batchSize * sequenceLength / (forwardSeconds + backwardSeconds).
    public var tokensPerSecond: Double { Double(batchSize * sequenceLength) / (forwardSeconds + backwardSeconds) }

    public var description: String {
        let ms = { (s: Double) in String(format: "%.1f", s * 1e3) }
        return "\(config.family.rawValue) d=\(config.dModel) L=\(config.nLayers) H=\(config.nHeads) F=\(config.dFF) "
            + "B=\(batchSize) T=\(sequenceLength): forward \(ms(forwardSeconds)) ms, backward \(ms(backwardSeconds)) ms, "
            + "\(Int(tokensPerSecond.rounded())) tokens/s"
    }
}

/// Forward + backward throughput measurement.
public enum TransformerBenchmark {
    /// The size the project quotes numbers for: dModel 256, 4 layers, 4 heads, dFF 1024, context 128.
    public static func standardConfig(_ family: ModelFamily) -> ModelConfig {
        ModelConfig(family: family, maxSeq: 128, dModel: 256, nLayers: 4, nHeads: 4, dFF: 1024)
    }

    /// Runs `warmup` untimed and then `iterations` timed forward+backward passes on seeded
    /// random bytes with the loss on every position, and returns the mean times.
    public static func run(config: ModelConfig, batchSize: Int, sequenceLength: Int,
                           iterations: Int, warmup: Int = 1, seed: UInt64 = 0) throws -> BenchmarkResult {
        guard iterations > 0 else {
            throw ModelError.invalidConfig(field: "iterations", value: iterations, reason: "must be positive")
        }
        let model = try Transformer(config: config, seed: seed)
        var rng = SplitMix64(seed: seed &+ 1)
        let tokens = (0..<(batchSize * sequenceLength)).map { _ in Int(rng.next() % UInt64(config.vocabSize)) }
        let targets = (0..<tokens.count).map { _ in Int(rng.next() % UInt64(config.vocabSize)) }
        let clock = ContinuousClock()
        var forward = Duration.zero, backward = Duration.zero
        for i in 0..<(warmup + iterations) {
            model.zeroGradients()
            let t0 = clock.now
            try model.forward(tokens: tokens, batchSize: batchSize, targets: targets)
            let t1 = clock.now
            try model.backward()
            let t2 = clock.now
            if i >= warmup {
                forward += t1 - t0
                backward += t2 - t1
            }
        }
        func seconds(_ d: Duration) -> Double {
            Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        return BenchmarkResult(config: config, batchSize: batchSize, sequenceLength: sequenceLength,
                               iterations: iterations, forwardSeconds: seconds(forward) / Double(iterations),
                               backwardSeconds: seconds(backward) / Double(iterations))
    }
}
