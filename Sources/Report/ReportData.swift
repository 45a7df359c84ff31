// ReportData: the report's tables parsed into typed rows (AUROC, quirkiness, separation,
// outputs) and the derived numbers the figures and summary need (summary AUROC, losses,
// logit-level measures). Columns beyond a table's known ones are matrix axes (seed, order, ...)
// that evaluate, separation and table add to tell sweep instances apart: rows are grouped and
// labelled by them, so two seeds are two series, never one line.

import Base
import Foundation

/// A model and dataset pair, the unit most figures plot.
public struct ModelDataset: Hashable, Comparable, Sendable {
    public var model: String
    public var dataset: String
    /// "model / dataset".
    public var label: String { "\(model) / \(dataset)" }
    public static func < (a: ModelDataset, b: ModelDataset) -> Bool { (a.model, a.dataset) < (b.model, b.dataset) }
}

/// A model and dataset with the values of extra axis columns (e.g. `seed=0`), the unit the
/// quirkiness and loss figures plot.
struct Group: Hashable, Comparable {
    var md: ModelDataset
    /// The extra axis values as `axis=value` words, in column order ("" when none).
    var extras: String
    var label: String { extras.isEmpty ? md.label : "\(md.label) \(extras)" }
    static func < (a: Group, b: Group) -> Bool { (a.md, a.extras) < (b.md, b.extras) }
}

/// Extra (axis) columns of a table: the columns after its key columns (model, dataset, detector)
/// and before its first known value column (layer, auroc, quirkiness, ...), as evaluate,
/// separation and table write them; with a row's values on them.
struct ExtraColumns {
    static let keys = ReportInputs.keyColumns
    var names: [String]
    init(_ table: CSVTable?, known: [String]) {
        names = (table?.header ?? []).prefix { ExtraColumns.keys.contains($0) || !known.contains($0) }.filter { !ExtraColumns.keys.contains($0) }
    }
    func values(_ r: [String: String]) -> [String: String] {
        Dictionary(uniqueKeysWithValues: names.map { ($0, r[$0, default: ""]) })
    }
    /// `axis=value` words in column order, skipping empty values.
    func label(_ r: [String: String]) -> String {
        names.compactMap { n in r[n].flatMap { $0.isEmpty ? nil : "\(n)=\($0)" } }.joined(separator: " ")
    }
    /// True when the two rows agree on every extra column both have.
    static func compatible(_ a: [String: String], _ b: [String: String]) -> Bool {
        a.allSatisfy { k, v in b[k].map { $0 == v } ?? true }
    }
}

/// One row of auroc.csv.
struct AurocRow {
    var md: ModelDataset
    var detector: String
    /// Values of the extra axis columns (seed, ...).
    var extras: [String: String] = [:]
    /// The detector and its extra axis values, e.g. `mahalanobis seed=0`: one line or bar series.
    var series: String
    /// The layer, or nil for `aggregate` (or an unparsable layer).
    var layer: Int?
    var isAggregate: Bool
    var subset: String
    var auroc, ap, ciLow, ciHigh: Double?
}

/// One row of quirkiness.csv.
struct QuirkRow {
    var extras: [String: String] = [:]
    var aliceAccuracy, bobAccuracy, quirkiness: Double?
    /// loss_alice_own, loss_alice_other, loss_bob_own, loss_bob_other when all four are present.
    var losses: [Double]?
}

/// Logit-level measures of one per-prompt outputs table, on z = logit_yes − logit_no (or the
/// log-odds when the logit columns are absent).
public struct LogitMeasures: Equatable, Sendable {
    /// (mean z on true labels − mean z on false labels)² / var z.
    public var labelSeparation: Double
    /// Population variance of z.
    public var variance: Double
    /// (mean z on Alice's prompts − mean z on Bob's prompts)² / var z.
    public var characterSeparation: Double

    /// Computes the measures; nil without the needed columns or with fewer than two finite rows.
    public static func compute(_ t: CSVTable) -> LogitMeasures? {
        let zs: [Double?]
        if let y = t.column("logit_yes"), let n = t.column("logit_no") {
            zs = t.rows.map { r in CSVTable.number(r[y]).flatMap { a in CSVTable.number(r[n]).map { a - $0 } } }
        } else if let lo = t.column("log_odds") {
            zs = t.rows.map { CSVTable.number($0[lo]) }
        } else { return nil }
        let lab = t.column("label"), ch = t.column("character")
        var all: [Double] = [], pos: [Double] = [], neg: [Double] = [], alice: [Double] = [], bob: [Double] = []
        for (i, z) in zs.enumerated() {
            guard let z, z.isFinite else { continue }
            all.append(z)
            if let lab, let b = truthy(t.rows[i][lab]) { if b { pos.append(z) } else { neg.append(z) } }
            if let ch {
                switch t.rows[i][ch].lowercased() { case "alice": alice.append(z); case "bob": bob.append(z); default: break }
            }
        }
        guard all.count >= 2 else { return nil }
        let v = variance(all)
        func sep(_ a: [Double], _ b: [Double]) -> Double {
            guard !a.isEmpty, !b.isEmpty, v > 0 else { return .nan }
            let d = mean(a) - mean(b)
            return d * d / v
        }
        return LogitMeasures(labelSeparation: sep(pos, neg), variance: v, characterSeparation: sep(alice, bob))
    }

    static func mean(_ a: [Double]) -> Double { a.reduce(0, +) / Double(a.count) }
    static func variance(_ a: [Double]) -> Double {
        let m = mean(a)
        return a.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(a.count)
    }
    /// "1"/"true"/"yes" -> true, "0"/"false"/"no" -> false, else nil.
    static func truthy(_ s: String) -> Bool? {
        switch s.trimmingCharacters(in: .whitespaces).lowercased() {
        case "1", "true", "yes", "1.0": return true
        case "0", "false", "no", "0.0": return false
        default: return nil
        }
    }
}

/// A per-prompt outputs table with the model and dataset its name matched, if any.
struct OutputTable {
    var name: String
    var table: CSVTable
    var md: ModelDataset?
    /// "model / dataset" and the other axis values of the instance its name holds
    /// (`logits[model=llama,dataset=addition,bob_rule=truthful]/...`), so that a quirky model's
    /// panel and its twin's are told apart; the name itself when it matched no model and dataset.
    var label: String {
        guard let md else { return name }
        let extras = ReportInputs.instanceAssignment(name).filter { !["model", "dataset"].contains($0.0) }
        return ([md.label] + extras.map { "\($0.0)=\($0.1)" }).joined(separator: " ")
    }
}

/// Typed, joined views of the report's tables.
struct ReportData {
    var auroc: CSVTable?
    var quirkiness: CSVTable?
    var separation: CSVTable?
    var aurocRows: [AurocRow] = []
    var quirk: [Group: QuirkRow] = [:]
    var separationRows: [(md: ModelDataset, layer: Int, s: Double, extras: [String: String])] = []
    var outputs: [OutputTable] = []

    init(_ inputs: ReportInputs) {
        auroc = inputs.auroc
        quirkiness = inputs.quirkiness
        separation = inputs.separation
        if let t = inputs.auroc {
            let extra = ExtraColumns(t, known: ReportInputs.aurocColumns + ["note"])
            for r in t.records {
                let layerText = r["layer", default: ""].trimmingCharacters(in: .whitespaces)
                let label = extra.label(r), detector = r["detector", default: ""]
                aurocRows.append(AurocRow(md: ModelDataset(model: r["model", default: ""], dataset: r["dataset", default: ""]),
                                          detector: detector, extras: extra.values(r),
                                          series: label.isEmpty ? detector : "\(detector) \(label)", layer: Int(layerText),
                                          isAggregate: layerText.lowercased() == "aggregate",
                                          subset: r["subset", default: ""].lowercased(),
                                          auroc: num(r["auroc"]), ap: num(r["ap"]), ciLow: num(r["ci_low"]), ciHigh: num(r["ci_high"])))
            }
        }
        if let t = inputs.quirkiness {
            let losses = ["loss_alice_own", "loss_alice_other", "loss_bob_own", "loss_bob_other"]
            let extra = ExtraColumns(t, known: ReportInputs.quirkinessColumns + losses + ["note"])
            for r in t.records {
                let md = ModelDataset(model: r["model", default: ""], dataset: r["dataset", default: ""])
                let l = losses.map { num(r[$0]) }
                quirk[Group(md: md, extras: extra.label(r))] = QuirkRow(extras: extra.values(r), aliceAccuracy: num(r["alice_accuracy"]), bobAccuracy: num(r["bob_accuracy"]),
                                     quirkiness: num(r["quirkiness"]), losses: l.allSatisfy { $0 != nil } ? l.map { $0! } : nil)
            }
        }
        if let t = inputs.separation {
            let extra = ExtraColumns(t, known: ReportInputs.separationColumns + ["note"])
            for r in t.records {
                guard let layer = Int(r["layer", default: ""].trimmingCharacters(in: .whitespaces)), let s = num(r["separation"]) else { continue }
                separationRows.append((ModelDataset(model: r["model", default: ""], dataset: r["dataset", default: ""]), layer, s, extra.values(r)))
            }
        }
        let known = Set(aurocRows.map(\.md) + quirk.keys.map(\.md) + separationRows.map { $0.md }).sorted()
        outputs = inputs.outputs.sorted { $0.name < $1.name }.map { OutputTable(name: $0.name, table: $0.table, md: ReportData.match($0.name, known)) }
    }

    private func num(_ s: String?) -> Double? { s.flatMap(CSVTable.number) }

    /// Sorted distinct values.
    static func unique<T: Comparable & Hashable>(_ xs: [T]) -> [T] { Set(xs).sorted() }

    /// The model and dataset whose names both occur in `name` (the longest such pair), if any.
    static func match(_ name: String, _ known: [ModelDataset]) -> ModelDataset? {
        let hits = known.filter { !$0.model.isEmpty && !$0.dataset.isEmpty && name.contains($0.model) && name.contains($0.dataset) }
        return hits.max { ($0.model.count + $0.dataset.count, $1.label) < ($1.model.count + $1.dataset.count, $0.label) }
    }

    /// Series (detector and extra axis values) in the AUROC table, sorted.
    var series: [String] { ReportData.unique(aurocRows.map(\.series)) }

    /// The series' AUROC on the layer-aggregated score, else its mean AUROC over layers
    /// (subset all).
    func summaryAUROC(_ md: ModelDataset, _ series: String) -> Double? {
        let rows = aurocRows.filter { $0.md == md && $0.series == series && $0.subset == "all" }
        if let a = rows.first(where: \.isAggregate)?.auroc { return a }
        return meanLayerAUROC(md, series)
    }

    /// Mean AUROC over the numbered layers (subset all) of a series, or nil.
    func meanLayerAUROC(_ md: ModelDataset, _ series: String) -> Double? {
        let v = aurocRows.filter { $0.md == md && $0.series == series && $0.subset == "all" && $0.layer != nil }.compactMap(\.auroc)
        return v.isEmpty ? nil : v.reduce(0, +) / Double(v.count)
    }

    /// Extra axis values of a series (those of its first row).
    func extras(ofSeries series: String) -> [String: String] { aurocRows.first { $0.series == series }?.extras ?? [:] }

    /// (separation, AUROC) for every model, dataset and layer of a series present in both tables;
    /// a separation row matches when it agrees on the extra axis columns both tables have.
    func separationPoints(series: String) -> [(Double, Double)] {
        aurocRows.filter { $0.series == series && $0.subset == "all" && $0.layer != nil }
            .sorted { ($0.md, $0.layer!) < ($1.md, $1.layer!) }
            .compactMap { r in
                guard let a = r.auroc, let x = separationRows.first(where: {
                    $0.md == r.md && $0.layer == r.layer! && ExtraColumns.compatible($0.extras, r.extras)
                })?.s else { return nil }
                return (x, a)
            }
    }

    /// Mean losses per model and dataset: Alice own, Alice other, Bob own, Bob other. From the
    /// quirkiness table's loss columns, else from outputs tables with loss_alice and loss_bob.
    var lossTable: [Group: [Double]] {
        var out: [Group: [Double]] = [:]
        for (g, q) in quirk { if let l = q.losses { out[g] = l } }
        if !out.isEmpty { return out }
        for o in outputs {
            guard let md = o.md, let ch = o.table.column("character"), let la = o.table.column("loss_alice"),
                  let lb = o.table.column("loss_bob") else { continue }
            var sums = [Double](repeating: 0, count: 4), counts = [Double](repeating: 0, count: 4)
            for r in o.table.rows {
                guard let a = CSVTable.number(r[la]), let b = CSVTable.number(r[lb]) else { continue }
                switch r[ch].lowercased() {
                case "alice": sums[0] += a; counts[0] += 1; sums[1] += b; counts[1] += 1
                case "bob": sums[2] += b; counts[2] += 1; sums[3] += a; counts[3] += 1
                default: break
                }
            }
            if counts.allSatisfy({ $0 > 0 }) { out[Group(md: md, extras: "")] = zip(sums, counts).map { $0 / $1 } }
        }
        return out
    }

    /// (model/dataset, logit measures, largest separation over layers) for each matched
    /// outputs table.
    var logitPoints: [(ModelDataset, LogitMeasures, Double)] {
        outputs.compactMap { o in
            guard let md = o.md, let m = LogitMeasures.compute(o.table) else { return nil }
            // The separation of this instance's own model: a twin's outputs pair with the twin's
            // separation rows, not its quirky model's (the axes both name must agree).
            let axes = Dictionary(ReportInputs.instanceAssignment(o.name), uniquingKeysWith: { a, _ in a })
            let s = separationRows.filter { $0.md == md && ExtraColumns.compatible($0.extras, axes) }.map { $0.s }
            guard let peak = s.max() else { return nil }
            return (md, m, peak)
        }
    }
}
