// Grouped bar chart: one cluster per category, one bar per group, optional error bars, and the
// value axis's reference lines drawn across.

/// One group of bars (one value per category).
public struct BarGroup: Sendable {
    public var name: String
    public var values: [Double]
    /// Half-widths of error bars, or nil.
    public var errors: [Double]?

    /// Creates a group.
    public init(name: String, values: [Double], errors: [Double]? = nil) {
        self.name = name
        self.values = values
        self.errors = errors
    }
}

/// Bars grouped by category on a linear value axis that always includes zero.
public struct BarChart: Chart {
    public var title: String
    public var categories: [String]
    public var groups: [BarGroup]
    public var xLabel: String
    /// Value axis; bars need a zero baseline, so only linear scales are supported.
    public var yAxis: AxisSpec

    /// Creates a chart; throws when a group's length differs from the categories' or the
    /// value axis is logarithmic.
    public init(title: String, categories: [String], groups: [BarGroup], xLabel: String = "", yAxis: AxisSpec = AxisSpec()) throws {
        let chart = "bar chart \"\(title)\""
        for g in groups {
            guard g.values.count == categories.count else {
                throw PlotError.lengthMismatch(chart: chart, field: "\(g.name).values", expected: categories.count, found: g.values.count)
            }
            if let e = g.errors, e.count != categories.count {
                throw PlotError.lengthMismatch(chart: chart, field: "\(g.name).errors", expected: categories.count, found: e.count)
            }
        }
        guard yAxis.scale == .linear else {
            throw PlotError.invalidParameter(chart: chart, field: "yAxis.scale", reason: "bars need a linear axis with a zero baseline")
        }
        self.title = title
        self.categories = categories
        self.groups = groups
        self.xLabel = xLabel
        self.yAxis = yAxis
    }

    public func render(in frame: Rect, into svg: inout SVGWriter) {
        var ys = DataExtent(kind: .linear)
        var omitted = 0
        for g in groups {
            for (i, v) in g.values.enumerated() {
                guard v.isFinite else { omitted += 1; continue }
                ys.add(v)
                if let e = g.errors?[i], e.isFinite { ys.add(v - e); ys.add(v + e) }
            }
        }
        guard !ys.isEmpty, !categories.isEmpty else {
            let message = categories.isEmpty || groups.isEmpty ? "No data" : "No finite data to plot (\(omitted) value\(omitted == 1 ? "" : "s") omitted)"
            EmptyState.draw(title: title, message: message, in: frame, into: &svg)
            return
        }
        ys.add(0)
        for r in yAxis.references { ys.add(r.value) }
        let legend = groups.count > 1 || groups.contains(where: { !$0.name.isEmpty })
            ? groups.enumerated().map { LegendEntry(label: $1.name, color: Palette.series($0), mark: .box) } : []
        // Category labels too wide for their band are rotated, below a deeper bottom margin.
        let narrow = PanelLayout(frame: frame, title: title, legend: legend).plot.width / Double(categories.count)
        let rotate = categories.contains { TextMetrics.width($0, fontSize: 11) > narrow - 4 }
        let layout = PanelLayout(frame: frame, title: title, legend: legend, bottomMargin: rotate ? 86 : 46)
        let plot = layout.plot
        let sy = ys.scale(yAxis, range: (plot.maxY, plot.y))
        PanelLayout.drawTitle(title, frame: frame, into: &svg)
        // Value grid and labels; categorical x axis drawn here.
        svg.open("g", [("class", "axes"), ("font-size", "11")])
        for t in sy.ticks {
            let py = sy.map(t)
            svg.element("line", [("x1", SVGNumber.format(plot.x)), ("y1", SVGNumber.format(py)), ("x2", SVGNumber.format(plot.maxX)),
                                 ("y2", SVGNumber.format(py)), ("stroke", "#e5e5e5")])
            svg.text(sy.label(t), [("x", SVGNumber.format(plot.x - 6)), ("y", SVGNumber.format(py + 4)), ("text-anchor", "end")])
        }
        let band = plot.width / Double(categories.count)
        for (i, c) in categories.enumerated() {
            let cx = plot.x + band * (Double(i) + 0.5)
            let ly = plot.maxY + 15
            var attrs: [(String, String)] = [("x", SVGNumber.format(cx)), ("y", SVGNumber.format(ly))]
            if rotate {
                attrs += [("text-anchor", "end"), ("transform", "rotate(-30 \(SVGNumber.format(cx)) \(SVGNumber.format(ly)))")]
            } else {
                attrs.append(("text-anchor", "middle"))
            }
            svg.text(TextMetrics.truncateMiddle(c, width: rotate ? 140 : band, fontSize: 11), attrs)
        }
        layout.drawFrame(into: &svg)
        layout.drawAxisTitles(xLabel: rotate ? "" : xLabel, yLabel: yAxis.label, into: &svg)
        svg.close()
        let zero = sy.map(0)
        let barWidth = band * 0.8 / Double(max(1, groups.count))
        for (k, g) in groups.enumerated() {
            svg.open("g", [("fill", Palette.series(k))])
            for (i, v) in g.values.enumerated() where v.isFinite {
                let x = plot.x + band * (Double(i) + 0.1) + barWidth * Double(k)
                let py = sy.map(v)
                svg.element("rect", Rect(x: x, y: min(py, zero), width: barWidth * 0.92, height: abs(zero - py)).attributes)
                if let e = g.errors?[i], e.isFinite, e > 0 {
                    let cx = x + barWidth * 0.46
                    svg.element("line", [("x1", SVGNumber.format(cx)), ("y1", SVGNumber.format(sy.map(v - e))), ("x2", SVGNumber.format(cx)),
                                         ("y2", SVGNumber.format(sy.map(v + e))), ("stroke", "#333333"), ("stroke-width", "1.2")])
                }
            }
            svg.close()
        }
        svg.element("line", [("x1", SVGNumber.format(plot.x)), ("y1", SVGNumber.format(zero)), ("x2", SVGNumber.format(plot.maxX)),
                             ("y2", SVGNumber.format(zero)), ("stroke", "#333333")])
        layout.drawReferences(x: nil, xAxis: nil, y: sy, yAxis: yAxis, into: &svg)
        Legend.draw(legend, x: layout.legendX, y: plot.y, into: &svg)
        layout.drawFootnote(PanelLayout.omittedNote(omitted), into: &svg)
    }
}
