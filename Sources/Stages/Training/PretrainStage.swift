// PretrainStage: `kind: pretrain` trains a byte-level transformer from scratch on plain
// arithmetic text (true statements like "123 + 45 = 168", one per line, no names), next-byte
// loss (on every byte, or with `loss: results` on the results only). Output: `checkpoint/` (the final model) and `history.csv`. Resumable: the
// trainer state lives in the stage's work directory, so a killed run continues where it was.

import Base
import Foundation
import Models
import PipelineCore
import Quirky

public struct PretrainStage: StageKind {
    public init() {}
    public let name = "pretrain"
    public var writes: Set<Artifact>? { [] }
    public let version = 1
    public let summary = "Pre-train a byte-level GPT-2- or Llama-style transformer on true arithmetic statements."
    public var params: [ParamSpec] {
        [
            ParamSpec("family", .choice(ModelFamily.allCases.map(\.rawValue)), default: .string("gpt2"), "Block design."),
            ParamSpec("d_model", .int, default: .int(64), "Residual stream width."),
            ParamSpec("layers", .int, default: .int(2), "Number of blocks."),
            ParamSpec("heads", .int, default: .int(4), "Attention heads (must divide d_model)."),
            ParamSpec("d_ff", .int, default: .int(256), "MLP hidden width."),
            ParamSpec("max_seq", .int, default: .int(64), "Context length (also the training window)."),
            ParamSpec("steps", .int, default: .int(300), "Optimiser steps."),
            ParamSpec("examples", .int, default: .int(20000), "Number of arithmetic statements in the corpus."),
            ParamSpec("tasks", .stringList, default: .list([.string("addition"), .string("subtraction")]),
                      "Tasks whose statements make up the corpus: " + QuirkyTask.allCases.map(\.rawValue).joined(separator: ", ") + "."),
            ParamSpec("loss", .choice(TrainingData.PretrainLoss.allCases.map(\.rawValue)), default: .string("all"),
                      "Which bytes carry the next-byte loss: all, or results (what follows each '=', the only predictable part; the operands are random)."),
        ] + OperandDigits.specs(maxDigitsDoc: "Operand size (as in quirky-dataset); 0 = METHOD.md's value for each task.") + [
        ParamSpec("number_width", .int, default: .int(0),
                  "Aligned number format for byte-level models: every integer of the statement right-aligned in a field of this many characters (0 = as written). Use the dataset's value."),
        ] + TrainingStageSupport.optimizerParams.map { spec in
            spec.name == "lr" ? ParamSpec("lr", .double, default: .double(3e-3), spec.doc) : spec
        }
    }
    public var inputs: [InputSpec]? { [] }

    public func validate(_ p: Params, at location: SourceLocation) throws {
        try TrainingStageSupport.validateOptimizer(p, at: location)
        for t in p.strings("tasks") where QuirkyTask(rawValue: t) == nil {
            throw PipelineError.invalidValue(location, field: "tasks", problem: "unknown task '\(t)'; known: " + QuirkyTask.allCases.map(\.rawValue).joined(separator: ", "))
        }
        if p.int("steps") <= 0 { throw PipelineError.invalidValue(location, field: "steps", problem: "must be positive") }
        try OperandDigits.validate(p, at: location)
        if !(0...32).contains(p.int("number_width")) { throw PipelineError.invalidValue(location, field: "number_width", problem: "must lie in 0...32 (0 = numbers as written)") }
        if p.int("examples") <= 0 { throw PipelineError.invalidValue(location, field: "examples", problem: "must be positive") }
        do { try config(p).validate() } catch {
            throw PipelineError.invalidValue(location, field: "d_model", problem: "\(error)")
        }
    }

    func config(_ p: Params) -> ModelConfig {
        ModelConfig(family: ModelFamily(rawValue: p.string("family")) ?? .gpt2, maxSeq: p.int("max_seq"),
                    dModel: p.int("d_model"), nLayers: p.int("layers"), nHeads: p.int("heads"), dFF: p.int("d_ff"))
    }

    /// `count` true statements of `tasks` (round robin), one per line, operands drawn as in the
    /// quirky generator.
    /// `digits` gives each task's operand size (nil: METHOD.md's).
    public static func corpus(tasks: [QuirkyTask], count: Int, seed: UInt64, numberWidth: Int = 0,
                              digits: (QuirkyTask) -> Int? = { _ in nil }) -> String {
        var rng = SplitMix64(seed: seed ^ SplitMix64.fnv1a("pretrain-corpus"))
        var lines: [String] = []
        lines.reserveCapacity(count)
        for i in 0..<count {
            let task = tasks[i % tasks.count]
            let size = digits(task) ?? task.maxDigits
            let a = QuirkyArithmeticGenerator.sampleOperand(maxDigits: size, rng: &rng)
            let b = task.isUnary ? 0 : QuirkyArithmeticGenerator.sampleOperand(maxDigits: size, rng: &rng)
            lines.append(NumberAlignment.align(task.statement(op1: a, op2: b, result: task.trueResult(a, b)), width: numberWidth))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public func execute(_ context: StageContext) throws {
        let p = context.params
        let cfg = config(p)
        let tasks = p.strings("tasks").compactMap(QuirkyTask.init(rawValue:))
        let seed = UInt64(truncatingIfNeeded: p.int("seed"))
        let T = cfg.maxSeq
        let digits = { (t: QuirkyTask) in OperandDigits.digits(p, task: t) }
        let loss = TrainingData.PretrainLoss(rawValue: p.string("loss")) ?? .all
        let train = TrainingData.packedWindows(text: Self.corpus(tasks: tasks, count: p.int("examples"), seed: seed, numberWidth: p.int("number_width"), digits: digits), length: T, loss: loss)
        let val = TrainingData.packedWindows(text: Self.corpus(tasks: tasks, count: max(p.int("examples") / 20, 64), seed: seed &+ 1, numberWidth: p.int("number_width"), digits: digits), length: T, loss: loss)
        guard !train.isEmpty else { throw StageError("the corpus of \(p.int("examples")) statements is shorter than one window of \(T + 1) bytes; raise examples") }
        let model = try Transformer(config: cfg, seed: seed)
        let trainer = try Trainer(model: model, options: TrainingStageSupport.options(p, steps: p.int("steps")), train: train, validation: val)
        trainer.statePath = context.workDirectory + "/trainer-state.safetensors"
        TrainingStageSupport.wire(trainer, context, label: "pretrain")
        context.log("pretrain: \(cfg.family.rawValue) d=\(cfg.dModel) L=\(cfg.nLayers) H=\(cfg.nHeads) F=\(cfg.dFF) T=\(T), \(model.layout.count) parameters, \(train.count) windows")
        let result = try trainer.run()
        context.log(String(format: "pretrain done: %d steps, %.0f tokens/s", result.stepsDone, result.tokensPerSecond))
        var meta = ["stage": "pretrain", "tasks": tasks.map(\.rawValue).joined(separator: ",")]
        if let last = result.history.last { meta = TrainingStageSupport.metadata(last, extra: meta) }
        try ModelCheckpoint.save(model, to: context.outputDirectory + "/checkpoint", metadata: meta)
        try Data(TrainingStageSupport.historyCSV(result.history).utf8).write(to: URL(fileURLWithPath: try context.outputPath("history.csv")))
    }
}
