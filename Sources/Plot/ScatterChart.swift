// Scatter chart with optional point labels, an optional fitted curve and its R^2 shown in the
// corner (or a note saying why no fit is drawn), over the axes' reference lines.

import Foundation

/// One set of points.
public struct ScatterSeries: Sendable {
    public var name: String
    public var x: [Double]
    public var y: [Double]
    /// A short text written beside each point (same length as x), or nil.
    public var labels: [String]?

    /// Creates a series.
    public init(name: String, x: [Double], y: [Double], labels: [String]? = nil) {
        self.name = name
        self.x = x
        self.y = y
        self.labels = labels
    }
}

/// A curve drawn through the points (sampled by the caller, e.g. a fitted logistic), with an
/// optional coefficient of determination to print.
public struct FittedCurve: Sendable {
    public var name: String
    public var x: [Double]
    public var y: [Double]
    public var rSquared: Double?

    /// Creates a curve.
    public init(name: String, x: [Double], y: [Double], rSquared: Double? = nil) {
        self.name = name
        self.x = x
        self.y = y
        self.rSquared = rSquared
    }

    /// The least-squares line through finite points: slope, intercept and R^2 = 1 - SSres/SStot.
    /// Nil with fewer than two distinct x values.
    public static func leastSquaresLine(x: [Double], y: [Double]) -> (slope: Double, intercept: Double, rSquared: Double)? {
        let pts = zip(x, y).filter { $0.0.isFinite && $0.1.isFinite }
        guard pts.count >= 2 else { return nil }
        let n = Double(pts.count)
        let mx = pts.reduce(0) { $0 + $1.0 } / n, my = pts.reduce(0) { $0 + $1.1 } / n
        var sxx = 0.0, sxy = 0.0, syy = 0.0
        for (a, b) in pts {
            sxx += (a - mx) * (a - mx)
            sxy += (a - mx) * (b - my)
            syy += (b - my) * (b - my)
        }
        guard sxx > 0 else { return nil }
        let slope = sxy / sxx
        let intercept = my - slope * mx
        var ssRes = 0.0
        for (a, b) in pts { let r = b - (intercept + slope * a); ssRes += r * r }
        return (slope, intercept, syy > 0 ? 1 - ssRes / syy : 1)
    }
}

/// Points, optionally with a fitted curve and an R^2 label.
public struct ScatterChart: Chart {
    public var title: String
    public var series: [ScatterSeries]
    public var fit: FittedCurve?
    /// Text shown in the corner instead of an R² (e.g. why no fit is drawn), or nil.
    public var note: String?
    public var xAxis: AxisSpec
    public var yAxis: AxisSpec

    /// Creates a chart; throws when x, y and label lengths differ.
    public init(title: String, series: [ScatterSeries], fit: FittedCurve? = nil, note: String? = nil,
                xAxis: AxisSpec = AxisSpec(), yAxis: AxisSpec = AxisSpec()) throws {
        for s in series where s.x.count != s.y.count {
            throw PlotError.lengthMismatch(chart: "scatter chart \"\(title)\"", field: "\(s.name).y", expected: s.x.count, found: s.y.count)
        }
        for s in series {
            if let l = s.labels, l.count != s.x.count {
                throw PlotError.lengthMismatch(chart: "scatter chart \"\(title)\"", field: "\(s.name).labels", expected: s.x.count, found: l.count)
            }
        }
        if let fit, fit.x.count != fit.y.count {
            throw PlotError.lengthMismatch(chart: "scatter chart \"\(title)\"", field: "\(fit.name).y", expected: fit.x.count, found: fit.y.count)
        }
        self.title = title
        self.series = series
        self.fit = fit
        self.note = note
        self.xAxis = xAxis
        self.yAxis = yAxis
    }

    public func render(in frame: Rect, into svg: inout SVGWriter) {
        var xs = DataExtent(kind: xAxis.scale), ys = DataExtent(kind: yAxis.scale)
        var omitted = 0
        for s in series {
            for (a, b) in zip(s.x, s.y) {
                if xs.accepts(a) && ys.accepts(b) { xs.add(a); ys.add(b) } else { omitted += 1 }
            }
        }
        guard !xs.isEmpty, !ys.isEmpty else {
            let message = series.allSatisfy({ $0.x.isEmpty }) ? "No data" : "No finite data to plot (\(omitted) value\(omitted == 1 ? "" : "s") omitted)"
            EmptyState.draw(title: title, message: message, in: frame, into: &svg)
            return
        }
        var legend: [LegendEntry] = series.contains { !$0.name.isEmpty }
            ? series.enumerated().map { LegendEntry(label: $1.name, color: Palette.series($0), mark: .dot) } : []
        if let fit, !fit.name.isEmpty { legend.append(LegendEntry(label: fit.name, color: "#333333", mark: .dashedLine)) }
        let layout = PanelLayout(frame: frame, title: title, legend: legend)
        let sx = xs.scale(xAxis, range: (layout.plot.x, layout.plot.maxX))
        let sy = ys.scale(yAxis, range: (layout.plot.maxY, layout.plot.y))
        PanelLayout.drawTitle(title, frame: frame, into: &svg)
        layout.drawAxes(x: sx, y: sy, xLabel: xAxis.label, yLabel: yAxis.label, into: &svg)
        layout.drawReferences(x: sx, xAxis: xAxis, y: sy, yAxis: yAxis, into: &svg)
        let clip = layout.clip(into: &svg)
        svg.open("g", [("clip-path", clip)])
        for (k, s) in series.enumerated() {
            let color = Palette.series(k)
            for (a, b) in zip(s.x, s.y) where sx.accepts(a) && sy.accepts(b) {
                svg.element("circle", [("cx", SVGNumber.format(sx.map(a))), ("cy", SVGNumber.format(sy.map(b))), ("r", "3.5"),
                                       ("fill", color), ("fill-opacity", "0.75"), ("stroke", "#ffffff"), ("stroke-width", "0.5")])
            }
        }
        if let fit {
            let pts = zip(fit.x, fit.y).filter { sx.accepts($0.0) && sy.accepts($0.1) }
                .map { "\(SVGNumber.format(sx.map($0.0))),\(SVGNumber.format(sy.map($0.1)))" }
            if pts.count >= 2 {
                svg.element("polyline", [("points", pts.joined(separator: " ")), ("fill", "none"), ("stroke", "#333333"),
                                         ("stroke-width", "1.5"), ("stroke-dasharray", "6 3")])
            }
        }
        svg.close()
        var points: [(x: Double, y: Double, text: String)] = []
        for s in series {
            guard let labels = s.labels else { continue }
            for (i, (a, b)) in zip(s.x, s.y).enumerated() where sx.accepts(a) && sy.accepts(b) && !labels[i].isEmpty {
                points.append((sx.map(a), sy.map(b), labels[i]))
            }
        }
        PointLabels.draw(PointLabels.place(points, in: layout.plot), into: &svg)
        if let r2 = fit?.rSquared {
            layout.drawCornerNote(r2.isFinite ? "R² = " + SVGNumber.format(r2, decimals: 3) : "R² undefined", className: "r-squared", into: &svg)
        } else if let note {
            layout.drawCornerNote(note, className: "fit-note", into: &svg)
        }
        Legend.draw(legend, x: layout.legendX, y: layout.plot.y, into: &svg)
        layout.drawFootnote(PanelLayout.omittedNote(omitted), into: &svg)
    }
}
