// HFExtractStage: `kind: hf-extract` runs a Hugging Face causal LM (or a madpipe checkpoint
// through transformers) in the madpipe_torch worker and writes the residual stream at the last
// token read (the prompt plus the choices' shared tokens, as extract-activations reads it)
// entering every block and leaving the last one before the final norm, per split, in the layout
// of docs/activations.md. The character column comes from madpipe's own dataset reader.

import Foundation
import PipelineCore

public struct HFExtractStage: StageKind {
    public init() {}
    public let name = "hf-extract"
    public var writes: Set<Artifact>? { [.activations] }
    public let version = 1
    public let summary = "Residual-stream activations of a Hugging Face model (PyTorch worker) at the last prompt token for each split (docs/activations.md)."
    public var params: [ParamSpec] {
        HFWorker.readerParams
    }
    public var inputs: [InputSpec]? { HFWorker.readerInputs() }

    public func validate(_ params: Params, at location: SourceLocation) throws {
        try HFWorker.validateReader(params, at: location)
    }

    public func execute(_ context: StageContext) throws {
        let splits = try HFWorker.splits(context.params.strings("splits"), context: context)
        let meta: [(String, Value)] = [("dataset", .string(try context.input("data").stageId))]
        try HFWorker.run("extract", [("splits", .list(splits)), ("batch", .int(context.params.int("batch"))),
                                     ("metadata", .map(meta))], context: context)
    }
}
