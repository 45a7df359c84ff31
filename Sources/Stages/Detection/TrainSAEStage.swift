// TrainSAEStage: `kind: train-sae` trains a top-k sparse autoencoder per layer on an
// activations input (the base model's trusted split by default) and saves them as
// layer.{l}.safetensors for fit-detector's sae-l0 detector.
import Foundation
import PipelineCore
import Numerics
import Detectors

public struct TrainSAEStage: StageKind {
    public init() {}
    public let name = "train-sae"
    public var writes: Set<Artifact>? { [.saeFeatures] }
    public let version = 2
    public let summary = "Train a top-k sparse autoencoder per layer on activations (features for the sae-l0 detector)."
    public let params: [ParamSpec] = [
        ParamSpec("layers", .any, default: .string("all"), "\"all\" or a list of layer indices."),
        ParamSpec("splits", .stringList, default: .list([.string("trusted")]), "Splits whose rows are pooled for training (e.g. every split of a base-model extraction)."),
        ParamSpec("k", .int, default: .int(32), "Active latents per row."),
        ParamSpec("latents", .int, default: .int(8), "Expansion factor: latents = latents x d."),
        ParamSpec("epochs", .int, default: .int(10), "Training epochs."),
        ParamSpec("batch_size", .int, default: .int(256), "Rows per step."),
        ParamSpec("lr", .double, default: .double(1e-3), "Learning rate."),
        ParamSpec("auxk", .int, default: .int(0), "AuxK: dead latents used in the auxiliary loss (0 = off)."),
        ParamSpec("auxk_coef", .double, default: .double(1.0 / 32), "Weight of the AuxK loss."),
        ParamSpec("seed", .int, default: .int(0), "Seed."),
    ]
    public var inputs: [InputSpec]? { [InputSpec("activations", reads: .activations, "Activations (docs/activations.md), typically of the base model.")] }

    public func validate(_ params: Params, at location: SourceLocation) throws {
        try DetectorStageSupport.validateLayers(params["layers"], at: location)
        for f in ["k", "latents", "epochs", "batch_size"] where params.int(f) < 1 {
            throw PipelineError.invalidValue(location, field: f, problem: "must be at least 1")
        }
    }

    public func execute(_ context: StageContext) throws {
        let p = context.params, art = try context.input("activations")
        let splits = try p.strings("splits").map { try DetectorStageSupport.split(art, $0) }
        guard let first = splits.first else { throw StageError("no splits to train on") }
        let layers = try DetectorStageSupport.wrap("layers") {
            try ActivationSet.selectLayers(DetectorStageSupport.layerRequest(p["layers"]), available: first.layerIndices, path: art.path)
        }
        var summary: [String: Any] = [:]
        for (i, l) in layers.enumerated() {
            try context.checkCancelled()
            var data = [Float](), rows = 0, d = 0
            for s in splits {
                guard let t = s.layers[l] else { throw StageError("split \(s.name) has no layer \(l)") }
                data += t.data; rows += t.shape[0]; d = t.shape[1]
            }
            guard p.int("k") <= p.int("latents") * d else { throw StageError("k = \(p.int("k")) exceeds the \(p.int("latents") * d) latents of layer \(l)") }
            var trainer = SAETrainer(latentCount: p.int("latents") * d, k: p.int("k"), learningRate: Float(p.double("lr")),
                                     batchSize: p.int("batch_size"), epochs: p.int("epochs"), seed: UInt64(bitPattern: Int64(p.int("seed"))))
            if p.int("auxk") > 0 { trainer.auxK = p.int("auxk"); trainer.auxKCoefficient = Float(p.double("auxk_coef")) }
            let (model, fvu) = try DetectorStageSupport.wrap("train-sae layer \(l)") { try trainer.train(Tensor(shape: [rows, d], data: data)) }
            try DetectorArchive.save(.sae(model), to: try context.outputPath("layer.\(l).safetensors"))
            summary["\(l)"] = ["fvu_per_epoch": fvu.map(DetectorStageSupport.fmt), "rows": rows]
            context.log("layer \(l): FVU \(fvu.last.map(DetectorStageSupport.fmt) ?? "-")")
            context.progress(Double(i + 1) / Double(layers.count), "layer \(l)")
        }
        try DetectorStageSupport.writeJSON(["features": "sae", "layers": layers, "training": summary], to: try context.outputPath("features.json"))
    }
}
