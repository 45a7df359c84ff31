// ReportTwins: the report's answer to METHOD.md's question (issue 23), from compare-twins'
// twins.csv: a figure with one panel per detector and model/dataset showing, per layer, the
// quirky model's AUROC, its truthful twin's AUROC, and their difference with its paired bootstrap
// interval; and the table of the aggregate differences. A detector that finds Bob's mechanism has
// a positive difference; one that flags Bob's held-out names on the twin as well has none.

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

    /// The legend the twins figure's panels share: quirky AUROC, twin AUROC, difference.
    static let legend = [LegendEntry(label: "quirky model AUROC", color: Palette.series(0), mark: .line),
                         LegendEntry(label: "truthful twin AUROC", color: Palette.series(1), mark: .line),
                         LegendEntry(label: "quirky − twin, 95% CI band", color: Palette.series(2), mark: .line)]

    /// The figure: per layer (subset all), the quirky and twin AUROC and their difference with its
    /// paired 95% band; one panel per detector and model/dataset (`first`'s panels first).
    static func figure(_ inputs: ReportInputs, first: String) -> ReportFigure {
        ReportFigures.figure("twin-difference", "Quirky model vs truthful twin",
                             "One panel per detector and model/dataset, per layer (subset all test points): the detector's AUROC on the quirky model and on its truthful twin (same prompts, names, training; Bob answers the truth), and their difference (quirky − twin) with its paired bootstrap 95% interval over the test prompts as a band. Difference above 0: the detector responds to Bob's mechanism; at 0: it responds only to the input (Bob's held-out names). Dashed lines: chance (AUROC 0.5) and no difference (0).") {
            guard let t = inputs.twins else { throw Unavailable("no twins table was given (compare-twins)") }
            let extra = ExtraColumns(t, known: ReportInputs.twinColumns)
            let rows = rows(t).filter { Int($0["layer", default: ""]) != nil }
            guard !rows.isEmpty else { throw Unavailable("the twins table has no per-layer rows with subset 'all'") }
            func v(_ r: [String: String], _ c: String) -> Double { r[c].flatMap(CSVTable.number) ?? .nan }
            // One y axis for every panel: from the lowest difference or interval edge (at most
            // -0.5, on a quarter) to an AUROC of 1.
            let low = rows.flatMap { [v($0, "difference"), v($0, "ci_low")] }.filter(\.isFinite).min() ?? 0
            let yAxis = AxisSpec("AUROC; difference", domain: min(-0.5, (low * 4).rounded(.down) / 4)...1,
                                 references: [ReportFigures.chance, ReferenceLine(0, label: "no difference")])
            var panels: [Chart] = []
            let detectors = ReportFigures.leading(ReportData.unique(rows.map { $0["detector", default: ""] })) { $0 == first }
            for det in detectors {
                let mine = rows.filter { $0["detector"] == det }
                for g in ReportData.unique(mine.map { group($0, extra) }) {
                    let pts = mine.filter { group($0, extra) == g }.sorted { Int($0["layer"]!)! < Int($1["layer"]!)! }
                    let x = pts.map { Double(Int($0["layer"]!)!) }
                    let series = [LineSeries(name: "", x: x, y: pts.map { v($0, "quirky_auroc") }),
                                  LineSeries(name: "", x: x, y: pts.map { v($0, "twin_auroc") }),
                                  LineSeries(name: "", x: x, y: pts.map { v($0, "difference") },
                                             band: (lower: pts.map { v($0, "ci_low") }, upper: pts.map { v($0, "ci_high") }))]
                    panels.append(try LineChart(title: "\(det): \(g)", series: series, xAxis: ReportFigures.layerAxis, yAxis: yAxis))
                }
            }
            return Figure(legend: legend, panels: panels, columns: 4, panelWidth: 340, panelHeight: 270).svg()
        }
    }

    /// The aggregate rows (layer aggregate, subset all): the table under the figure.
    static func aggregateTable(_ t: CSVTable) -> CSVTable {
        let keep = t.header.filter { !["subset", "layer"].contains($0) }
        let rows = rows(t).filter { $0["layer"] == "aggregate" }.map { r in keep.map { r[$0, default: ""] } }
        return CSVTable(header: keep, rows: rows, source: "twins")
    }
}
