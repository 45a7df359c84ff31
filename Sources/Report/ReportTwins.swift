// ReportTwins: the report's answer to METHOD.md's question (issue 23), from compare-twins'
// twins.csv: a figure of the quirky-minus-twin AUROC difference per layer with its paired
// bootstrap interval (one panel per model and dataset, one line per detector), and the table of
// the aggregate differences. A detector that finds Bob's mechanism has a positive difference;
// one that flags Bob's held-out names on the twin as well has none.

import Base
import Foundation
import Plot

extension ReportInputs {
    /// The columns twins.csv must have to be shown.
    public static let twinColumns = ["model", "dataset", "detector", "layer", "subset", "quirky_auroc", "twin_auroc",
                                     "difference", "ci_low", "ci_high"]
}

/// The twins figure and table.
enum ReportTwins {
    /// Rows of `subset` all, as records.
    static func rows(_ t: CSVTable) -> [[String: String]] { t.records.filter { $0["subset"] == "all" } }

    /// "model / dataset" and the extra axis words of a row.
    static func group(_ r: [String: String], _ extra: ExtraColumns) -> String {
        let md = ModelDataset(model: r["model", default: ""], dataset: r["dataset", default: ""]).label
        let x = extra.label(r)
        return x.isEmpty ? md : "\(md) \(x)"
    }

    /// The figure: AUROC(quirky) - AUROC(twin) per layer, subset all, with the paired 95% band.
    static func figure(_ inputs: ReportInputs) -> ReportFigure {
        ReportFigures.figure("twin-difference", "Quirky model minus truthful twin",
                             "AUROC on the quirky model minus AUROC on its truthful twin (same prompts, names, training; Bob answers the truth), per layer and detector (subset all test points); bands are paired bootstrap 95% intervals over the test prompts. Above 0: the detector responds to Bob's mechanism; at 0: it responds only to the input (Bob's held-out names).") {
            guard let t = inputs.twins else { throw Unavailable("no twins table was given (compare-twins)") }
            let extra = ExtraColumns(t, known: ReportInputs.twinColumns)
            let rows = rows(t).filter { Int($0["layer", default: ""]) != nil }
            guard !rows.isEmpty else { throw Unavailable("the twins table has no per-layer rows with subset 'all'") }
            var panels: [Chart] = []
            for g in ReportData.unique(rows.map { group($0, extra) }) {
                var series: [LineSeries] = []
                let mine = rows.filter { group($0, extra) == g }
                for det in ReportData.unique(mine.map { $0["detector", default: ""] }) {
                    let pts = mine.filter { $0["detector"] == det }.sorted { Int($0["layer"]!)! < Int($1["layer"]!)! }
                    func v(_ r: [String: String], _ c: String) -> Double { r[c].flatMap(CSVTable.number) ?? .nan }
                    series.append(LineSeries(name: det, x: pts.map { Double(Int($0["layer"]!)!) }, y: pts.map { v($0, "difference") },
                                             band: (lower: pts.map { v($0, "ci_low") }, upper: pts.map { v($0, "ci_high") })))
                }
                panels.append(try LineChart(title: g, series: series, xAxis: AxisSpec("layer"),
                                            yAxis: AxisSpec("AUROC quirky − twin", domain: -0.5...0.5)))
            }
            return Figure(panels: panels, columns: 2).svg()
        }
    }

    /// The aggregate rows (layer aggregate, subset all): the table under the figure.
    static func aggregateTable(_ t: CSVTable) -> CSVTable {
        let keep = t.header.filter { !["subset", "layer"].contains($0) }
        let rows = rows(t).filter { $0["layer"] == "aggregate" }.map { r in keep.map { r[$0, default: ""] } }
        return CSVTable(header: keep, rows: rows, source: "twins")
    }
}
