// EvaluateStage: `kind: evaluate` gathers score outputs (over models, datasets, detectors, seeds,
// ...) and writes auroc.csv (AUROC, AP and a seeded stratified bootstrap CI per layer and subset
// on the test split), best-layer.csv (layer chosen on the validation split, reported on test) and
// auroc.json with the same numbers. Every row carries the matrix axes that tell its input apart
// (Provenance) and a `note` saying why a number is NaN or marked; a split without rows or with one
// class, or a non-finite score, is an error naming the input, the split and the tensor.
import Foundation
import PipelineCore
import Numerics
import Detectors

public struct EvaluateStage: StageKind {
    public init() {}
    public let name = "evaluate"
    public var writes: Set<Artifact>? { [] }
    public var acceptsPartialGather: Bool { true }
    public let version = 4
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

    /// The key columns every evaluation table starts with; the distinguishing matrix axes of the
    /// gathered score inputs (Provenance) follow them.
    public static let keyColumns = ["model", "dataset", "detector"]
    /// The columns of auroc.csv after the key and axis columns.
    public static let aurocColumns = ["layer", "subset", "auroc", "ap", "ci_low", "ci_high", "note"]
    /// The columns of best-layer.csv after the key and axis columns.
    public static let bestColumns = ["best_layer", "validation_auroc", "test_auroc", "ap", "ci_low", "ci_high", "note"]
    /// The columns of auroc.csv, in order, for the given axis columns.
    public static func columns(axes: [String] = []) -> [String] { keyColumns + axes + aurocColumns }

    public func validate(_ params: Params, at location: SourceLocation) throws {
        if params.int("resamples") < 1 { throw PipelineError.invalidValue(location, field: "resamples", problem: "must be at least 1") }
        let c = params.double("confidence")
        if !(c > 0 && c < 1) { throw PipelineError.invalidValue(location, field: "confidence", problem: "must lie in (0, 1)") }
    }

    /// Every input, whatever its name, reads score outputs.
    public func checkWiring(_ params: Params, inputs: [WiredInput], at location: SourceLocation) throws {
        for w in inputs where !w.mayHold(.scores) {
            throw PipelineError.invalidValue(w.location, field: "inputs.\(w.name)", problem:
                "evaluate reads scores from every input, but stage '\(w.stage)' is kind \(w.kind.name), which does not write scores; "
                + "wire a score stage (or a command writing scores) here")
        }
    }

    struct Metrics { var auroc = Double.nan, ap = Double.nan, low = Double.nan, high = Double.nan, note = "" }

    /// AUROC, AP and the bootstrap interval; a subset without rows or with one class gets NaN
    /// metrics and a note saying so.
    func metrics(_ scores: [Double], _ labels: [Bool], subset: String, resamples: Int, confidence: Double, seed: UInt64) throws -> Metrics {
        let pos = labels.filter { $0 }.count
        if labels.isEmpty { return Metrics(note: "subset \(subset) has no rows: AUROC undefined") }
        guard pos > 0, pos < labels.count else {
            return Metrics(note: "subset \(subset) has one class (\(labels.count - pos) Alice and \(pos) Bob rows): AUROC undefined")
        }
        let ci = try BootstrapInterval.compute(scores: scores, labels: labels, resamples: resamples, confidence: confidence, seed: seed)
        return Metrics(auroc: ci.estimate, ap: try RankingMetrics.averagePrecision(scores: scores, labels: labels), low: ci.lower, high: ci.upper)
    }

    /// One split of a score artifact, checked: rows present, both characters, finite scores.
    struct ScoreSplit {
        let stageId: String, split: String, file: SafeTensorsFile
        let character: [Bool], agreement: [Bool]

        /// Opens `<split>/scores.safetensors` of `art`; nil when the split was not scored.
        static func open(_ art: InputArtifact, _ split: String) throws -> ScoreSplit? {
            let path = art.path + "/\(split)/scores.safetensors"
            guard FileManager.default.fileExists(atPath: path) else { return nil }
            let where_ = "\(art.stageId): split '\(split)'"
            return try DetectorStageSupport.wrap("\(where_) (\(path))") {
                let file = try SafeTensorsFile(path: path)
                let character = try file.int64s("character").data
                guard !character.isEmpty else {
                    throw StageError("\(where_), tensor 'character': zero rows; there is nothing to evaluate (\(path))")
                }
                let bob = character.filter { $0 == 1 }.count
                guard bob > 0, bob < character.count else {
                    throw StageError("\(where_), tensor 'character': one class only (\(character.count - bob) Alice, \(bob) Bob rows); "
                        + "AUROC compares Bob's rows with Alice's and needs both. Check how the split was built (\(path))")
                }
                let agreement = try file.int64s("agreement").data.map { $0 != 0 }
                guard agreement.count == character.count else {
                    throw StageError("\(where_), tensor 'agreement': \(agreement.count) rows but 'character' has \(character.count) (\(path))")
                }
                return ScoreSplit(stageId: art.stageId, split: split, file: file, character: character.map { $0 == 1 }, agreement: agreement)
            }
        }

        /// The scores of `tensor` (`layers.{l}` or `aggregate`), checked finite and of the right length.
        func scores(_ tensor: String) throws -> [Double] {
            let where_ = "\(stageId): split '\(split)', tensor '\(tensor)'"
            let v = try DetectorStageSupport.wrap("\(where_) (\(file.path))") { try file.doubles(tensor).data }
            guard v.count == character.count else {
                throw StageError("\(where_): \(v.count) scores but \(character.count) rows (\(file.path))")
            }
            if let i = v.firstIndex(where: { !$0.isFinite }) {
                throw StageError("\(where_): \(v[i].isNaN ? "NaN" : "infinity") at row \(i); scores must be finite "
                    + "(the detector that wrote them or its input is broken) (\(file.path))")
            }
            return v
        }

        /// The score file's note on a layer (e.g. zero variance), or "".
        func note(_ layer: String) -> String { file.metadata["note.layers.\(layer)"] ?? "" }
    }

    public func execute(_ context: StageContext) throws {
        let p = context.params, f = DetectorStageSupport.fmt
        let resamples = p.int("resamples"), confidence = p.double("confidence"), seed = UInt64(bitPattern: Int64(p.int("seed")))
        // Inputs in name order, each input's artifacts in plan order: a deterministic row order.
        let arts = context.inputs.keys.sorted().flatMap { context.inputs[$0]! }
        guard !arts.isEmpty else { throw StageError("no score inputs (name score stages under inputs)") }
        // Every input's test split first: its checks, and the key columns the axis columns extend.
        let tests = try arts.map { art -> ScoreSplit in
            guard let test = try ScoreSplit.open(art, p.string("split")) else {
                throw StageError("\(art.stageId) has no \(p.string("split"))/scores.safetensors")
            }
            return test
        }
        let baseKeys = zip(arts, tests).map { art, test in
            Self.keyColumns.map { DetectorStageSupport.axis(art, $0) ?? test.file.metadata[$0] ?? "" }
        }
        let provenance = Provenance(arts, fixed: Self.keyColumns, keys: baseKeys)
        let keyHeader = Self.keyColumns + provenance.axes
        var csv = (keyHeader + Self.aurocColumns).map(csvField).joined(separator: ",") + "\n"
        var best = (keyHeader + Self.bestColumns).map(csvField).joined(separator: ",") + "\n"
        var jsonRows: [[String: Any]] = [], jsonBest: [[String: Any]] = []
        var keys = TableKeys(table: "auroc.csv", columns: keyHeader)
        for (n, art) in arts.enumerated() {
            try context.checkCancelled()
            let test = tests[n], meta = test.file.metadata
            let key = baseKeys[n] + provenance.values(art)
            try keys.add(key, from: art.stageId)
            let keyObject = Dictionary(uniqueKeysWithValues: zip(keyHeader, key).map { ($0, $1 as Any) })
            let prefix = key.map(csvField).joined(separator: ",")
            let layerNames = (meta["layers"] ?? "").split(separator: ",").map(String.init) + ["aggregate"]
            var testAll: [String: Metrics] = [:]
            for layer in layerNames {
                let scores = try test.scores(layer == "aggregate" ? "aggregate" : "layers.\(layer)")
                for subset in ["all", "agree", "disagree"] {
                    let idx = scores.indices.filter { subset == "all" || test.agreement[$0] == (subset == "agree") }
                    var m = try DetectorStageSupport.wrap("\(art.stageId) layer \(layer) \(subset)") {
                        try metrics(idx.map { scores[$0] }, idx.map { test.character[$0] }, subset: subset,
                                    resamples: resamples, confidence: confidence, seed: seed)
                    }
                    m.note = [test.note(layer), m.note].filter { !$0.isEmpty }.joined(separator: "; ")
                    guard m.auroc.isFinite || !m.note.isEmpty else {
                        throw StageError("\(art.stageId): split '\(test.split)', layer \(layer), subset \(subset): the AUROC is not finite")
                    }
                    if subset == "all" { testAll[layer] = m }
                    csv += "\(prefix),\(layer),\(subset),\(f(m.auroc)),\(f(m.ap)),\(f(m.low)),\(f(m.high)),\(csvField(m.note))\n"
                    jsonRows.append(keyObject.merging(["layer": layer, "subset": subset, "auroc": f(m.auroc), "ap": f(m.ap),
                                                       "ci_low": f(m.low), "ci_high": f(m.high), "note": m.note]) { a, _ in a })
                }
            }
            guard let sel = try ScoreSplit.open(art, p.string("selection_split")) else {
                context.log("\(art.stageId): no \(p.string("selection_split")) split; no best layer")
                continue
            }
            // Layers with a note (zero variance) score every row alike: never chosen.
            var chosen: (layer: String, auroc: Double)? = nil
            let candidates = layerNames.filter { $0 != "aggregate" && sel.note($0).isEmpty && test.note($0).isEmpty }
            for layer in candidates {
                let a = try RankingMetrics.auroc(scores: try sel.scores("layers.\(layer)"), labels: sel.character)
                if chosen == nil || a > chosen!.auroc { chosen = (layer, a) }
            }
            let m = chosen.flatMap { testAll[$0.layer] } ?? Metrics()
            let note = chosen == nil ? "no layer to choose: every layer is marked (see auroc.csv)" : m.note
            let layer = chosen?.layer ?? "", va = chosen?.auroc ?? .nan
            best += "\(prefix),\(layer),\(f(va)),\(f(m.auroc)),\(f(m.ap)),\(f(m.low)),\(f(m.high)),\(csvField(note))\n"
            jsonBest.append(keyObject.merging(["best_layer": layer, "validation_auroc": f(va), "test_auroc": f(m.auroc), "ap": f(m.ap),
                                               "ci_low": f(m.low), "ci_high": f(m.high), "note": note]) { a, _ in a })
        }
        try Data(csv.utf8).write(to: URL(fileURLWithPath: try context.outputPath("auroc.csv")))
        try Data(best.utf8).write(to: URL(fileURLWithPath: try context.outputPath("best-layer.csv")))
        try DetectorStageSupport.writeJSON(["rows": jsonRows, "best_layer": jsonBest, "axes": provenance.axes,
                                            "resamples": resamples, "confidence": f(confidence)],
                                           to: try context.outputPath("auroc.json"))
    }

    /// Quotes a CSV field when it holds a comma, quote or newline.
    func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
