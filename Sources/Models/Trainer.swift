// Trainer: the training loop shared by pre-training and fine-tuning: seeded per-epoch shuffles,
// AdamW (decoupled weight decay, beta2 0.95 by default) with a warmup + decay schedule,
// global-norm clipping, evaluation on a log-spaced schedule with early stopping, progress
// callbacks, and an atomically written resumable state (see TrainerState.swift).
//
// Determinism: the batch of step s depends only on (seed, s) (sample k of the stream is element
// k mod N of epoch k / N's permutation), so a run resumed from its state continues exactly as an
// uninterrupted run would, bit for bit, given the same BLAS thread count.

import Base
import Foundation
import Numerics

/// Hyper-parameters of a training run.
public struct TrainingOptions: Equatable, Sendable {
    /// Number of optimiser steps.
    public var steps: Int
    /// Sequences per step.
    public var batchSize: Int
    /// Peak learning rate.
    public var learningRate: Double
    /// Fraction of steps spent in linear warmup.
    public var warmupFraction: Double = 0.1
    /// Decay after warmup.
    public var decay: LearningRateDecay = .cosine
    /// Final learning rate as a fraction of the peak.
    public var minLearningRateFraction: Double = 0.1
    /// Decoupled weight decay (applied to every trainable tensor).
    public var weightDecay: Double = 0.1
    /// Adam moment decay rates.
    public var beta1: Double = 0.9, beta2: Double = 0.95
    /// Adam denominator guard.
    public var epsilon: Double = 1e-8
    /// Global gradient-norm limit (0 = no clipping).
    public var clipNorm: Double = 1.0
    /// Evaluate also at every multiple of this step (0 = powers of two and the end only).
    public var evalEvery: Int = 0
    /// Stop after this many consecutive evaluations without a new best validation loss
    /// (0 = never stop early).
    public var patience: Int = 0
    /// Seed of the data order.
    public var seed: UInt64 = 0
    /// Save the resumable state at least every this many steps (and after every evaluation).
    public var stateEvery: Int = 50

    public init(steps: Int, batchSize: Int, learningRate: Double) {
        self.steps = steps
        self.batchSize = batchSize
        self.learningRate = learningRate
    }

    /// The learning-rate schedule these options describe.
    public var schedule: LearningRateSchedule {
        LearningRateSchedule(peak: learningRate, totalSteps: steps, warmupFraction: warmupFraction,
                             decay: decay, minFraction: minLearningRateFraction)
    }

    /// A string that changes whenever an option that affects results changes (stored in the
    /// state so a stale state is never resumed).
    public var fingerprint: String {
        "steps=\(steps) batch=\(batchSize) lr=\(learningRate) warmup=\(warmupFraction) decay=\(decay.rawValue) "
            + "min=\(minLearningRateFraction) wd=\(weightDecay) b1=\(beta1) b2=\(beta2) eps=\(epsilon) "
            + "clip=\(clipNorm) every=\(evalEvery) patience=\(patience) seed=\(seed)"
    }
}

/// One evaluation: the validation loss after `step` optimiser steps.
public struct EvaluationRecord: Equatable, Sendable {
    public var step: Int
    /// Mean training loss of the steps since the previous evaluation.
    public var trainLoss: Double
    /// Mean masked validation loss.
    public var validationLoss: Double
    /// Learning rate of the step.
    public var learningRate: Double

    public init(step: Int, trainLoss: Double, validationLoss: Double, learningRate: Double) {
        self.step = step
        self.trainLoss = trainLoss
        self.validationLoss = validationLoss
        self.learningRate = learningRate
    }
}

/// A progress report after a step.
public struct TrainingProgress: Sendable {
    public var step: Int
    public var totalSteps: Int
    /// Loss of this step's batch.
    public var loss: Double
    /// Latest validation loss, if any evaluation has run.
    public var validationLoss: Double?
    /// Trained tokens (batch x length) per second over this process's steps.
    public var tokensPerSecond: Double
}

/// What a finished run did.
public struct TrainingResult: Sendable {
    /// Every evaluation, in step order (including those before a resume).
    public var history: [EvaluationRecord]
    /// The evaluation with the lowest validation loss.
    public var best: EvaluationRecord?
    /// Steps completed.
    public var stepsDone: Int
    /// True when early stopping ended the run before `options.steps`.
    public var stoppedEarly: Bool
    /// The step the run resumed from (0 for a fresh start).
    public var resumedFrom: Int
    /// Tokens per second over the steps this process ran.
    public var tokensPerSecond: Double
}

/// An error in the training inputs.
public enum TrainerError: Error, CustomStringConvertible, Equatable {
    case noExamples(which: String)
    case ragged(which: String, index: Int, length: Int, expected: Int)
    case invalidOption(name: String, reason: String)
    case nonFiniteLoss(step: Int)

    public var description: String {
        switch self {
        case let .noExamples(which): return "the \(which) set is empty"
        case let .ragged(which, index, length, expected):
            return "\(which) example \(index) has length \(length); every example must have length \(expected)"
        case let .invalidOption(name, reason): return "training option '\(name)' \(reason)"
        case let .nonFiniteLoss(step): return "the training loss became NaN or infinite at step \(step); lower the learning rate"
        }
    }
}

/// Runs the training loop on a model (its LoRA adapters when attached, else all parameters).
public final class Trainer {
    public let model: Transformer
    public let options: TrainingOptions
    public let train: [TrainingExample]
    public let validation: [TrainingExample]
    /// Where the resumable state is saved and looked for (nil = not resumable).
    public var statePath: String?
    /// Called after each evaluation with the model in its evaluated state (save a checkpoint here).
    public var onEvaluation: ((EvaluationRecord, Transformer) throws -> Void)?
    /// Called after every step.
    public var onProgress: ((TrainingProgress) -> Void)?
    /// Called before every step; throw to stop (e.g. on Ctrl-C).
    public var checkCancelled: (() throws -> Void)?
    /// Log lines (resume, evaluations, early stop).
    public var log: ((String) -> Void)?

    let length: Int
    private var permutationEpoch = -1
    private var permutation: [Int] = []

    public init(model: Transformer, options: TrainingOptions, train: [TrainingExample], validation: [TrainingExample]) throws {
        guard options.steps > 0 else { throw TrainerError.invalidOption(name: "steps", reason: "must be positive, got \(options.steps)") }
        guard options.batchSize > 0 else { throw TrainerError.invalidOption(name: "batch", reason: "must be positive, got \(options.batchSize)") }
        guard options.learningRate > 0 else { throw TrainerError.invalidOption(name: "lr", reason: "must be positive, got \(options.learningRate)") }
        guard (0...1).contains(options.warmupFraction) else {
            throw TrainerError.invalidOption(name: "warmup", reason: "must be in [0, 1], got \(options.warmupFraction)")
        }
        guard let first = train.first else { throw TrainerError.noExamples(which: "training") }
        guard !validation.isEmpty else { throw TrainerError.noExamples(which: "validation") }
        let T = first.tokens.count
        for (which, set) in [("training", train), ("validation", validation)] {
            for (i, e) in set.enumerated() where e.tokens.count != T || e.targets.count != T || e.mask.count != T {
                throw TrainerError.ragged(which: which, index: i, length: e.tokens.count, expected: T)
            }
        }
        self.model = model
        self.options = options
        self.train = train
        self.validation = validation
        self.length = T
    }

    /// Parameters the optimiser updates: the adapters when attached, else the base.
    var trainable: (params: FloatBuffer, grads: FloatBuffer) {
        if let lora = model.lora { return (lora.parameters, lora.gradients) }
        return (model.parameters, model.gradients)
    }

    /// Index into `train` of sample k of the shuffled stream.
    func sampleIndex(_ k: Int) -> Int {
        let n = train.count
        let epoch = k / n
        if epoch != permutationEpoch {
            var rng = SplitMix64(seed: options.seed ^ (0x5EED_0000_0000_0000 &+ UInt64(epoch) &* 0x9E37_79B9))
            permutation = Array(0..<n)
            rng.shuffle(&permutation)
            permutationEpoch = epoch
        }
        return permutation[k % n]
    }

    /// The flattened batch of step `step` (1-based).
    func batch(step: Int) -> (tokens: [Int], targets: [Int], mask: [Float]) {
        var tokens: [Int] = [], targets: [Int] = [], mask: [Float] = []
        let B = options.batchSize
        tokens.reserveCapacity(B * length); targets.reserveCapacity(B * length); mask.reserveCapacity(B * length)
        for b in 0..<B {
            let e = train[sampleIndex((step - 1) * B + b)]
            tokens += e.tokens; targets += e.targets; mask += e.mask
        }
        return (tokens, targets, mask)
    }

    /// Mean masked loss over the validation set (batches of `batchSize`, the last one padded
    /// with zero-weight rows so every forward pass has the same shape).
    public func validationLoss() throws -> Double {
        var total = 0.0, weight = 0.0
        let B = options.batchSize
        var start = 0
        while start < validation.count {
            var tokens: [Int] = [], targets: [Int] = [], mask: [Float] = []
            for b in 0..<B {
                let i = start + b
                let e = validation[min(i, validation.count - 1)]
                tokens += e.tokens; targets += e.targets
                mask += i < validation.count ? e.mask : [Float](repeating: 0, count: length)
            }
            let w = mask.reduce(0.0) { $0 + Double($1) }
            if w > 0 {
                try model.forward(tokens: tokens, batchSize: B, targets: targets, lossMask: mask)
                total += model.meanLoss * w
                weight += w
            }
            start += B
        }
        return weight > 0 ? total / weight : 0
    }

    /// Trains, resuming from `statePath` when a state written by the same options exists.
    public func run() throws -> TrainingResult {
        let (params, grads) = trainable
        let n = params.count
        var m = [Float](repeating: 0, count: n), v = [Float](repeating: 0, count: n)
        var state = TrainerState(fingerprint: options.fingerprint)
        if let statePath, let saved = try TrainerState.load(path: statePath, fingerprint: options.fingerprint, count: n) {
            try params.assign(saved.parameters)
            m = saved.m
            v = saved.v
            state = saved.state
            log?("resumed from step \(state.step) (state \(statePath))")
        }
        let resumedFrom = state.step
        let evalSteps = Set(EvaluationSchedule.steps(totalSteps: options.steps, every: options.evalEvery))
        let schedule = options.schedule
        var optimizer = AdamW(learningRate: 0, beta1: Float(options.beta1), beta2: Float(options.beta2),
                              epsilon: Float(options.epsilon), weightDecay: Float(options.weightDecay))
        let clock = ContinuousClock()
        let started = clock.now
        var tokensDone = 0
        var lastSaved = state.step
        func tokensPerSecond() -> Double {
            let d = started.duration(to: clock.now)
            let s = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
            return s > 0 ? Double(tokensDone) / s : 0
        }
        func save() throws {
            guard let statePath else { return }
            try TrainerState.save(path: statePath, state: state, parameters: params.array, m: m, v: v)
            lastSaved = state.step
        }

        while state.step < options.steps && !state.stoppedEarly {
            try checkCancelled?()
            let step = state.step + 1
            let (tokens, targets, mask) = batch(step: step)
            model.zeroGradients()
            let loss = Double(try model.forward(tokens: tokens, batchSize: options.batchSize, targets: targets, lossMask: mask))
            guard loss.isFinite else { throw TrainerError.nonFiniteLoss(step: step) }
            try model.backward()
            if options.clipNorm > 0 { GradientClipping.clip([grads.buffer], maxNorm: options.clipNorm) }
            let lr = schedule.rate(step: step)
            optimizer.learningRate = Float(lr)
            m.withUnsafeMutableBufferPointer { mp in
                v.withUnsafeMutableBufferPointer { vp in
                    optimizer.step(params: params.pointer, grads: grads.pointer, m: mp.baseAddress!, v: vp.baseAddress!, count: n, t: step)
                }
            }
            tokensDone += tokens.count
            state.step = step
            state.lossSum += loss
            state.lossCount += 1
            if evalSteps.contains(step) {
                let val = try validationLoss()
                let record = EvaluationRecord(step: step, trainLoss: state.lossSum / Double(max(state.lossCount, 1)),
                                              validationLoss: val, learningRate: lr)
                state.lossSum = 0
                state.lossCount = 0
                state.history.append(record)
                if state.bestLoss.map({ val < $0 }) ?? true {
                    state.bestLoss = val
                    state.bestStep = step
                    state.rises = 0
                } else {
                    state.rises += 1
                }
                log?(String(format: "step %d: train loss %.5f, val loss %.5f, lr %.3g", step, record.trainLoss, val, lr))
                try onEvaluation?(record, model)
                if options.patience > 0 && state.rises >= options.patience && step < options.steps {
                    state.stoppedEarly = true
                    log?("early stop at step \(step): no better validation loss in \(state.rises) evaluations (best at step \(state.bestStep))")
                }
                try save()
            } else if state.step - lastSaved >= options.stateEvery {
                try save()
            }
            onProgress?(TrainingProgress(step: step, totalSteps: options.steps, loss: loss,
                                         validationLoss: state.history.last?.validationLoss, tokensPerSecond: tokensPerSecond()))
        }
        let best = state.history.first { $0.step == state.bestStep }
        return TrainingResult(history: state.history, best: best, stepsDone: state.step, stoppedEarly: state.stoppedEarly,
                              resumedFrom: resumedFrom, tokensPerSecond: tokensPerSecond())
    }
}
