// ExtractAttributionStage: `kind: extract-attribution` writes per-head attribution features
// (METHOD.md section 5): (ablation - a_h) . d(logit_Yes - logit_No)/d a_h at the last prompt
// token, ablation = trusted mean (or zero), optionally per top-k principal component, as
// `heads.{l}` tensors in the activation layout.

import Foundation
import Models
import PipelineCore

public struct ExtractAttributionStage: StageKind {
    public init() {}
    public let name = "extract-attribution"
    public var writes: Set<Artifact>? { [.activations] }
    public let version = 1
    public let summary = "Per-head attribution features (mean or zero ablation, optional top-k PCA) for each split."
    public let params: [ParamSpec] = [
        ExtractionInputs.splitsParam(default: ExtractionInputs.splitNames),
        ExtractionInputs.batchParam,
        ParamSpec("ablation", .choice(["mean", "zero"]), default: .string("mean"),
                  "What a head's output is moved to: its mean over the trusted split, or zero."),
        ParamSpec("pca_k", .int, default: .int(0),
                  "When > 0, one feature per head and top-k principal component of the trusted head outputs ([N, n_heads * k])."),
    ]
    public var inputs: [InputSpec]? {
        [InputSpec("model", "A model checkpoint (select-checkpoint output, or a directory with model.safetensors and config.json)."),
         InputSpec("data", "A quirky-dataset or load-dataset output (its trusted split defines the mean and the PCA).")]
    }

    public func validate(_ params: Params, at location: SourceLocation) throws {
        try ExtractionInputs.validate(params, at: location)
        if params.int("pca_k") < 0 { throw PipelineError.invalidValue(location, field: "pca_k", problem: "must not be negative") }
    }

    public func execute(_ context: StageContext) throws {
        let model = try ExtractionInputs.loadModel(context)
        let cfg = model.config
        let wanted = context.params.strings("splits")
        let order = ["trusted"] + wanted.filter { $0 != "trusted" }
        let splits = try order.map { try ExtractionInputs.split($0, context: context, maxSeq: cfg.maxSeq) }
        let total = max(1, splits.map(\.sequences.count).reduce(0, +))
        var before = 0
        var reference: AttributionReference?
        let k = context.params.int("pca_k")
        for split in splits {
            let name = split.name
            let extractor = try AttributionExtractor(model: model, batchSize: context.params.int("batch"), answers: split.answers)
            let signals = try extractor.collect(split.sequences) { done, _ in
                try context.checkCancelled()
                context.progress(Double(before + done) / Double(total), "\(name) \(done)/\(split.sequences.count)")
            }
            before += split.sequences.count
            if reference == nil {
                do {
                    reference = try AttributionExtractor.reference(trusted: signals, config: cfg,
                                                                   meanAblation: context.params.string("ablation") == "mean", pcaK: k)
                } catch { throw StageError("trusted split: \(error)") }
            }
            guard wanted.contains(name) else { continue }
            let feats = AttributionExtractor.features(signals, reference: reference!, config: cfg)
            let width = k > 0 ? cfg.nHeads * k : cfg.nHeads
            let features = (0..<cfg.nLayers).map { (name: "heads.\($0)", width: width, data: feats[$0]) }
            var meta = try ExtractionInputs.fileMetadata(context, split: name, layers: cfg.nLayers)
            meta["features"] = "attribution"
            meta["ablation"] = context.params.string("ablation")
            meta["pca_k"] = String(k)
            try ActivationsFile.write(features: features, examples: split.metadata, metadata: meta,
                                      to: try context.outputPath("\(name)/activations.safetensors"))
            context.log("\(name): \(split.sequences.count) examples, \(cfg.nLayers) blocks of \(width) features")
        }
    }
}
