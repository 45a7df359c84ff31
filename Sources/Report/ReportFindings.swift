// ReportFindings: the report's table of METHOD.md section 9's four findings, each judged on the
// truthful twins (issue 23): what was measured, the verdict, and the rule that gave it. The rules
// are fixed here, not tuned to a run; docs/findings.md quotes this table (tables/findings.csv).
// A model is quirky when its quirkiness coefficient exceeds `quirkyMin`; the twin difference is
// compare-twins' quirky AUROC minus twin AUROC on the same test prompts.

import Base
import Foundation

/// The section-9 findings table.
public enum ReportFindings {
    /// A model counts as quirky when its quirkiness coefficient (nats) exceeds this.
    public static let quirkyMin = 0.1
    /// The detector the others and the separation are compared with.
    public static let reference = "mahalanobis"
    /// Columns of tables/findings.csv.
    public static let columns = ["finding", "measured", "verdict", "rule"]

    /// Why the table cannot be made from `inputs`, or nil when it can.
    static func missing(_ inputs: ReportInputs) -> String? {
        if inputs.twins == nil { return "no twins table was given (compare-twins)" }
        if inputs.quirkiness == nil { return "no quirkiness table was given" }
        if inputs.bestLayer == nil { return "no best-layer table was given" }
        if inputs.quirkiness?.column("bob_rule") == nil { return "the quirkiness table has no bob_rule column (no truthful twins)" }
        return nil
    }

    /// The table; throws `Unavailable` with the reason when the inputs cannot give it.
    static func table(_ inputs: ReportInputs) throws -> CSVTable {
        if let why = missing(inputs) { throw Unavailable(why) }
        let twins = inputs.twins!.records, quirk = inputs.quirkiness!.records, best = inputs.bestLayer!.records
        func num(_ r: [String: String], _ c: String) -> Double? { r[c].flatMap(CSVTable.number).flatMap { $0.isFinite ? $0 : nil } }
        func md(_ r: [String: String]) -> ModelDataset { ModelDataset(model: r["model", default: ""], dataset: r["dataset", default: ""]) }

        // The quirky models: bob_rule quirky rows whose coefficient exceeds quirkyMin.
        let models = quirk.filter { $0["bob_rule"] == "quirky" }
        let quirky = Set(models.filter { (num($0, "quirkiness") ?? 0) > quirkyMin }.map(md))
        var rows: [[String]] = []

        // 1. Detectable, about mechanisms.
        let aggregate = twins.filter { $0["layer"] == "aggregate" && $0["subset"] == "all" && $0["detector"] == reference }
        let qAgg = aggregate.filter { quirky.contains(md($0)) }
        let qBest = best.filter { $0["detector"] == reference && $0["bob_rule", default: "quirky"] == "quirky" && quirky.contains(md($0)) }
            .compactMap { num($0, "test_auroc") }
        let detectRule = "reproduced when \(reference)'s mean best-layer test AUROC on the quirky models (coefficient > \(quirkyMin)) is at least 0.75, "
            + "its aggregate quirky − twin difference averages at least 0.05 over them, and its 95% interval lies above 0 for more than half of them; "
            + "'not about mechanisms' when only the AUROC holds"
        if quirky.isEmpty || qAgg.isEmpty || qBest.isEmpty {
            rows.append(["Arithmetic quirks are detectable", "no quirky model with a twin", "not testable", detectRule])
        } else {
            let auroc = mean(qBest), diffs = qAgg.compactMap { num($0, "difference") }
            let above = qAgg.filter { (num($0, "ci_low") ?? -1) > 0 }.count
            let meanDiff = mean(diffs)
            let measured = "\(reference) on \(quirky.count) quirky model\(quirky.count == 1 ? "" : "s"): best-layer test AUROC \(f3(auroc)); "
                + "quirky − twin \(signed(meanDiff)), interval above 0 for \(above) of \(qAgg.count)"
            let verdict = auroc < 0.75 ? "not reproduced"
                : (meanDiff >= 0.05 && 2 * above > qAgg.count) ? "reproduced" : "not as a finding about mechanisms"
            rows.append(["Arithmetic quirks are detectable", measured, verdict, detectRule])
        }

        // 2. Separation explains AUROC: per layer, the change in separation from twin to quirky
        // model against the change in the reference detector's AUROC.
        let sepRule = "reproduced when, across the quirky models' layers, the quirky − twin change in hidden-state separation correlates "
            + "with the quirky − twin change in \(reference)'s AUROC at r >= 0.5 (partly from 0.2)"
        struct Layer: Hashable { var md: ModelDataset; var layer: String }
        func layer(_ r: [String: String]) -> Layer { Layer(md: md(r), layer: r["layer", default: ""]) }
        var sep: [String: [Layer: Double]] = [:]  // bob_rule -> layer -> separation
        for r in inputs.separation?.records ?? [] {
            if let s = num(r, "separation") { sep[r["bob_rule", default: ""], default: [:]][layer(r)] = s }
        }
        // Per-layer rows of the quirky models only (on a model without the quirk a difference is
        // noise), in table order; the reference detector's differences by layer.
        let layerRows = twins.filter { $0["subset"] == "all" && Int($0["layer", default: ""]) != nil && quirky.contains(md($0)) }
        var ref: [Layer: Double] = [:]
        for r in layerRows where r["detector"] == reference { ref[layer(r)] = num(r, "difference") }
        var dSep: [Double] = [], dAUROC: [Double] = []
        for r in layerRows where r["detector"] == reference {
            guard let q = sep["quirky"]?[layer(r)], let t = sep["truthful"]?[layer(r)], let d = ref[layer(r)] else { continue }
            dSep.append(q - t); dAUROC.append(d)
        }
        if let r = pearson(dSep, dAUROC) {
            rows.append(["Separation explains AUROC", "r = \(signed(r)) over \(dSep.count) layers",
                         r >= 0.5 ? "reproduced" : r >= 0.2 ? "partly" : "not reproduced", sepRule])
        } else {
            rows.append(["Separation explains AUROC", "\(dSep.count) layers with separation on both models and a varying difference",
                         "not testable", sepRule])
        }

        // 3-4. A detector tracks the reference: per-layer twin differences against the reference's.
        for (finding, det) in [("flow-Mahalanobis tracks raw Mahalanobis closely", "flow-mahalanobis"),
                               ("SAE scores track raw Mahalanobis", "sae-l0")] {
            let rule = "reproduced when \(det)'s per-layer quirky − twin differences on the quirky models correlate with \(reference)'s "
                + "at r >= 0.9 with a mean absolute difference of at most 0.05 (partly when r >= 0.7)"
            var x: [Double] = [], y: [Double] = []
            for r in layerRows where r["detector"] == det {
                if let a = ref[layer(r)], let b = num(r, "difference") { x.append(a); y.append(b) }
            }
            guard let r = pearson(x, y) else {
                rows.append([finding, "\(x.count) layers with both detectors' differences, not a correlation", "not testable", rule])
                continue
            }
            let mad = mean(zip(x, y).map { abs($0 - $1) })
            rows.append([finding, "r = \(signed(r)), mean absolute difference \(f3(mad)) over \(x.count) layers",
                         r >= 0.9 && mad <= 0.05 ? "reproduced" : r >= 0.7 ? "partly" : "not reproduced", rule])
        }
        return CSVTable(header: columns, rows: rows, source: "findings")
    }

    /// Pearson's r, or nil with fewer than 3 pairs or a constant side.
    public static func pearson(_ x: [Double], _ y: [Double]) -> Double? {
        guard x.count == y.count, x.count >= 3 else { return nil }
        let mx = mean(x), my = mean(y)
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (a, b) in zip(x, y) { sxy += (a - mx) * (b - my); sxx += (a - mx) * (a - mx); syy += (b - my) * (b - my) }
        guard sxx > 0, syy > 0 else { return nil }
        return sxy / (sxx * syy).squareRoot()
    }

    static func mean(_ v: [Double]) -> Double { v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count) }
    static func f3(_ v: Double) -> String { ReportFormat.fixed(v, 3) }
    static func signed(_ v: Double) -> String { (v >= 0 ? "+" : "") + ReportFormat.fixed(v, 3) }
}
