// FitDetectorStage: `kind: fit-detector` fits one anomaly detector per layer on the trusted
// split of an activations input (optionally on top of trained SAE/flow features) and saves
// them as layer.{l}.safetensors plus detector.json. A layer of zero variance on the fit split (every
// row the same) gets a warning in the log and a note in detector.json, which `score` and
// `evaluate` carry into their outputs.
import Foundation
import PipelineCore
import Numerics
import Detectors

public struct FitDetectorStage: StageKind {
    public init() {}
    /// The detector names this stage fits.
    public static let detectors = ["mahalanobis", "diag-mahalanobis", "sae-l0", "flow-prior", "flow-mahalanobis", "que"]
    public let name = "fit-detector"
    public var writes: Set<Artifact>? { [.detector] }
    public let version = 2
    public let summary = "Fit an anomaly detector per layer on the trusted split (Mahalanobis, diagonal, QUE, SAE L0, flows)."
    public let params: [ParamSpec] = [
        ParamSpec("detector", .choice(FitDetectorStage.detectors), "Detector to fit; sae-l0 needs a train-sae input and flow-* a train-flow input named `features`."),
        ParamSpec("layers", .any, default: .string("all"), "\"all\" or a list of layer indices."),
        ParamSpec("rcond", .double, default: .double(1e-3), "Eigenvalues below rcond x the largest are dropped from the covariance pseudo-inverse."),
        ParamSpec("shrinkage", .string, default: .string("none"), "Covariance shrinkage: none, ledoit-wolf, or a number in [0, 1]."),
        ParamSpec("split", .string, default: .string("trusted"), "Split the detector is fitted on."),
        ParamSpec("label", .string, default: .string(""), "Name the scores and the evaluation report this detector under (e.g. attribution-mahalanobis); empty = the detector's name."),
    ]
    public var inputs: [InputSpec]? {
        [InputSpec("activations", reads: .activations, "Activations (docs/activations.md)."),
         InputSpec("features", required: false, "Output of train-sae (for sae-l0) or train-flow (for flow-prior / flow-mahalanobis).")]
    }

    public func validate(_ params: Params, at location: SourceLocation) throws {
        try DetectorStageSupport.validateLayers(params["layers"], at: location)
        if DetectorStageSupport.shrinkage(params.string("shrinkage")) == nil {
            throw PipelineError.invalidValue(location, field: "shrinkage", problem: "'\(params.string("shrinkage"))' is not none, ledoit-wolf or a number in [0, 1]")
        }
        if !(params.double("rcond") >= 0) { throw PipelineError.invalidValue(location, field: "rcond", problem: "must be non-negative") }
    }

    /// sae-l0 needs a `features` input from train-sae, flow-prior and flow-mahalanobis one from
    /// train-flow; other detectors ignore `features` (so one template can sweep every detector).
    public func checkWiring(_ params: Params, inputs: [WiredInput], at location: SourceLocation) throws {
        let detector = params.string("detector")
        let need: (Artifact, String)
        switch detector {
        case "sae-l0": need = (.saeFeatures, "train-sae")
        case "flow-prior", "flow-mahalanobis": need = (.flowFeatures, "train-flow")
        default: return
        }
        guard let features = inputs.first(where: { $0.name == "features" }) else {
            throw PipelineError.invalidValue(location, field: "inputs.features", problem:
                "detector '\(detector)' needs an input named 'features' from a \(need.1) stage, e.g. inputs: {activations: ACTS, features: \(need.1 == "train-sae" ? "SAE" : "FLOW")}")
        }
        if !features.mayHold(need.0) {
            throw PipelineError.invalidValue(features.location, field: "inputs.features", problem:
                "detector '\(detector)' reads \(need.0) from a \(need.1) stage here, but stage '\(features.stage)' is kind \(features.kind.name)")
        }
    }

    public func execute(_ context: StageContext) throws {
        let p = context.params, kind = p.string("detector")
        let art = try context.input("activations")
        let file = art.path + "/" + p.string("split") + "/activations.safetensors"
        if Self.streamed.contains(kind) && FileManager.default.fileExists(atPath: file) {
            return try fitStreaming(context, file: file, kind: kind)
        }
        let split = try DetectorStageSupport.split(art, p.string("split"))
        let layers = try DetectorStageSupport.wrap("layers") {
            try ActivationSet.selectLayers(DetectorStageSupport.layerRequest(p["layers"]), available: split.layerIndices, path: art.path)
        }
        let features = context.inputs["features"]?.first
        if ["sae-l0", "flow-prior", "flow-mahalanobis"].contains(kind) && features == nil {
            throw StageError("detector \(kind) needs an input named 'features' (from \(kind == "sae-l0" ? "train-sae" : "train-flow"))")
        }
        let config = MahalanobisDetector.Config(rcond: p.double("rcond"), shrinkage: DetectorStageSupport.shrinkage(p.string("shrinkage"))!)
        var notes: [Int: String] = [:]
        for (i, l) in layers.enumerated() {
            try context.checkCancelled()
            if ActivationSet.isConstant(split.layers[l]!) { notes[l] = Self.zeroVariance(context, layer: l) }
            let out = try context.outputPath("layer.\(l).safetensors")
            let featurePath = (features?.path ?? "") + "/layer.\(l).safetensors"
            try DetectorStageSupport.wrap("\(kind) on layer \(l)") {
                let m = split.matrix(l)
                switch kind {
                case _ where Self.streamed.contains(kind):
                    var acc = CovarianceAccumulator(dimension: m.cols)
                    acc.add(m)
                    try Self.saveCovarianceDetector(kind, acc, config: config, to: out)
                case "sae-l0":
                    guard case .sae(let model) = try DetectorArchive.load(path: featurePath) else {
                        throw StageError("\(featurePath) is not a sparse autoencoder")
                    }
                    try DetectorArchive.save(.saeL0(SAEL0Detector.fit(model: model, trusted: split.layers[l]!)), to: out)
                case "flow-prior":
                    try FlowArchive.save(FlowPriorDetector(flow: try FlowArchive.load(path: featurePath).flow), to: out)
                case "flow-mahalanobis":
                    try FlowArchive.save(try FlowMahalanobisDetector.fit(flow: try FlowArchive.load(path: featurePath).flow, rows: m, config: config), to: out)
                default: throw StageError("unknown detector \(kind)")
                }
            }
            context.progress(Double(i + 1) / Double(layers.count), "layer \(l)")
        }
        try Self.writeDescription(context, kind: kind, layers: layers, rows: split.count, metadata: split.metadata, notes: notes)
    }

    /// Logs the warning for a layer of zero variance on the fit split and returns its note.
    static func zeroVariance(_ context: StageContext, layer l: Int) -> String {
        let split = context.params.string("split")
        context.log("warning: split '\(split)', tensor 'layers.\(l)' has zero variance (every row is the same): "
            + "the detector scores every row alike at this layer; its scores are marked and it is never chosen as best layer")
        return "zero variance: layers.\(l) is constant on the \(split) split: every row gets the same score"
    }

    /// Saves a detector that needs only the trusted mean and covariance.
    static func saveCovarianceDetector(_ kind: String, _ acc: CovarianceAccumulator, config: MahalanobisDetector.Config, to out: String) throws {
        switch kind {
        case "mahalanobis": try DetectorArchive.save(.mahalanobis(try MahalanobisDetector.fit(acc, config: config)), to: out)
        case "diag-mahalanobis": try DetectorArchive.save(.diagMahalanobis(try DiagMahalanobisDetector.fit(acc)), to: out)
        case "que": try DetectorArchive.save(.que(try QUEDetector.fit(acc, rcond: config.rcond)), to: out)
        default: throw StageError("\(kind) is not a covariance detector")
        }
    }

    /// detector.json: what was fitted, on which layers and rows, under which label.
    /// `notes`: layer -> why its scores are marked (zero variance).
    static func writeDescription(_ context: StageContext, kind: String, layers: [Int], rows: Int, metadata: [String: String],
                                 notes: [Int: String]) throws {
        let p = context.params, label = p.string("label")
        var meta: [String: Any] = ["detector": kind, "label": label.isEmpty ? kind : label, "layers": layers, "fitted_on": p.string("split"), "rows": rows]
        if !notes.isEmpty { meta["notes"] = Dictionary(uniqueKeysWithValues: notes.map { ("\($0.key)", $0.value) }) }
        for key in ["model", "dataset"] { if let v = metadata[key] { meta[key] = v } }
        try DetectorStageSupport.writeJSON(meta, to: try context.outputPath("detector.json"))
    }

    /// Detectors that need only the mean and covariance: fitted from a safetensors split by
    /// streaming each layer from disk in chunks (SafeTensorsRowReader), so a split larger than
    /// memory fits in the size of one chunk plus the d x d statistics.
    static let streamed: Set<String> = ["mahalanobis", "diag-mahalanobis", "que"]

    func fitStreaming(_ context: StageContext, file: String, kind: String) throws {
        let p = context.params
        let header: SafeTensorsFile
        do { header = try SafeTensorsFile(path: file) } catch { throw StageError("\(file): \(error)") }
        let prefix = ActivationSet.layerPrefix(in: header.names)
        let available = header.names.filter { $0.hasPrefix(prefix) }.compactMap { Int($0.dropFirst(prefix.count)) }.sorted()
        guard !available.isEmpty else { throw StageError("\(file): no layers.{l} (or heads.{l}) tensors") }
        let layers = try DetectorStageSupport.wrap("layers") {
            try ActivationSet.selectLayers(DetectorStageSupport.layerRequest(p["layers"]), available: available, path: file)
        }
        let config = MahalanobisDetector.Config(rcond: p.double("rcond"), shrinkage: DetectorStageSupport.shrinkage(p.string("shrinkage"))!)
        var rows = 0
        var notes: [Int: String] = [:]
        for (i, l) in layers.enumerated() {
            try context.checkCancelled()
            let out = try context.outputPath("layer.\(l).safetensors")
            try DetectorStageSupport.wrap("\(kind) on layer \(l)") {
                let reader = try SafeTensorsRowReader(path: file, tensor: prefix + "\(l)")
                rows = reader.rows
                guard rows > 0 else {
                    throw StageError("\(file): split '\(p.string("split"))', tensor '\(prefix)\(l)': zero rows; nothing to fit on")
                }
                var acc = CovarianceAccumulator(dimension: reader.columns)
                let chunk = max(1, (1 << 22) / max(reader.columns, 1))
                var start = 0
                while start < reader.rows {
                    let end = min(start + chunk, reader.rows)
                    let part = try reader.read(start..<end)
                    if let bad = part.data.firstIndex(where: { !$0.isFinite }) {
                        throw StageError("\(file): split '\(p.string("split"))', tensor '\(prefix)\(l)': "
                            + "\(part.data[bad].isNaN ? "NaN" : "infinity") at row \(start + bad / max(reader.columns, 1)); activations must be finite")
                    }
                    try acc.add(part)
                    start = end
                }
                // Zero up to the rounding of Chan's merged means (a constant row set may leave ~1e-32 m²).
                let v = acc.variances, mu = acc.mean
                if v.indices.allSatisfy({ v[$0] <= 1e-20 * mu[$0] * mu[$0] }) { notes[l] = Self.zeroVariance(context, layer: l) }
                try Self.saveCovarianceDetector(kind, acc, config: config, to: out)
            }
            context.progress(Double(i + 1) / Double(layers.count), "layer \(l)")
        }
        try Self.writeDescription(context, kind: kind, layers: layers, rows: rows, metadata: header.metadata, notes: notes)
    }
}
