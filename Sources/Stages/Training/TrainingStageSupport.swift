// TrainingStageSupport: what the pretrain and finetune stage kinds share: reading training
// options from params, the BLAS-free progress/log wiring to the stage context, finding a
// checkpoint inside an input, copying directories, and writing history.csv deterministically.

import Foundation
import Models
import PipelineCore

enum TrainingStageSupport {
    /// Params every training stage accepts (besides its own).
    static let optimizerParams: [ParamSpec] = [
        ParamSpec("batch", .int, default: .int(16), "Sequences per optimiser step."),
        ParamSpec("lr", .double, default: .double(1e-3), "Peak learning rate (AdamW)."),
        ParamSpec("warmup", .double, default: .double(0.1), "Fraction of the steps spent in linear warmup."),
        ParamSpec("decay", .choice(LearningRateDecay.allCases.map(\.rawValue)), default: .string("cosine"),
                  "Learning-rate decay after warmup, down to min_lr_fraction of the peak."),
        ParamSpec("min_lr_fraction", .double, default: .double(0.1), "Final learning rate as a fraction of the peak."),
        ParamSpec("weight_decay", .double, default: .double(0.1), "Decoupled AdamW weight decay."),
        ParamSpec("beta2", .double, default: .double(0.95), "AdamW second-moment decay."),
        ParamSpec("clip", .double, default: .double(1.0), "Global gradient-norm limit (0 = none)."),
        ParamSpec("eval_every", .int, default: .int(0), "Also evaluate every this many steps (0: only steps 1, 2, 4, 8, ... and the last)."),
        ParamSpec("seed", .int, default: .int(0), "Seed of initialisation and data order."),
    ]

    static func options(_ p: Params, steps: Int) -> TrainingOptions {
        var o = TrainingOptions(steps: steps, batchSize: p.int("batch"), learningRate: p.double("lr"))
        o.warmupFraction = p.double("warmup")
        o.decay = LearningRateDecay(rawValue: p.string("decay")) ?? .cosine
        o.minLearningRateFraction = p.double("min_lr_fraction")
        o.weightDecay = p.double("weight_decay")
        o.beta2 = p.double("beta2")
        o.clipNorm = p.double("clip")
        o.evalEvery = p.int("eval_every")
        o.seed = UInt64(truncatingIfNeeded: p.int("seed"))
        return o
    }

    static func validateOptimizer(_ p: Params, at location: SourceLocation) throws {
        if p.int("batch") <= 0 { throw PipelineError.invalidValue(location, field: "batch", problem: "must be positive") }
        if p.double("lr") <= 0 { throw PipelineError.invalidValue(location, field: "lr", problem: "must be positive") }
        if !(0...1).contains(p.double("warmup")) { throw PipelineError.invalidValue(location, field: "warmup", problem: "must be in [0, 1]") }
        if !(0...1).contains(p.double("beta2")) { throw PipelineError.invalidValue(location, field: "beta2", problem: "must be in [0, 1]") }
    }

    /// Connects a trainer to the stage's log, progress display and cancellation.
    static func wire(_ trainer: Trainer, _ context: StageContext, label: String) {
        trainer.log = { context.log($0) }
        trainer.checkCancelled = { try context.checkCancelled() }
        var lastReport = -1
        trainer.onProgress = { p in
            let pct = Int(100 * Double(p.step) / Double(p.totalSteps))
            guard pct != lastReport || p.step == p.totalSteps else { return }
            lastReport = pct
            let val = p.validationLoss.map { String(format: ", val %.4f", $0) } ?? ""
            context.progress(Double(p.step) / Double(p.totalSteps),
                             String(format: "%@ step %d/%d, loss %.4f%@, %.0f tok/s", label, p.step, p.totalSteps, p.loss, val, p.tokensPerSecond))
        }
    }

    /// The checkpoint directory inside an input: `<path>/checkpoint` when it holds one, else the
    /// path itself.
    static func checkpointDirectory(in path: String) throws -> String {
        for dir in [path + "/checkpoint", path] where FileManager.default.fileExists(atPath: dir + "/" + ModelCheckpoint.configFile) {
            return dir
        }
        throw StageError("\(path): no model checkpoint (\(ModelCheckpoint.configFile) not found here or in checkpoint/)")
    }

    /// Copies a directory tree of regular files (replacing `to`).
    static func copyTree(_ from: String, to: String) throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: to) { try fm.removeItem(atPath: to) }
        try fm.createDirectory(atPath: (to as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try fm.copyItem(atPath: from, toPath: to)
    }

    /// history.csv: step,train_loss,val_loss,lr with fixed formatting.
    static func historyCSV(_ history: [EvaluationRecord]) -> String {
        "step,train_loss,val_loss,lr\n" + history.map {
            String(format: "%d,%.6f,%.6f,%.6g\n", $0.step, $0.trainLoss, $0.validationLoss, $0.learningRate)
        }.joined()
    }

    /// Checkpoint metadata of an evaluation.
    static func metadata(_ r: EvaluationRecord, extra: [String: String]) -> [String: String] {
        var m = extra
        m["step"] = "\(r.step)"
        m["val_loss"] = "\(r.validationLoss)"
        m["train_loss"] = "\(r.trainLoss)"
        return m
    }
}
