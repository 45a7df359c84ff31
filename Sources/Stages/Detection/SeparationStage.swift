// SeparationStage: `kind: separation` measures how far apart Alice and Bob rows lie per layer on
// the test split (||mu_A - mu_B||^2 / tr Sigma_pooled and between/total variance) -> separation.csv,
// one row per input and layer, keyed by model, dataset and the axes that tell the inputs apart; a
// layer of zero variance gets NaN with a note, a split with one class is an error.
import Foundation
import PipelineCore
import Numerics
import Detectors

public struct SeparationStage: StageKind {
    public init() {}
    public let name = "separation"
    public var writes: Set<Artifact>? { [] }
    public var acceptsPartialGather: Bool { true }
    public let version = 2
    public let summary = "Hidden-state separation of Alice vs Bob per layer (separation.csv)."
    public let params: [ParamSpec] = [
        ParamSpec("split", .string, default: .string("test"), "Split measured."),
        ParamSpec("layers", .any, default: .string("all"), "\"all\" or a list of layer indices."),
    ]
    public var inputs: [InputSpec]? { [InputSpec("activations", reads: .activations, "Activations (one, or several gathered over models/datasets).")] }

    /// The key columns separation.csv starts with; the distinguishing matrix axes of the gathered
    /// activations (Provenance) follow them.
    public static let keyColumns = ["model", "dataset"]
    /// The columns of separation.csv after the key and axis columns.
    public static let valueColumns = ["layer", "separation", "between_total_ratio", "note"]

    public func validate(_ params: Params, at location: SourceLocation) throws {
        try DetectorStageSupport.validateLayers(params["layers"], at: location)
    }

    public func execute(_ context: StageContext) throws {
        let arts = context.inputs["activations"] ?? []
        let splitName = context.params.string("split")
        let baseKeys = try arts.map { art in
            let meta = try DetectorStageSupport.wrap("input from \(art.stageId)") { try ActivationSet.metadata(root: art.path, split: splitName) }
            return Self.keyColumns.map { DetectorStageSupport.axis(art, $0) ?? meta[$0] ?? "" }
        }
        let provenance = Provenance(arts, fixed: Self.keyColumns, keys: baseKeys)
        let keyHeader = Self.keyColumns + provenance.axes
        var csv = (keyHeader + Self.valueColumns).map(TableStage.csvField).joined(separator: ",") + "\n"
        var keys = TableKeys(table: "separation.csv", columns: keyHeader)
        for (n, art) in arts.enumerated() {
            let split = try DetectorStageSupport.split(art, splitName)
            let layers = try DetectorStageSupport.wrap("layers") {
                try ActivationSet.selectLayers(DetectorStageSupport.layerRequest(context.params["layers"]), available: split.layerIndices, path: art.path)
            }
            let key = baseKeys[n] + provenance.values(art)
            try keys.add(key, from: art.stageId)
            let alice = split.character.indices.filter { split.character[$0] == 0 }, bob = split.character.indices.filter { split.character[$0] == 1 }
            guard !alice.isEmpty, !bob.isEmpty else {
                throw StageError("\(art.stageId): split '\(splitName)', tensor 'character': one class only (\(alice.count) Alice, \(bob.count) Bob rows); "
                    + "separation compares Alice's rows with Bob's and needs both")
            }
            for l in layers {
                let m = split.matrix(l)
                func pick(_ idx: [Int]) -> Matrix64 { Matrix64(rows: idx.count, cols: m.cols, data: idx.flatMap { m.row($0) }) }
                let (a, b) = (pick(alice), pick(bob))
                var (s, r) = try DetectorStageSupport.wrap("\(art.stageId) layer \(l)") {
                    (try SeparationAnalysis.hiddenStateSeparation(a, b), try SeparationAnalysis.betweenOverTotalVariance(a, b))
                }
                var note = ""
                if m.data.allSatisfy({ $0 == m.data[0] }) || !(s.isFinite && r.isFinite) {
                    // Zero total variance: every row is the same point, so S = 0 / 0.
                    context.log("warning: \(art.stageId): split '\(splitName)', layers.\(l) has zero variance; separation undefined")
                    (s, r) = (.nan, .nan)
                    note = "zero variance: every row of layers.\(l) is the same; separation undefined"
                }
                csv += (key + ["\(l)", DetectorStageSupport.fmt(s), DetectorStageSupport.fmt(r), note]).map(TableStage.csvField).joined(separator: ",") + "\n"
            }
        }
        try Data(csv.utf8).write(to: URL(fileURLWithPath: try context.outputPath("separation.csv")))
    }
}
