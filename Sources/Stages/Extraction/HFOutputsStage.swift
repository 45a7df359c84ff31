// HFOutputsStage: `kind: hf-outputs` reads a Hugging Face model's Yes/No answer logits per
// example in the madpipe_torch worker and writes, like model-outputs, `<split>/outputs.csv` and
// the test split's `quirkiness.json`, composed by the same code, so the quirkiness table and the
// report read both kinds alike.

import Base
import Foundation
import Models
import PipelineCore
import Numerics

public struct HFOutputsStage: StageKind {
    public init() {}
    public let name = "hf-outputs"
    public var writes: Set<Artifact>? { [] }
    public let version = 1
    public let summary = "Per-example Yes/No logits, losses against Alice's and Bob's labels, log-odds of a Hugging Face model (PyTorch worker); quirkiness on the test split."
    public var params: [ParamSpec] {
        HFWorker.readerParams
    }
    public var inputs: [InputSpec]? { HFWorker.readerInputs() }

    public func validate(_ params: Params, at location: SourceLocation) throws {
        try HFWorker.validateReader(params, at: location)
    }

    public func execute(_ context: StageContext) throws {
        var names = context.params.strings("splits")
        if !names.contains("test") { names.append("test") }  // quirkiness is measured there
        let splits = try HFWorker.splits(names, context: context)
        let raw = context.scratchDirectory + "/answers"
        try HFWorker.run("outputs", [("splits", .list(splits)), ("batch", .int(context.params.int("batch"))),
                                     ("answers_out", .string(raw))], context: context)
        let dataDir = try context.input("data").path
        for name in names {
            let examples = try DatasetFiles.read(directory: dataDir, split: name)
            let file = try SafeTensorsFile(path: raw + "/\(name)/answers.safetensors")
            let yes = try file.tensor("logit_yes").data, no = try file.tensor("logit_no").data
            guard yes.count == examples.count, no.count == examples.count else {
                throw StageError("the worker wrote \(yes.count) answers for split '\(name)' of \(examples.count) examples")
            }
            let split = SplitForModel(name: name, examples: examples, sequences: [], answers: .standard)
            let outputs = zip(yes, no).map { AnswerLogits(yes: $0, no: $1) }
            if name == "test" {
                let q = try ModelOutputsStage.quirkiness(split, outputs)
                try FileSystem.writeAtomically(Data((q.prettyJSON() + "\n").utf8), to: try context.outputPath("quirkiness.json"))
                context.log("test: \(q.canonicalJSON)")
            }
            guard context.params.strings("splits").contains(name) else { continue }
            try FileSystem.writeAtomically(Data(ModelOutputsStage.csv(split, outputs).utf8), to: try context.outputPath("\(name)/outputs.csv"))
        }
    }
}
