// LoadDatasetStage: `kind: load-dataset` reads a user's JSONL in the quirky schema (for example
// an exported EleutherAI quirky dataset) and writes the same files as quirky-dataset.

import Foundation
import PipelineCore
import Quirky

public struct LoadDatasetStage: StageKind {
    public init() {}
    public let name = "load-dataset"
    public var writes: Set<Artifact>? { [] }
    public let version = 2 // 2: standard name lists related by spelling
    public let summary = "Load a quirky-schema JSONL file and write its trusted/untrusted/validation/test splits."
    public let params: [ParamSpec] = [
        ParamSpec("path", .path, "JSONL file, one record a line (id, character, label, alice_label, bob_label, difficulty, statement, choices; optional name, split, difficulty_quantile)."),
        ParamSpec("default_split", .choice(["train", "validation"]), default: .string("train"),
                  "Split of rows that carry no `split` field."),
        ParamSpec("seed", .int, default: .int(0), "Seed of the split sampling."),
        ParamSpec("test_cap", .int, default: .int(4000), "Cap on the size of each split."),
        ParamSpec("template", .choice(QuirkyPromptTemplate.allCases.map(\.rawValue)), default: .string("standardized"),
                  "Prompt layout: standardized or short."),
        ParamSpec("context", .string, default: .string(""), "Context paragraph of the standardized template (dataset-specific; empty leaves it out)."),
        ParamSpec("number_width", .int, default: .int(0),
                  "Aligned number format for byte-level models: every integer of the statement right-aligned in a field of this many characters (0 = as written)."),
    ] + NameListParams.specs
    public var inputs: [InputSpec]? { [] }

    public func validate(_ params: Params, at location: SourceLocation) throws {
        if params.int("test_cap") < 2 {
            throw PipelineError.invalidValue(location, field: "test_cap", problem: "must be at least 2")
        }
        if params.int("seed") < 0 {
            throw PipelineError.invalidValue(location, field: "seed", problem: "must not be negative")
        }
        try NameListParams.validate(params, at: location)
    }

    public func execute(_ context: StageContext) throws {
        let p = context.params
        let path = context.paths["path"] ?? p.string("path")
        let names = NameListParams.names(p)
        let records: [QuirkyRecord]
        do {
            records = try QuirkyJSONL.load(path: path, defaultSplit: p.string("default_split"), names: names)
        } catch let error as QuirkyError {
            throw StageError(error.description)
        }
        guard !records.isEmpty else { throw StageError("\(path): no records") }
        let template = QuirkyPromptTemplate(rawValue: p.string("template")) ?? .standardized
        let dataset = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        try DatasetFiles.write(records: records, dataset: dataset,
                               formatter: QuirkyPromptFormatter(template: template, context: p.string("context"), numberWidth: p.int("number_width")),
                               splitConfig: QuirkySplitConfig(cap: p.int("test_cap"), seed: UInt64(p.int("seed"))), names: names,
                               to: context.outputDirectory)
        context.log("\(path): \(records.count) records")
    }
}
