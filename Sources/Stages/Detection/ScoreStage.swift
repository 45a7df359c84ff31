// ScoreStage: `kind: score` applies a fitted detector (fit-detector output) to the splits of an
// activations input and writes <split>/scores.safetensors per docs/activations.md: per-layer
// scores, their trusted-standardised mean `aggregate`, and the row label tensors. A score that is
// NaN or infinite is an error naming the split and the tensor; a layer that fit-detector noted
// (zero variance) is marked in the metadata (`note.layers.{l}`), which evaluate writes into its
// tables.
import Base
import Foundation
import PipelineCore
import Numerics
import Detectors

public struct ScoreStage: StageKind {
    public init() {}
    public let name = "score"
    public var writes: Set<Artifact>? { [.scores] }
    public let version = 3 // 3: the row columns as ActivationSet lays them out (agreement BOOL, was I64)
    public let summary = "Score activations with a fitted detector: scores.safetensors per split, per layer plus the aggregate."
    public let params: [ParamSpec] = [
        ParamSpec("splits", .stringList, default: .list([.string("validation"), .string("test")]), "Splits to score (the trusted split is always scored too: it standardises the aggregate)."),
    ]
    public var inputs: [InputSpec]? {
        [InputSpec("detector", reads: .detector, "Output of fit-detector (or a supervised train-probe)."), InputSpec("activations", reads: .activations, "Activations (docs/activations.md) with the same layers.")]
    }

    /// Per-layer scores of `split` with the detector saved in `dir`.
    static func layerScores(detectorDir dir: String, kind: String, layer l: Int, split: ActivationSplit, untrusted: ActivationSplit?) throws -> [Double] {
        let path = dir + "/layer.\(l).safetensors"
        guard let features = split.layers[l] else { throw StageError("split \(split.name) has no layer \(l)") }
        let m = split.matrix(l)
        switch kind {
        case "flow-prior": return try FlowPriorDetector(flow: FlowArchive.load(path: path).flow).scores(m)
        case "flow-mahalanobis": return try FlowArchive.loadFlowMahalanobis(path: path).scores(m)
        default: break
        }
        switch try DetectorArchive.load(path: path) {
        case .mahalanobis(let d): return try d.scores(m)
        case .diagMahalanobis(let d): return try d.scores(m)
        case .saeL0(let d): return d.scores(features)
        case .que(let d):
            guard let untrusted, untrusted.layers[l] != nil else { throw StageError("que needs the activations' untrusted split (layer \(l))") }
            return try d.scores(m, untrusted: untrusted.matrix(l))
        case .logisticProbe(let probe):
            return try probe.decision(m)
        case .sae: throw StageError("\(path) is a bare SAE; fit an sae-l0 detector on it first")
        }
    }

    public func execute(_ context: StageContext) throws {
        let det = try context.input("detector"), art = try context.input("activations")
        guard let data = FileManager.default.contents(atPath: det.path + "/detector.json"),
              let meta = try? JSONValue.parseJSON(bytes: Array(data)),
              let kind = meta["detector"]?.stringValue,
              let layers = meta["layers"]?.listValue?.compactMap(\.intValue), layers.count == meta["layers"]?.listValue?.count else {
            throw StageError("\(det.stageId): no valid detector.json (is the 'detector' input a fit-detector stage?)")
        }
        let trusted = try DetectorStageSupport.split(art, "trusted")
        let present = ActivationSet.splitNames(in: art.path)
        let untrusted = present.contains("untrusted") ? try DetectorStageSupport.split(art, "untrusted") : nil
        var wanted = context.params.strings("splits").filter { $0 != "trusted" }
        for s in wanted where !present.contains(s) { throw StageError("activations from \(art.stageId) have no split '\(s)' (present: \(present.joined(separator: ", ")))") }
        wanted = ["trusted"] + wanted
        let reference = try DetectorStageSupport.wrap("scoring trusted") {
            try layers.map { try Self.layerScores(detectorDir: det.path, kind: kind, layer: $0, split: trusted, untrusted: untrusted) }
        }
        // Layers whose activations had zero variance on the fit split (fit-detector's notes). Equal
        // trusted scores alone mark nothing: sae-l0 scores every trusted row 0 by construction.
        let notes = (meta["notes"]?.mapValue ?? []).compactMap { k, v in v.stringValue.map { (k, $0) } }
        for (i, name) in wanted.enumerated() {
            try context.checkCancelled()
            let split = name == "trusted" ? trusted : try DetectorStageSupport.split(art, name)
            let perLayer = name == "trusted" ? reference : try DetectorStageSupport.wrap("scoring \(name)") {
                try layers.map { try Self.layerScores(detectorDir: det.path, kind: kind, layer: $0, split: split, untrusted: untrusted) }
            }
            let aggregate = try DetectorStageSupport.wrap("aggregate") { try ScoreAggregation.meanOfStandardized(layers: perLayer, reference: reference) }
            for (tensor, scores) in zip(layers.map { "layers.\($0)" } + ["aggregate"], perLayer + [aggregate]) {
                if let i = scores.firstIndex(where: { !$0.isFinite }) {
                    throw StageError("split '\(name)', tensor '\(tensor)': the \(kind) detector from \(det.stageId) gives "
                        + "\(scores[i].isNaN ? "NaN" : "infinity") at row \(i); scores must be finite (is the detector file or its input broken?)")
                }
            }
            var tensors: [(name: String, value: SafeTensorValue)] = zip(layers, perLayer).map { ("layers.\($0)", .f64(shape: [$1.count], data: $1)) }
            tensors.append(("aggregate", .f64(shape: [aggregate.count], data: aggregate)))
            tensors += split.rowTensors
            var metadata = ["format": "madpipe-scores/1", "split": name, "detector": meta["label"]?.stringValue ?? kind, "layers": layers.map(String.init).joined(separator: ",")]
            for key in ["model", "dataset"] { if let v = split.metadata[key] { metadata[key] = v } }
            for (l, note) in notes { metadata["note.layers.\(l)"] = note }
            try SafeTensors.write(tensors, metadata: metadata, to: try context.outputPath("\(name)/scores.safetensors"))
            context.progress(Double(i + 1) / Double(wanted.count), name)
        }
    }
}
