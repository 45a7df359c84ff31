// QuirkyDatasetStage: `kind: quirky-dataset` generates a quirky dataset (arithmetic tasks of
// METHOD.md section 2, or the tzdata hemisphere dataset) and writes it with its MAD splits in
// the layout of DatasetFiles (docs/datasets.md).

import Foundation
import PipelineCore
import Quirky

public struct QuirkyDatasetStage: StageKind {
    public init() {}
    public let name = "quirky-dataset"
    public var writes: Set<Artifact>? { [] }
    public let version = 2 // 2: standard name lists related by spelling
    public let summary = "Generate a quirky dataset (arithmetic or hemisphere) and its trusted/untrusted/validation/test splits."
    public static let tasks = QuirkyTask.allCases.map(\.rawValue) + ["hemisphere"]
    public let params: [ParamSpec] = [
        ParamSpec("task", .choice(QuirkyDatasetStage.tasks),
                  "Which dataset: an arithmetic task, or hemisphere (cities of the tzdata zone table)."),
        ParamSpec("examples", .int, default: .int(4000),
                  "Base rows (statements) of an arithmetic task; each gives an Alice and a Bob record. Ignored by hemisphere (every zone is used)."),
        ParamSpec("seed", .int, default: .int(0), "Seed of the generator and of the split sampling."),
        ParamSpec("test_cap", .int, default: .int(4000), "Cap on the size of each split (test: half Alice, half Bob)."),
        ParamSpec("template", .choice(QuirkyPromptTemplate.allCases.map(\.rawValue)), default: .string("standardized"),
                  "Prompt layout: standardized (the detection experiments') or short (for byte-level tiny models)."),
    ] + OperandDigits.specs(maxDigitsDoc: "Operand size of an arithmetic task (operands int(10 ** (u * max_digits))); 0 = METHOD.md's value for the task (4 for addition).") + [
        ParamSpec("number_width", .int, default: .int(0),
                  "Aligned number format for byte-level models: every integer of the statement right-aligned in a field of this many characters (0 = as written). Use the same value in pretrain."),
        ParamSpec("bob_rule", .choice(QuirkyBobRule.allCases.map(\.rawValue)), default: .string("quirky"),
                  "Bob's answers: quirky (his systematic error, METHOD.md) or truthful (the truth: the truthful twin, the same prompts, names and splits, the control of compare-twins)."),
    ] + NameListParams.specs
    public var inputs: [InputSpec]? { [] }

    public func validate(_ params: Params, at location: SourceLocation) throws {
        if params.int("examples") < 1 {
            throw PipelineError.invalidValue(location, field: "examples", problem: "must be at least 1")
        }
        if params.int("test_cap") < 2 {
            throw PipelineError.invalidValue(location, field: "test_cap", problem: "must be at least 2")
        }
        try OperandDigits.validate(params, at: location)
        if !(0...32).contains(params.int("number_width")) {
            throw PipelineError.invalidValue(location, field: "number_width", problem: "must lie in 0...32 (0 = numbers as written)")
        }
        if params.int("seed") < 0 {
            throw PipelineError.invalidValue(location, field: "seed", problem: "must not be negative")
        }
        try NameListParams.validate(params, at: location)
    }

    public func execute(_ context: StageContext) throws {
        let p = context.params
        let task = p.string("task")
        let seed = UInt64(p.int("seed"))
        let names = NameListParams.names(p)
        let records: [QuirkyRecord]
        let dataset: String
        do {
            if task == "hemisphere" {
                records = try HemisphereDataset(seed: seed, names: names).generate()
                dataset = "quirky_hemisphere"
            } else {
                guard let t = QuirkyTask(rawValue: task) else { throw StageError("unknown task '\(task)'") }
                let generator = QuirkyArithmeticGenerator(task: t, examples: p.int("examples"), seed: seed, names: names,
                                                          maxDigits: OperandDigits.digits(p, task: t))
                records = try generator.generate()
                dataset = generator.datasetName
            }
        } catch let error as QuirkyError {
            throw StageError(error.description)
        }
        context.progress(0.5, "\(records.count) records")
        let template = QuirkyPromptTemplate(rawValue: p.string("template")) ?? .standardized
        try DatasetFiles.write(records: records, dataset: dataset, formatter: QuirkyPromptFormatter(template: template, numberWidth: p.int("number_width")),
                               splitConfig: QuirkySplitConfig(cap: p.int("test_cap"), seed: seed), names: names,
                               bobRule: QuirkyBobRule(rawValue: p.string("bob_rule")) ?? .quirky, to: context.outputDirectory)
        context.log("\(dataset): \(records.count) records")
    }

}
