// HFAttributionStage: `kind: hf-attribution` writes per-head attribution features of a Hugging
// Face model (madpipe_torch worker) with the definition and layout of the native
// extract-attribution: (r_h - a_h) . d(logit_Yes - logit_No)/d a_h per head at the last token,
// r_h the trusted mean (or zero), optionally per top-k principal direction; `heads.{l}` tensors.

import Foundation
import PipelineCore

public struct HFAttributionStage: StageKind {
    public init() {}
    public let name = "hf-attribution"
    public var writes: Set<Artifact>? { [.activations] }
    public let version = 1
    public let summary = "Per-head attribution features of a Hugging Face model (PyTorch worker), as extract-attribution defines them, for each split."
    public var params: [ParamSpec] {
        HFWorker.readerParams + [
            ParamSpec("ablation", .choice(["mean", "zero"]), default: .string("mean"),
                      "What a head's output is moved to: its mean over the trusted split, or zero."),
            ParamSpec("pca_k", .int, default: .int(0),
                      "When > 0, one feature per head and top-k principal component of the trusted head outputs ([N, n_heads * k])."),
        ]
    }
    public var inputs: [InputSpec]? {
        HFWorker.readerInputs(data: "A quirky-dataset or load-dataset output (its trusted split defines the mean and the PCA).")
    }

    public func validate(_ params: Params, at location: SourceLocation) throws {
        try HFWorker.validateReader(params, at: location)
        if params.int("pca_k") < 0 { throw PipelineError.invalidValue(location, field: "pca_k", problem: "must not be negative") }
    }

    public func execute(_ context: StageContext) throws {
        let wanted = context.params.strings("splits")
        let splits = try HFWorker.splits(["trusted"] + wanted.filter { $0 != "trusted" }, context: context)
        try HFWorker.run("attribution", [
            ("splits", .list(splits)), ("wanted", .list(wanted.map { .string($0) })),
            ("batch", .int(context.params.int("batch"))), ("ablation", .string(context.params.string("ablation"))),
            ("pca_k", .int(context.params.int("pca_k"))),
            ("metadata", .map([("dataset", .string(try context.input("data").stageId))])),
        ], context: context)
    }
}
