// FlowTrainer: maximum-likelihood training of a NormalizingFlow with AdamW on seeded shuffled
// mini-batches, keeping the parameters with the best validation NLL seen after each epoch.
import Base
import Numerics

/// Trains normalising flows.
public struct FlowTrainer {
    /// Training options.
    public struct Options: Codable, Equatable {
        /// Passes over the training rows.
        public var epochs: Int
        /// Rows per AdamW step.
        public var batchSize: Int
        /// AdamW step size.
        public var learningRate: Double
        /// AdamW decoupled weight decay.
        public var weightDecay: Double
        /// Seed for initialisation and shuffling.
        public var seed: UInt64
        /// Creates options.
        public init(epochs: Int = 20, batchSize: Int = 64, learningRate: Double = 1e-3, weightDecay: Double = 0, seed: UInt64 = 0) {
            self.epochs = epochs; self.batchSize = batchSize; self.learningRate = learningRate
            self.weightDecay = weightDecay; self.seed = seed
        }
    }

    /// What training produced.
    public struct Result {
        /// The flow with the best validation NLL.
        public let flow: NormalizingFlow
        /// Validation NLL before training and after each epoch.
        public let validationNLL: [Double]
        /// Epoch (0 = before training) whose parameters were kept.
        public let bestEpoch: Int
    }

    /// Options in use.
    public let options: Options

    /// Creates a trainer.
    public init(options: Options) { self.options = options }

    /// Fits a flow of `config` to `train` (row-major), selecting on `validation` (the training
    /// rows when empty). `progress` is called after each epoch with (epoch, validation NLL).
    public func train(config: FlowConfig, train: [Double], validation: [Double],
                      progress: (Int, Double) throws -> Void = { _, _ in }) throws -> Result {
        try config.validate()
        let d = config.dimension
        guard train.count % d == 0, validation.count % d == 0 else {
            throw DetectorError.dimensionMismatch(what: "flow training rows", expected: d, actual: train.count % d)
        }
        let n = train.count / d
        guard n >= 2 else { throw DetectorError.tooFewSamples(what: "flow training", needed: 2, actual: n) }
        guard options.epochs >= 0, options.batchSize >= 1 else {
            throw DetectorError.invalidParameter(name: "epochs/batchSize", value: "\(options.epochs)/\(options.batchSize)", reason: "epochs >= 0 and batchSize >= 1")
        }
        for (i, v) in train.enumerated() where !v.isFinite { throw DetectorError.nonFinite(what: "flow training rows", index: i) }
        let valRows = validation.isEmpty ? train : validation
        var flow = try NormalizingFlow(config: config, seed: options.seed)
        flow.initializeActNorm(Array(train.prefix(min(n, 2048) * d)))
        let adam = AdamW(learningRate: Float(options.learningRate), weightDecay: Float(options.weightDecay))
        var m = [Float](repeating: 0, count: flow.parameters.count), v = m
        var rng = SplitMix64(seed: options.seed ^ 0x9E37_79B9_7F4A_7C15)
        var order = Array(0..<n)
        var best = flow, bestNLL = flow.meanNLL(valRows), bestEpoch = 0
        var history = [bestNLL]
        var t = 0
        for epoch in 1...max(options.epochs, 1) where options.epochs > 0 {
            for i in stride(from: n - 1, to: 0, by: -1) { order.swapAt(i, rng.nextInt(below: i + 1)) }
            var start = 0
            while start < n {
                let idx = order[start..<min(start + options.batchSize, n)]
                var batch = [Double](); batch.reserveCapacity(idx.count * d)
                for r in idx { batch.append(contentsOf: train[(r * d)..<((r + 1) * d)]) }
                let grad = flow.nllAndGradient(batch).gradient.map { Float($0) }
                t += 1
                grad.withUnsafeBufferPointer { g in
                    adam.step(params: &flow.parameters, grads: g.baseAddress!, m: &m, v: &v, count: g.count, t: t)
                }
                start += options.batchSize
            }
            let nll = flow.meanNLL(valRows)
            history.append(nll)
            if nll < bestNLL { bestNLL = nll; best = flow; bestEpoch = epoch }
            try progress(epoch, nll)
        }
        return Result(flow: best, validationNLL: history, bestEpoch: bestEpoch)
    }
}
