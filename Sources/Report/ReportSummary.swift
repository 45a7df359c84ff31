// ReportSummary: the report's headline table: per model, dataset and detector, the mean AUROC
// over layers, the aggregated AUROC, and the best layer chosen on validation with its AUROCs.

import Base
import Foundation

/// Builds the summary table of mean and best-layer AUROC.
public enum ReportSummary {
    /// Columns of the summary table; the extra axis columns of the AUROC and best-layer tables
    /// (seed, ...) follow `detector`.
    public static let columns = ["model", "dataset", "detector", "mean_auroc", "aggregate_auroc", "aggregate_auroc_agree",
                                 "aggregate_auroc_disagree", "best_layer", "validation_auroc", "test_auroc"]

    /// One row per (model, dataset, detector, extra axis values) found in either the AUROC or the
    /// best-layer table, sorted. Missing values are empty. The best layer is the one best-layer.csv
    /// names (chosen on validation); it is never recomputed from test AUROCs.
    public static func table(_ inputs: ReportInputs) -> CSVTable {
        let d = ReportData(inputs)
        let aurocExtra = ExtraColumns(inputs.auroc, known: ReportInputs.aurocColumns + ["note"])
        let bestExtra = ExtraColumns(inputs.bestLayer, known: ReportInputs.bestLayerColumns + ["ap", "ci_low", "ci_high", "note"])
        let extras = aurocExtra.names + bestExtra.names.filter { !aurocExtra.names.contains($0) }
        struct Best { var layer: String; var validation: Double?; var test: Double? }
        var best: [[String]: Best] = [:]
        var series: [[String]: String] = [:]  // key -> the auroc rows' series
        for r in d.aurocRows { series[[r.md.model, r.md.dataset, r.detector] + extras.map { r.extras[$0, default: ""] }] = r.series }
        var keys = Set(series.keys)
        for r in inputs.bestLayer?.records ?? [] {
            let k = [r["model", default: ""], r["dataset", default: ""], r["detector", default: ""]] + extras.map { r[$0, default: ""] }
            keys.insert(k)
            best[k] = Best(layer: r["best_layer", default: ""], validation: r["validation_auroc"].flatMap(CSVTable.number),
                           test: r["test_auroc"].flatMap(CSVTable.number))
        }
        var rows: [[String]] = []
        for k in keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            let md = ModelDataset(model: k[0], dataset: k[1])
            let s = series[k]
            func agg(_ subset: String) -> Double? {
                d.aurocRows.first { $0.md == md && $0.series == s && $0.subset == subset && $0.isAggregate }?.auroc
            }
            let b = best[k]
            rows.append(k + [cell(s.flatMap { d.meanLayerAUROC(md, $0) }), cell(agg("all")), cell(agg("agree")), cell(agg("disagree")),
                             b?.layer ?? "", cell(b?.validation), cell(b?.test)])
        }
        return CSVTable(header: Array(columns.prefix(3)) + extras + columns.dropFirst(3), rows: rows, source: "summary")
    }

    static func cell(_ v: Double?) -> String { v.map { ReportFormat.fixed($0, 4) } ?? "" }
}
