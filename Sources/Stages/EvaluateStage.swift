// EvaluateStage: `kind: evaluate` gathers score outputs (over models, datasets, detectors) and
// writes auroc.csv (AUROC, AP and a seeded stratified bootstrap CI per layer and subset on the
// test split), best-layer.csv (layer chosen on the validation split, reported on test) and
// auroc.json with the same numbers.
import Foundation
import PipelineCore
import Numerics
import Detectors

public struct EvaluateStage: StageKind {
    public init() {}
    public let name = "evaluate"
    public let version = 2
    public let summary = "AUROC/AP with bootstrap CIs per layer and subset (all/agree/disagree), and the validation-selected best layer."
    public let params: [ParamSpec] = [
        ParamSpec("resamples", .int, default: .int(1000), "Bootstrap resamples for the confidence interval."),
        ParamSpec("confidence", .double, default: .double(0.95), "Confidence level of the interval."),
        ParamSpec("seed", .int, default: .int(0), "Bootstrap seed."),
        ParamSpec("split", .string, default: .string("test"), "Split the metrics are reported on."),
        ParamSpec("selection_split", .string, default: .string("validation"), "Split the best layer is chosen on."),
    ]
    /// Any input names: every input is a score output (one, or several gathered over matrix
    /// axes), so one evaluation can cover several score stages:
    /// `inputs: [score-mahalanobis, score-sae]` or `inputs: {scores: score}`.
    public var inputs: [InputSpec]? { nil }

    /// The columns of auroc.csv, in order.
    public static let columns = ["model", "dataset", "detector", "layer", "subset", "auroc", "ap", "ci_low", "ci_high"]
    /// The columns of best-layer.csv, in order.
    public static let bestColumns = ["model", "dataset", "detector", "best_layer", "validation_auroc", "test_auroc", "ap", "ci_low", "ci_high"]

    public func validate(_ params: Params, at location: SourceLocation) throws {
        if params.int("resamples") < 1 { throw PipelineError.invalidValue(location, field: "resamples", problem: "must be at least 1") }
        let c = params.double("confidence")
        if !(c > 0 && c < 1) { throw PipelineError.invalidValue(location, field: "confidence", problem: "must lie in (0, 1)") }
    }

    struct Metrics { var auroc = Double.nan, ap = Double.nan, low = Double.nan, high = Double.nan }

    func metrics(_ scores: [Double], _ labels: [Bool], resamples: Int, confidence: Double, seed: UInt64) throws -> Metrics {
        let pos = labels.filter { $0 }.count
        guard pos > 0, pos < labels.count else { return Metrics() }
        let ci = try BootstrapInterval.compute(scores: scores, labels: labels, resamples: resamples, confidence: confidence, seed: seed)
        return Metrics(auroc: ci.estimate, ap: try RankingMetrics.averagePrecision(scores: scores, labels: labels), low: ci.lower, high: ci.upper)
    }

    public func execute(_ context: StageContext) throws {
        let p = context.params, f = DetectorStageSupport.fmt
        let resamples = p.int("resamples"), confidence = p.double("confidence"), seed = UInt64(bitPattern: Int64(p.int("seed")))
        var csv = Self.columns.joined(separator: ",") + "\n", best = Self.bestColumns.joined(separator: ",") + "\n"
        var jsonRows: [[String: Any]] = [], jsonBest: [[String: Any]] = []
        // Inputs in name order, each input's artifacts in plan order: a deterministic row order.
        let arts = context.inputs.keys.sorted().flatMap { context.inputs[$0]! }
        guard !arts.isEmpty else { throw StageError("no score inputs (name score stages under inputs)") }
        for art in arts {
            try context.checkCancelled()
            func open(_ split: String) throws -> SafeTensorsFile? {
                let path = art.path + "/\(split)/scores.safetensors"
                guard FileManager.default.fileExists(atPath: path) else { return nil }
                return try DetectorStageSupport.wrap(path) { try SafeTensorsFile(path: path) }
            }
            guard let test = try open(p.string("split")) else { throw StageError("\(art.stageId) has no \(p.string("split"))/scores.safetensors") }
            let model = DetectorStageSupport.axis(art, "model") ?? test.metadata["model"] ?? ""
            let dataset = DetectorStageSupport.axis(art, "dataset") ?? test.metadata["dataset"] ?? ""
            let detector = DetectorStageSupport.axis(art, "detector") ?? test.metadata["detector"] ?? ""
            let layerNames = (test.metadata["layers"] ?? "").split(separator: ",").map(String.init) + ["aggregate"]
            func column(_ file: SafeTensorsFile, _ name: String) throws -> [Double] {
                try DetectorStageSupport.wrap("\(file.path)") { try file.doubles(name).data }
            }
            let character = try DetectorStageSupport.wrap(test.path) { try test.int64s("character").data.map { $0 == 1 } }
            let agreement = try DetectorStageSupport.wrap(test.path) { try test.int64s("agreement").data.map { $0 != 0 } }
            let prefix = [model, dataset, detector].map(csvField).joined(separator: ",")
            var testAll: [String: Metrics] = [:]
            for layer in layerNames {
                let tensor = layer == "aggregate" ? "aggregate" : "layers.\(layer)"
                let scores = try column(test, tensor)
                for subset in ["all", "agree", "disagree"] {
                    let idx = scores.indices.filter { subset == "all" || agreement[$0] == (subset == "agree") }
                    let m = try DetectorStageSupport.wrap("\(art.stageId) layer \(layer) \(subset)") {
                        try metrics(idx.map { scores[$0] }, idx.map { character[$0] }, resamples: resamples, confidence: confidence, seed: seed)
                    }
                    if subset == "all" { testAll[layer] = m }
                    csv += "\(prefix),\(layer),\(subset),\(f(m.auroc)),\(f(m.ap)),\(f(m.low)),\(f(m.high))\n"
                    jsonRows.append(["model": model, "dataset": dataset, "detector": detector, "layer": layer, "subset": subset,
                                     "auroc": f(m.auroc), "ap": f(m.ap), "ci_low": f(m.low), "ci_high": f(m.high)])
                }
            }
            if let sel = try open(p.string("selection_split")) {
                let selChar = try DetectorStageSupport.wrap(sel.path) { try sel.int64s("character").data.map { $0 == 1 } }
                var chosen: (layer: String, auroc: Double)? = nil
                for layer in layerNames where layer != "aggregate" {
                    let s = try column(sel, "layers.\(layer)")
                    guard selChar.contains(true), selChar.contains(false) else { break }
                    let a = try RankingMetrics.auroc(scores: s, labels: selChar)
                    if chosen == nil || a > chosen!.auroc { chosen = (layer, a) }
                }
                if let chosen, let m = testAll[chosen.layer] {
                    best += "\(prefix),\(chosen.layer),\(f(chosen.auroc)),\(f(m.auroc)),\(f(m.ap)),\(f(m.low)),\(f(m.high))\n"
                    jsonBest.append(["model": model, "dataset": dataset, "detector": detector, "best_layer": chosen.layer,
                                     "validation_auroc": f(chosen.auroc), "test_auroc": f(m.auroc), "ap": f(m.ap), "ci_low": f(m.low), "ci_high": f(m.high)])
                }
            } else {
                context.log("\(art.stageId): no \(p.string("selection_split")) split; no best layer")
            }
        }
        try Data(csv.utf8).write(to: URL(fileURLWithPath: try context.outputPath("auroc.csv")))
        try Data(best.utf8).write(to: URL(fileURLWithPath: try context.outputPath("best-layer.csv")))
        try DetectorStageSupport.writeJSON(["rows": jsonRows, "best_layer": jsonBest, "resamples": resamples, "confidence": f(confidence)],
                                           to: try context.outputPath("auroc.json"))
    }

    /// Quotes a CSV field when it holds a comma, quote or newline.
    func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
