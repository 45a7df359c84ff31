// FinetuneStage: `kind: finetune` makes a pre-trained model quirky: it trains on the quirky
// dataset's `train.jsonl` (both characters, training names), loss on the answer byte only
// (TrainingData: prompt + " " then 'Y' or 'N'), classes balanced by undersampling, full
// fine-tuning or LoRA (merged into every saved checkpoint). Evaluates on `validation.jsonl`
// (class-balanced Alice + Bob) at steps 1, 2, 4, 8, ... and the end, stopping early after
// `patience` evaluations without a new best. Output: `checkpoints/step-N/` (each a model
// checkpoint with val_loss in config.json) and `history.csv`; select-checkpoint picks one.

import Base
import Foundation
import Models
import PipelineCore
import Quirky

public struct FinetuneStage: StageKind {
    public init() {}
    public let name = "finetune"
    public var writes: Set<Artifact>? { [] }
    public let version = 3 // 2: answer_init; 3: no answer_init under LoRA (it tied Yes and No)
    public let summary = "Fine-tune a model on a quirky dataset (answer-token loss, balanced classes, full or LoRA), checkpointing on a log-spaced schedule."
    public var params: [ParamSpec] {
        [
            ParamSpec("steps", .int, default: .int(0), "Optimiser steps; 0 = derive from epochs."),
            ParamSpec("epochs", .double, default: .double(1), "Passes over the balanced training rows (used when steps is 0)."),
            ParamSpec("patience", .int, default: .int(2), "Stop after this many evaluations without a new best validation loss (0 = never)."),
            ParamSpec("answer_init", .bool, default: .bool(true),
                      "Start the Yes/No output rows at the row of the byte the base most often predicts after a prompt (a base pre-trained on arithmetic has never predicted a letter); false keeps the base's rows. Full fine-tuning only: LoRA freezes the output rows, and two identical frozen rows could never tell Yes from No."),
            ParamSpec("lora_rank", .int, default: .int(0), "LoRA rank; 0 = full fine-tuning."),
            ParamSpec("lora_alpha", .double, default: .double(16), "LoRA scaling numerator (update = alpha / rank * B A)."),
            ParamSpec("lora_targets", .stringList, default: .list([]), "Projections to adapt (peft-style names or suffixes); empty = every attention and MLP projection."),
            ParamSpec("template", .choice(QuirkyPromptTemplate.allCases.map(\.rawValue)), default: .string("short"),
                      "Prompt layout used when a split row has no `prompt` field."),
        ParamSpec("number_width", .int, default: .int(0),
                  "Aligned number format for byte-level models: every integer of the statement right-aligned in a field of this many characters (0 = as written). Used when a split row has no `prompt` field."),
        ] + TrainingStageSupport.optimizerParams
    }
    public var inputs: [InputSpec]? {
        [InputSpec("base", "A pretrain output (or any directory holding a model checkpoint)."),
         InputSpec("data", "A quirky dataset output with train.jsonl and validation.jsonl.")]
    }

    public func validate(_ p: Params, at location: SourceLocation) throws {
        try TrainingStageSupport.validateOptimizer(p, at: location)
        if p.int("steps") < 0 { throw PipelineError.invalidValue(location, field: "steps", problem: "must be >= 0") }
        if p.int("steps") == 0 && p.double("epochs") <= 0 { throw PipelineError.invalidValue(location, field: "epochs", problem: "must be positive when steps is 0") }
        if p.int("lora_rank") < 0 { throw PipelineError.invalidValue(location, field: "lora_rank", problem: "must be >= 0") }
        if p.int("patience") < 0 { throw PipelineError.invalidValue(location, field: "patience", problem: "must be >= 0") }
    }

    /// (prompt, label) of every row of a split file; the prompt comes from the row's `prompt`
    /// field, else from `formatter` with the row's name and statement.
    static func readSplit(_ path: String, formatter: QuirkyPromptFormatter) throws -> [(prompt: String, label: Bool)] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw StageError("cannot read \(path)") }
        var rows: [(String, Bool)] = []
        for (i, line) in text.split(separator: "\n").enumerated() where !line.allSatisfy(\.isWhitespace) {
            guard let obj = try? JSONValue.parseJSON(String(line)), obj.mapValue != nil else {
                throw StageError("\(path):\(i + 1): not a JSON object")
            }
            guard let label = obj["label"]?.boolValue ?? obj["label"]?.doubleValue.map({ $0 != 0 }) else { throw StageError("\(path):\(i + 1): field 'label' missing or not a bool") }
            if let prompt = obj["prompt"]?.stringValue {
                rows.append((prompt, label))
            } else if let statement = obj["statement"]?.stringValue {
                let name = obj["name"]?.stringValue ?? obj["character"]?.stringValue ?? ""
                rows.append((formatter.prompt(name: name, statement: statement), label))
            } else {
                throw StageError("\(path):\(i + 1): neither 'prompt' nor 'statement' is present")
            }
        }
        return rows
    }

    /// Fixed-length answer examples; rows whose prompt does not fit are dropped (and counted).
    static func examples(_ rows: [(prompt: String, label: Bool)], length: Int) -> (examples: [TrainingExample], dropped: Int) {
        let ex = rows.compactMap { TrainingData.answerExample(prompt: $0.prompt, label: $0.label, length: length) }
        return (ex, rows.count - ex.count)
    }

    public func execute(_ context: StageContext) throws {
        let p = context.params
        let seed = UInt64(truncatingIfNeeded: p.int("seed"))
        let baseDir = try TrainingStageSupport.checkpointDirectory(in: try context.input("base").path)
        let model = try ModelCheckpoint.load(from: baseDir)
        let dataDir = try context.input("data").path
        let formatter = QuirkyPromptFormatter(template: QuirkyPromptTemplate(rawValue: p.string("template")) ?? .short, numberWidth: p.int("number_width"))
        let trainRows = try Self.readSplit(dataDir + "/train.jsonl", formatter: formatter)
        let valRows = try Self.readSplit(dataDir + "/validation.jsonl", formatter: formatter)
        let balanced = TrainingData.balancedIndices(labels: trainRows.map(\.label), seed: seed).map { trainRows[$0] }
        let longest = (balanced + valRows).map { TrainingData.promptTokens($0.prompt).count }.max() ?? 1
        let T = min(longest, model.config.maxSeq)
        let (train, droppedTrain) = Self.examples(balanced, length: T)
        let (val, droppedVal) = Self.examples(valRows, length: T)
        context.log("finetune: \(trainRows.count) training rows, \(balanced.count) after balancing, \(val.count) validation rows, length \(T)"
                    + (droppedTrain + droppedVal > 0 ? ", dropped \(droppedTrain) + \(droppedVal) prompts longer than max_seq \(model.config.maxSeq)" : ""))
        guard !train.isEmpty else { throw StageError("no usable training rows in \(dataDir)/train.jsonl (after balancing and the max_seq limit)") }
        guard !val.isEmpty else { throw StageError("no usable validation rows in \(dataDir)/validation.jsonl") }

        if p.bool("answer_init") && p.int("lora_rank") == 0 {
            let byte = try model.initialiseAnswerRows(prompts: balanced.prefix(64).map { TrainingData.promptTokens($0.prompt) },
                                                      answers: [TrainingData.yesToken, TrainingData.noToken])
            context.log("finetune: Yes/No output rows start at the row of byte \(byte), the base's likeliest answer")
        }
        if p.int("lora_rank") > 0 {
            let targets = p.strings("lora_targets").isEmpty ? LoRAConfig.allProjections(model.config.family) : p.strings("lora_targets")
            do {
                try model.attachLoRA(LoRAConfig(rank: p.int("lora_rank"), alpha: Float(p.double("lora_alpha")), targets: targets), seed: seed &+ 17)
            } catch { throw StageError("LoRA: \(error)") }
        }
        var steps = p.int("steps")
        if steps == 0 { steps = max(1, Int((p.double("epochs") * Double(train.count) / Double(p.int("batch"))).rounded(.up))) }
        var options = TrainingStageSupport.options(p, steps: steps)
        options.patience = p.int("patience")
        let trainer = try Trainer(model: model, options: options, train: train, validation: val)
        let work = context.workDirectory
        trainer.statePath = work + "/trainer-state.safetensors"
        TrainingStageSupport.wire(trainer, context, label: "finetune")
        let template = p.string("template")
        trainer.onEvaluation = { record, model in
            try ModelCheckpoint.save(model, to: work + "/checkpoints/step-\(record.step)",
                                     metadata: TrainingStageSupport.metadata(record, extra: ["stage": "finetune", "template": template]))
        }
        let result = try trainer.run()
        context.log(String(format: "finetune done: %d steps%@, best val loss %.5f at step %d, %.0f tokens/s", result.stepsDone,
                           result.stoppedEarly ? " (early stop)" : "", result.best?.validationLoss ?? .nan, result.best?.step ?? 0, result.tokensPerSecond))
        try TrainingStageSupport.copyTree(work + "/checkpoints", to: context.outputDirectory + "/checkpoints")
        try Data(TrainingStageSupport.historyCSV(result.history).utf8).write(to: URL(fileURLWithPath: try context.outputPath("history.csv")))
    }
}
