// ExtractionInputs: what the model-reading stages (extract-activations, extract-attribution,
// model-outputs) share: finding the checkpoint in the `model` input, reading a split of the
// `data` input as token sequences and example metadata, and the `splits`/`batch` params.

import Base
import Foundation
import Models
import PipelineCore
import Quirky

/// A split read for a model: prompts as tokens and the examples' metadata.
struct SplitForModel {
    var name: String
    var examples: [DatasetExample]
    var sequences: [[Int]]
    var answers: AnswerTokens

    var metadata: ExampleMetadata {
        let r = examples.map(\.record)
        return ExampleMetadata(character: r.map { $0.character == .bob ? 1 : 0 }, label: r.map { $0.label ? 1 : 0 },
                               aliceLabel: r.map { $0.aliceLabel ? 1 : 0 }, bobLabel: r.map { $0.bobLabel ? 1 : 0 },
                               difficulty: r.map(\.difficulty))
    }
}

enum ExtractionInputs {
    /// The splits a model-reading stage may read.
    static let splitNames = ["trusted", "untrusted", "validation", "test"]

    static func splitsParam(default names: [String]) -> ParamSpec {
        ParamSpec("splits", .stringList, default: .list(names.map(Value.string)),
                  "Splits of the data input to process (trusted, untrusted, validation, test).")
    }

    static let batchParam = ParamSpec("batch", .int, default: .int(32), "Examples per forward pass.")

    /// What the native kinds that run a model over a dataset's splits declare: splits and batch.
    static let readerParams = [splitsParam(default: splitNames), batchParam]

    /// Their inputs: a native checkpoint and a dataset.
    static let readerInputs = [
        InputSpec("model", "A model checkpoint (select-checkpoint output, or a directory with model.safetensors and config.json)."),
        InputSpec("data", "A quirky-dataset or load-dataset output."),
    ]

    static func validate(_ params: Params, at location: SourceLocation) throws {
        let splits = params.strings("splits")
        if splits.isEmpty { throw PipelineError.invalidValue(location, field: "splits", problem: "must name at least one split") }
        for s in splits where !splitNames.contains(s) {
            throw PipelineError.invalidValue(location, field: "splits",
                                             problem: "unknown split '\(s)'; expected one of \(splitNames.joined(separator: ", "))")
        }
        if Set(splits).count != splits.count {
            throw PipelineError.invalidValue(location, field: "splits", problem: "names a split twice")
        }
        if params.int("batch") < 1 { throw PipelineError.invalidValue(location, field: "batch", problem: "must be at least 1") }
    }

    /// The checkpoint directory inside the `model` input: a select-checkpoint output holds it
    /// in `checkpoint/`, a training or bare checkpoint directory is one itself.
    static func checkpointDirectory(_ context: StageContext) throws -> String {
        let root = try context.input("model").path
        let nested = (root as NSString).appendingPathComponent("checkpoint")
        for dir in [nested, root] where FileSystem.exists((dir as NSString).appendingPathComponent(ModelCheckpoint.configFile)) {
            return dir
        }
        throw StageError("\(root): no model checkpoint (\(ModelCheckpoint.configFile) not found here or in checkpoint/)")
    }

    /// Loads the model of the `model` input.
    static func loadModel(_ context: StageContext) throws -> Transformer {
        let dir = try checkpointDirectory(context)
        do {
            return try ModelCheckpoint.load(from: dir)
        } catch {
            throw StageError("\(dir): cannot load the model checkpoint: \(error)")
        }
    }

    /// Reads split `name` of the `data` input as the model's token sequences.
    static func split(_ name: String, context: StageContext, maxSeq: Int) throws -> SplitForModel {
        let dir = try context.input("data").path
        let examples = try DatasetFiles.read(directory: dir, split: name)
        let choices = examples.first?.record.choices ?? QuirkyRecord.standardChoices
        let answers: AnswerTokens
        do { answers = try AnswerTokens(choices: choices) } catch { throw StageError("\(dir)/\(name).jsonl: \(error)") }
        var sequences: [[Int]] = []
        for (i, e) in examples.enumerated() {
            guard e.record.choices == choices else {
                throw StageError("\(dir)/\(name).jsonl:\(i + 1): choices \(e.record.choices) differ from the first row's \(choices)")
            }
            let s = answers.tokens(prompt: e.prompt)
            guard s.count <= maxSeq else {
                throw StageError("\(dir)/\(name).jsonl:\(i + 1): the prompt is \(s.count) tokens, more than the model's context of \(maxSeq); use template: short or a model with a larger max_seq")
            }
            sequences.append(s)
        }
        return SplitForModel(name: name, examples: examples, sequences: sequences, answers: answers)
    }

    /// Metadata common to every activation-layout file.
    static func fileMetadata(_ context: StageContext, split: String, layers: Int) throws -> [String: String] {
        ["model": try context.input("model").stageId, "dataset": try context.input("data").stageId,
         "split": split, "layers": String(layers), "position": "last"]
    }
}
