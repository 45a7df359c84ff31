// ReportFigures: the report's figures (METHOD.md section 8) built from its tables as SVG
// documents, each replaced by a "not available: <why>" note when its data is missing. Every
// AUROC axis carries a dashed chance line at 0.5, layer axes have integer ticks, and a fit (with
// its R²) is drawn only on at least `minFitPoints` points.

import Detectors
import Base
import Foundation
import Plot

/// One figure of the report: an SVG, or the reason it could not be drawn.
public struct ReportFigure: Sendable {
    /// File stem (`figures/<id>.svg`) and HTML anchor.
    public var id: String
    /// Heading shown above the figure.
    public var title: String
    /// Caption: what is plotted and how to read it.
    public var caption: String
    /// The SVG document, or nil when unavailable.
    public var svg: String?
    /// Why the figure is missing (set when `svg` is nil).
    public var unavailable: String?
}

/// Builds the report's figures from its inputs.
public enum ReportFigures {
    /// The natural log of 2: the cross-entropy of a 50/50 guess, the losses' baseline.
    public static let ln2 = log(2.0)
    /// The label of the losses' ln 2 line.
    public static let lnTwoLabel = "ln 2: 50/50 guess"

    /// Every figure, in report order. `first` names the detector whose panels come first in AUROC
    /// vs separation and in the twins figure (every detector gets its own S-curve fit): the
    /// reference detector of the section-9 findings.
    public static func all(_ inputs: ReportInputs, first: String = ReportFindings.reference) -> [ReportFigure] {
        let data = ReportData(inputs)
        return [aurocPerLayer(data), aurocAggregate(data), logOdds(data), aurocVsQuirkiness(data),
                losses(data), aurocVsSeparation(data, first: first), separationVsLogits(data)]
            + (inputs.twins == nil ? [] : [ReportTwins.figure(inputs, first: first)])
    }

    /// Chance level of an AUROC, drawn as a dashed line on every AUROC axis.
    public static let chance = ReferenceLine(0.5, label: "chance")
    /// Fewest points a fit is drawn for: with fewer, the panel says `tooFewPoints` instead of an R².
    public static let minFitPoints = 3
    /// The note a panel shows instead of a fit and its R² when it has too few points.
    public static let tooFewPoints = "too few points for a fit"

    /// An AUROC axis: 0 to 1 with the chance line.
    static func aurocAxis(_ label: String = "AUROC") -> AxisSpec { AxisSpec(label, domain: 0...1, references: [chance]) }
    /// A layer axis: integer ticks only.
    static let layerAxis = AxisSpec("layer", integerTicks: true)

    /// `tooFewPoints` with the count and the number needed.
    static func tooFew(_ n: Int, needed: Int) -> String { "\(tooFewPoints) (\(n) point\(n == 1 ? "" : "s"); at least \(needed) needed)" }

    /// The orders `first` first, the rest in their order.
    static func leading<T>(_ xs: [T], _ isFirst: (T) -> Bool) -> [T] { xs.filter(isFirst) + xs.filter { !isFirst($0) } }

    /// Short point labels of models and datasets, e.g. "llama add.": each name cut to the
    /// shortest prefix (at least 5 characters of a model, 3 of a dataset) that keeps the names of
    /// its kind apart, with a "." where cut.
    static func shortLabels(_ mds: [ModelDataset]) -> [ModelDataset: String] {
        func cut(_ names: [String], minimum: Int) -> [String: String] {
            let names = ReportData.unique(names)
            let longest = names.map(\.count).max() ?? 0
            for n in minimum...max(minimum, longest) {
                let m = Dictionary(uniqueKeysWithValues: names.map { ($0, $0.count <= n + 1 ? $0 : String($0.prefix(n)) + ".") })
                if Set(m.values).count == names.count { return m }
            }
            return Dictionary(uniqueKeysWithValues: names.map { ($0, $0) })
        }
        let models = cut(mds.map(\.model), minimum: 5), datasets = cut(mds.map(\.dataset), minimum: 3)
        return Dictionary(uniqueKeysWithValues: Set(mds).map { ($0, "\(models[$0.model]!) \(datasets[$0.dataset]!)") })
    }

    static func figure(_ id: String, _ title: String, _ caption: String, build: () throws -> String) -> ReportFigure {
        do {
            return ReportFigure(id: id, title: title, caption: caption, svg: try build(), unavailable: nil)
        } catch let e as Unavailable {
            return ReportFigure(id: id, title: title, caption: caption, svg: nil, unavailable: e.why)
        } catch {
            return ReportFigure(id: id, title: title, caption: caption, svg: nil, unavailable: "\(error)")
        }
    }

    /// The sweep axis values of an AUROC row's series (`bob_rule=quirky`; "" when none): rows
    /// of one instance share a panel, so each detector keeps one colour and a short legend entry.
    static func instance(_ r: AurocRow) -> String {
        String(r.series.dropFirst(r.detector.count)).trimmingCharacters(in: .whitespaces)
    }

    /// Figures 1: AUROC per layer, one panel per model, dataset and sweep instance (e.g. a quirky
    /// model and its twin side by side), one line per detector with its bootstrap 95% interval as
    /// a band.
    static func aurocPerLayer(_ d: ReportData) -> ReportFigure {
        figure("auroc-per-layer", "AUROC per layer",
               "AUROC (subset: all test points) of each detector at each layer, one panel per model and dataset (and sweep instance); shaded bands are bootstrap 95% intervals. The dashed line is chance (0.5).") {
            guard d.auroc != nil else { throw Unavailable("no auroc table was given") }
            let rows = d.aurocRows.filter { $0.subset == "all" && $0.layer != nil }
            guard !rows.isEmpty else { throw Unavailable("the auroc table has no per-layer rows with subset 'all'") }
            var panels: [Chart] = []
            for g in ReportData.unique(rows.map { Group(md: $0.md, extras: instance($0)) }) {
                var series: [LineSeries] = []
                for det in ReportData.unique(rows.map(\.detector)) {
                    let pts = rows.filter { $0.md == g.md && instance($0) == g.extras && $0.detector == det }.sorted { $0.layer! < $1.layer! }
                    guard !pts.isEmpty else { continue }
                    let lo = pts.map { $0.ciLow ?? $0.auroc ?? .nan }, hi = pts.map { $0.ciHigh ?? $0.auroc ?? .nan }
                    series.append(LineSeries(name: det, x: pts.map { Double($0.layer!) }, y: pts.map { $0.auroc ?? .nan },
                                             band: (lower: lo, upper: hi)))
                }
                panels.append(try LineChart(title: g.label, series: series, xAxis: layerAxis, yAxis: aurocAxis()))
            }
            return Figure(panels: panels, columns: 2).svg()
        }
    }

    /// Figure 2: AUROC of the layer-aggregated score, one bar per detector, per model and dataset;
    /// one panel per sweep instance.
    static func aurocAggregate(_ d: ReportData) -> ReportFigure {
        figure("auroc-aggregate", "Aggregated AUROC",
               "AUROC of the layer-aggregated score (layer = aggregate, subset all) per model and dataset, one panel per sweep instance; error bars show half the width of the bootstrap 95% interval; the dashed line is chance (0.5).") {
            guard d.auroc != nil else { throw Unavailable("no auroc table was given") }
            let rows = d.aurocRows.filter { $0.subset == "all" && $0.isAggregate }
            guard !rows.isEmpty else { throw Unavailable("the auroc table has no rows with layer 'aggregate' and subset 'all'") }
            var panels: [Chart] = []
            for inst in ReportData.unique(rows.map(instance)) {
                let mine = rows.filter { instance($0) == inst }
                let mds = ReportData.unique(mine.map(\.md))
                let groups = ReportData.unique(mine.map(\.detector)).map { det -> BarGroup in
                    let r = mds.map { md in mine.first { $0.md == md && $0.detector == det } }
                    return BarGroup(name: det, values: r.map { $0?.auroc ?? .nan },
                                    errors: r.map { x in
                                        guard let x, let l = x.ciLow, let h = x.ciHigh else { return .nan }
                                        return (h - l) / 2
                                    })
                }
                panels.append(try BarChart(title: inst.isEmpty ? "Aggregated AUROC" : "Aggregated AUROC, \(inst)", categories: mds.map(\.label),
                                           groups: groups, xLabel: "model / dataset", yAxis: aurocAxis()))
            }
            return Figure(panels: panels, columns: 1, panelWidth: 900, panelHeight: 380).svg()
        }
    }

    /// Figures 3-4: distributions of the log-odds on Alice's and on Bob's prompts.
    static func logOdds(_ d: ReportData) -> ReportFigure {
        figure("log-odds", "Log-odds distributions",
               "Histograms of the log-odds the model gives on Alice's prompts and on Bob's prompts, one panel per model and dataset (per-prompt outputs tables), each drawn as an outline in its legend colour.") {
            guard !d.outputs.isEmpty else { throw Unavailable("no per-prompt outputs tables were given") }
            var panels: [Chart] = []
            for o in d.outputs {
                guard let lo = o.table.column("log_odds"), let ch = o.table.column("character") else { continue }
                var alice: [Double] = [], bob: [Double] = []
                for r in o.table.rows {
                    guard let v = CSVTable.number(r[lo]), v.isFinite else { continue }
                    switch r[ch].lowercased() {
                    case "alice": alice.append(v)
                    case "bob": bob.append(v)
                    default: break
                    }
                }
                panels.append(try Histogram(title: o.label, series: [HistogramSeries(name: "Alice prompts", values: alice),
                                                                     HistogramSeries(name: "Bob prompts", values: bob)],
                                            bins: 24, xLabel: "log-odds"))
            }
            guard !panels.isEmpty else { throw Unavailable("the outputs tables lack the columns character and log_odds") }
            return Figure(panels: panels, columns: 2).svg()
        }
    }

    /// Figures 5-6: aggregated AUROC of each detector against the quirkiness coefficient, one
    /// panel per series (a detector and its sweep axis values, e.g. the quirky models and their
    /// twins side by side), each point labelled with its model and dataset.
    static func aurocVsQuirkiness(_ d: ReportData) -> ReportFigure {
        figure("auroc-vs-quirkiness", "AUROC vs quirkiness",
               "One panel per detector and sweep instance (a row per detector); each point is one model and dataset, labelled with the model and the first letters of the dataset: the detector's summary AUROC (aggregated over layers, or the mean over layers when no aggregate row exists) against the quirkiness coefficient (below 0: a character does not show its behaviour). The dashed line is chance (0.5).") {
            guard d.auroc != nil else { throw Unavailable("no auroc table was given") }
            guard d.quirkiness != nil else { throw Unavailable("no quirkiness table was given") }
            let short = shortLabels(d.quirk.keys.map(\.md))
            var panels: [Chart] = [], instances = Set<String>()
            for s in d.series {
                var xs: [Double] = [], ys: [Double] = [], labels: [String] = []
                let extras = d.extras(ofSeries: s)
                for (g, q) in d.quirk.sorted(by: { $0.key < $1.key }) where ExtraColumns.compatible(q.extras, extras) {
                    if let a = d.summaryAUROC(g.md, s), let q = q.quirkiness { xs.append(q); ys.append(a); labels.append(short[g.md]!) }
                }
                guard !xs.isEmpty else { continue }
                instances.insert(extras.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
                panels.append(try ScatterChart(title: s, series: [ScatterSeries(name: "", x: xs, y: ys, labels: labels)],
                                               xAxis: AxisSpec("quirkiness coefficient", domain: padded(xs)), yAxis: aurocAxis()))
            }
            guard !panels.isEmpty else { throw Unavailable("no model and dataset appears in both the auroc and the quirkiness tables") }
            return Figure(panels: panels, columns: min(3, max(2, instances.count)), panelWidth: 460, panelHeight: 360).svg()
        }
    }

    /// Figures 7-8: mean losses on each character's own and the other's labels, against the
    /// 50/50 baseline ln 2.
    static func losses(_ d: ReportData) -> ReportFigure {
        figure("losses", "Losses on own and other labels",
               "Mean cross-entropy (nats) on each character's prompts against its own labels (\"own\") and the other character's labels, per model and dataset. The dashed line is the loss of a 50/50 guess, ln 2 ≈ 0.693 nats: a loss above it is worse than guessing.") {
            let table = d.lossTable
            guard !table.isEmpty else {
                throw Unavailable("no losses: the quirkiness table has no loss_* columns and no outputs table has loss_alice and loss_bob")
            }
            let keys = table.keys.sorted()
            // Short names: the legend truncates labels wider than 150 px.
            let names = ["Alice prompts, own", "Alice prompts, Bob's", "Bob prompts, own", "Bob prompts, Alice's"]
            let groups = names.indices.map { i in BarGroup(name: names[i], values: keys.map { table[$0]![i] }) }
            let chart = try BarChart(title: "Losses on own / other labels", categories: keys.map(\.label), groups: groups,
                                     xLabel: "model / dataset",
                                     yAxis: AxisSpec("loss (nats)", references: [ReferenceLine(ln2, label: lnTwoLabel)]))
            return Figure(panels: [chart], columns: 1, panelWidth: 900, panelHeight: 400).svg()
        }
    }

    /// Figure 9: AUROC at each layer against the hidden-state separation at that layer, one panel
    /// per series (a detector and its sweep axis values) titled "AUROC vs separation: <series>",
    /// each with its own logistic S-curve and R², or a note when it has too few points.
    static func aurocVsSeparation(_ d: ReportData, first: String) -> ReportFigure {
        figure("auroc-vs-separation", "AUROC vs hidden-state separation",
               "One panel per detector (and sweep instance); each point is one model, dataset and layer: the detector's AUROC against the separation S = ||μ_Alice − μ_Bob||² / Tr Σ at that layer. The dashed curve is a logistic S-curve fitted by least squares to the panel's points, with its R²; a panel with fewer than 4 points shows no fit. The dashed line is chance (0.5).") {
            guard d.auroc != nil else { throw Unavailable("no auroc table was given") }
            guard d.separation != nil else { throw Unavailable("no separation table was given") }
            let detector = Dictionary(d.aurocRows.map { ($0.series, $0.detector) }, uniquingKeysWith: { a, _ in a })
            var panels: [Chart] = []
            for s in leading(d.series, { detector[$0] == first }) {
                let pts = d.separationPoints(series: s)
                guard !pts.isEmpty else { continue }
                let xs = pts.map { $0.0 }, ys = pts.map { $0.1 }
                let (fit, note) = sCurve(x: xs, y: ys)
                panels.append(try ScatterChart(title: "AUROC vs separation: \(s)", series: [ScatterSeries(name: "", x: xs, y: ys)],
                                               fit: fit, note: note,
                                               xAxis: AxisSpec("hidden-state separation S", domain: padded(xs)), yAxis: aurocAxis()))
            }
            guard !panels.isEmpty else { throw Unavailable("no model, dataset and layer appears in both the auroc and the separation tables") }
            return Figure(panels: panels, columns: 2, panelWidth: 500, panelHeight: 360).svg()
        }
    }

    /// The logistic S-curve through the points, sampled for drawing, with its R²; or no curve and
    /// the note saying why (fewer than `minFitPoints`, or than the fit's 4 parameters, or a fit
    /// that failed).
    static func sCurve(x: [Double], y: [Double]) -> (FittedCurve?, String?) {
        let needed = max(minFitPoints, 4)
        guard x.count >= needed else { return (nil, tooFew(x.count, needed: needed)) }
        let f: LogisticCurveFit
        do { f = try LogisticCurveFit.fit(x: x, y: y) } catch { return (nil, "no S-curve fit: \(error)") }
        let (lo, hi) = (x.min()!, x.max()!)
        let xs = (0...80).map { lo + (hi - lo) * Double($0) / 80 }
        let r2 = rSquared(y: y, residualSS: f.sumOfSquares)
        return (FittedCurve(name: "", x: xs, y: xs.map { f($0) }, rSquared: r2), r2 == nil ? "R² undefined: the AUROC does not vary" : nil)
    }

    /// Figures 10-12: the peak hidden-state separation against logit-level measures, with R².
    static func separationVsLogits(_ d: ReportData) -> ReportFigure {
        figure("separation-vs-logits", "Hidden-state separation vs logit-level measures",
               "Each point is one model and dataset: the largest hidden-state separation over layers against (left to right) the label separation of the logits, their variance, and the Alice–Bob separation of the logits (see docs/report.md). Lines are least-squares fits with R², drawn on at least 3 points.") {
            guard d.separation != nil else { throw Unavailable("no separation table was given") }
            guard !d.outputs.isEmpty else { throw Unavailable("no per-prompt outputs tables were given") }
            let pts = d.logitPoints
            guard !pts.isEmpty else { throw Unavailable("no outputs table could be matched to a model and dataset of the separation table") }
            let measures: [(String, KeyPath<LogitMeasures, Double>)] = [
                ("logit separation (labels)", \.labelSeparation), ("logit variance", \.variance),
                ("Alice–Bob logit separation", \.characterSeparation),
            ]
            var panels: [Chart] = []
            for (name, kp) in measures {
                let p = pts.filter { $0.1[keyPath: kp].isFinite }
                let xs = p.map { $0.1[keyPath: kp] }, ys = p.map { $0.2 }
                var fit: FittedCurve?
                var note: String?
                if xs.count < minFitPoints {
                    note = tooFew(xs.count, needed: minFitPoints)
                } else {
                    do {
                        let f = try LinearFit.fit(x: xs, y: ys)
                        let (lo, hi) = (xs.min()!, xs.max()!)
                        fit = FittedCurve(name: "least squares", x: [lo, hi], y: [f.intercept + f.slope * lo, f.intercept + f.slope * hi],
                                          rSquared: f.rSquared)
                    } catch {
                        note = "no fit: \(error)"
                    }
                }
                panels.append(try ScatterChart(title: "S vs \(name)", series: [ScatterSeries(name: "model / dataset", x: xs, y: ys)],
                                               fit: fit, note: note,
                                               xAxis: AxisSpec(name, domain: padded(xs)), yAxis: AxisSpec("max separation S over layers", domain: padded(ys))))
            }
            return Figure(panels: panels, columns: 3, panelWidth: 420, panelHeight: 340).svg()
        }
    }

    /// The range of the finite values widened by `fraction` of their span on each side (so points
    /// do not sit on the frame), or nil when there are none.
    public static func padded(_ values: [Double], fraction: Double = 0.06) -> ClosedRange<Double>? {
        let f = values.filter(\.isFinite)
        guard let lo = f.min(), let hi = f.max() else { return nil }
        let span = hi > lo ? hi - lo : max(abs(hi), 1) * 0.5
        return (lo - span * fraction)...(hi + span * fraction)
    }

    /// R² = 1 − SS_res / SS_tot of a fit whose residual sum of squares is `residualSS`.
    public static func rSquared(y: [Double], residualSS: Double) -> Double? {
        guard y.count >= 2 else { return nil }
        let m = y.reduce(0, +) / Double(y.count)
        let tot = y.reduce(0) { $0 + ($1 - m) * ($1 - m) }
        return tot > 0 ? 1 - residualSS / tot : nil
    }
}

/// Thrown inside a figure builder when its data is missing.
struct Unavailable: Error {
    var why: String
    init(_ why: String) { self.why = why }
}
