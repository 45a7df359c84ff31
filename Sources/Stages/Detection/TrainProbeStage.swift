// TrainProbeStage: `kind: train-probe` fits an L2-regularised logistic probe per layer with
// k-fold cross-validation of the regularisation strength. Unsupervised (default): predicts the
// prompt's `label` on the trusted split. `supervised: true`: the ceiling detector, trained on
// trusted + untrusted to predict the character (Bob = 1); its output is a detector for `score`.
import Foundation
import PipelineCore
import Numerics
import Detectors

public struct TrainProbeStage: StageKind {
    public init() {}
    public let name = "train-probe"
    public var writes: Set<Artifact>? { [.detector] }
    public let version = 1
    public let summary = "Logistic probe per layer with k-fold CV of L2; supervised: true gives the Alice-vs-Bob ceiling detector."
    public let params: [ParamSpec] = [
        ParamSpec("layers", .any, default: .string("all"), "\"all\" or a list of layer indices."),
        ParamSpec("supervised", .bool, default: .bool(false), "Train on trusted + untrusted with character labels (the supervised ceiling) instead of the label on trusted."),
        ParamSpec("folds", .int, default: .int(5), "Cross-validation folds."),
    ]
    public var inputs: [InputSpec]? { [InputSpec("activations", reads: .activations, "Activations (docs/activations.md).")] }

    public func validate(_ params: Params, at location: SourceLocation) throws {
        try DetectorStageSupport.validateLayers(params["layers"], at: location)
        if params.int("folds") < 2 { throw PipelineError.invalidValue(location, field: "folds", problem: "must be at least 2") }
    }

    public func execute(_ context: StageContext) throws {
        let p = context.params, art = try context.input("activations"), supervised = p.bool("supervised")
        let splits = try (supervised ? ["trusted", "untrusted"] : ["trusted"]).map { try DetectorStageSupport.split(art, $0) }
        let layers = try DetectorStageSupport.wrap("layers") {
            try ActivationSet.selectLayers(DetectorStageSupport.layerRequest(p["layers"]), available: splits[0].layerIndices, path: art.path)
        }
        let y: [Bool] = splits.flatMap { s in supervised ? s.character.map { $0 == 1 } : s.label.map { $0 != 0 } }
        var summary: [String: Any] = [:]
        for (i, l) in layers.enumerated() {
            try context.checkCancelled()
            let parts = splits.map { $0.matrix(l) }
            let x = Matrix64(rows: parts.reduce(0) { $0 + $1.rows }, cols: parts[0].cols, data: parts.flatMap(\.data))
            let cv = try DetectorStageSupport.wrap("probe on layer \(l)") { try LogisticProbeCV.fit(x: x, y: y, folds: p.int("folds")) }
            try DetectorArchive.save(.logisticProbe(cv.probe), to: try context.outputPath("layer.\(l).safetensors"))
            summary["\(l)"] = ["C": DetectorStageSupport.fmt(cv.chosenC), "cv_log_loss": cv.meanLogLoss.map(DetectorStageSupport.fmt)]
            context.progress(Double(i + 1) / Double(layers.count), "layer \(l)")
        }
        var meta: [String: Any] = ["detector": supervised ? "supervised-probe" : "probe", "layers": layers, "target": supervised ? "character" : "label",
                                   "training": summary]
        for key in ["model", "dataset"] { if let v = splits[0].metadata[key] { meta[key] = v } }
        try DetectorStageSupport.writeJSON(meta, to: try context.outputPath("detector.json"))
    }
}
