// Panel layout shared by all charts: title band, plot area, axes with ticks and grid, legend
// column and footnote.

/// Panel geometry and the drawing helpers charts share.
struct PanelLayout {
    static let titleHeight = 26.0
    static let fontSize = 11.0

    let frame: Rect
    let plot: Rect
    let legendX: Double

    /// Splits a panel: title band on top, axis margins, legend column on the right.
    init(frame: Rect, title: String, legend: [LegendEntry], leftMargin: Double = 62, bottomMargin: Double = 46) {
        self.frame = frame
        let legendWidth = Legend.width(legend)
        let top = frame.y + (title.isEmpty ? 10 : PanelLayout.titleHeight + 6)
        let right = frame.maxX - 14 - legendWidth
        plot = Rect(x: frame.x + leftMargin, y: top, width: max(10, right - frame.x - leftMargin),
                    height: max(10, frame.maxY - bottomMargin - top))
        legendX = right + 10
    }

    /// The panel title.
    static func drawTitle(_ title: String, frame: Rect, into svg: inout SVGWriter) {
        guard !title.isEmpty else { return }
        svg.text(TextMetrics.truncate(title, width: frame.width - 10, fontSize: 13),
                 [("x", SVGNumber.format(frame.midX)), ("y", SVGNumber.format(frame.y + 18)),
                  ("text-anchor", "middle"), ("font-size", "13"), ("font-weight", "bold")])
    }

    /// Grid, ticks, tick labels and axis titles for two continuous scales.
    func drawAxes(x: Scale, y: Scale, xLabel: String, yLabel: String, into svg: inout SVGWriter) {
        svg.open("g", [("class", "axes"), ("font-size", SVGNumber.format(Self.fontSize))])
        for t in y.ticks {
            let py = y.map(t)
            svg.element("line", [("x1", SVGNumber.format(plot.x)), ("y1", SVGNumber.format(py)), ("x2", SVGNumber.format(plot.maxX)),
                                 ("y2", SVGNumber.format(py)), ("stroke", "#e5e5e5"), ("stroke-width", "1")])
            svg.text(y.label(t), [("x", SVGNumber.format(plot.x - 6)), ("y", SVGNumber.format(py + 4)), ("text-anchor", "end")])
        }
        for t in x.ticks {
            let px = x.map(t)
            svg.element("line", [("x1", SVGNumber.format(px)), ("y1", SVGNumber.format(plot.y)), ("x2", SVGNumber.format(px)),
                                 ("y2", SVGNumber.format(plot.maxY)), ("stroke", "#f0f0f0"), ("stroke-width", "1")])
            svg.element("line", [("x1", SVGNumber.format(px)), ("y1", SVGNumber.format(plot.maxY)), ("x2", SVGNumber.format(px)),
                                 ("y2", SVGNumber.format(plot.maxY + 4)), ("stroke", "#333333")])
            svg.text(x.label(t), [("x", SVGNumber.format(px)), ("y", SVGNumber.format(plot.maxY + 16)), ("text-anchor", "middle")])
        }
        drawFrame(into: &svg)
        drawAxisTitles(xLabel: xLabel, yLabel: yLabel, into: &svg)
        svg.close()
    }

    /// Dashed reference lines across the plot at the reference values of the axes inside their
    /// domains (horizontal for the y axis, vertical for the x axis), each with its label at the
    /// line's end.
    func drawReferences(x: Scale?, xAxis: AxisSpec?, y: Scale, yAxis: AxisSpec, into svg: inout SVGWriter) {
        func inside(_ s: Scale, _ v: Double) -> Bool {
            s.accepts(v) && v >= min(s.domain.0, s.domain.1) && v <= max(s.domain.0, s.domain.1)
        }
        let lines = yAxis.references.filter { inside(y, $0.value) }.map { (false, $0, y.map($0.value)) }
            + (x.flatMap { sx in xAxis?.references.filter { inside(sx, $0.value) }.map { (true, $0, sx.map($0.value)) } } ?? [])
        guard !lines.isEmpty else { return }
        // Labels get a white halo so they stay legible over bars and lines.
        svg.open("g", [("class", "references"), ("font-size", "10"), ("fill", "#555555")])
        for (vertical, r, p) in lines {
            let (x1, y1, x2, y2) = vertical ? (p, plot.y, p, plot.maxY) : (plot.x, p, plot.maxX, p)
            svg.element("line", [("class", "reference"), ("x1", SVGNumber.format(x1)), ("y1", SVGNumber.format(y1)),
                                 ("x2", SVGNumber.format(x2)), ("y2", SVGNumber.format(y2)), ("stroke", "#555555"),
                                 ("stroke-width", "1.2"), ("stroke-dasharray", "5 4")])
            if !r.label.isEmpty {
                let at = vertical ? [("x", SVGNumber.format(p + 3)), ("y", SVGNumber.format(plot.y + 10))]
                    : [("x", SVGNumber.format(plot.maxX - 3)), ("y", SVGNumber.format(p - 3)), ("text-anchor", "end")]
                svg.text(r.label, [("class", "reference-label")] + at
                         + [("stroke", "#ffffff"), ("stroke-width", "3"), ("paint-order", "stroke")])
            }
        }
        svg.close()
    }

    /// A short text in the plot's top-left corner (a fit's R², or why no fit is drawn).
    func drawCornerNote(_ text: String, className: String, into svg: inout SVGWriter) {
        svg.text(text, [("x", SVGNumber.format(plot.x + 8)), ("y", SVGNumber.format(plot.y + 16)),
                        ("font-size", "12"), ("class", className)])
    }

    /// The plot area's outline (left and bottom axis lines).
    func drawFrame(into svg: inout SVGWriter) {
        svg.element("polyline", [("points", "\(SVGNumber.format(plot.x)),\(SVGNumber.format(plot.y)) \(SVGNumber.format(plot.x)),\(SVGNumber.format(plot.maxY)) \(SVGNumber.format(plot.maxX)),\(SVGNumber.format(plot.maxY))"),
                                 ("fill", "none"), ("stroke", "#333333"), ("stroke-width", "1")])
    }

    /// Axis titles below the x axis and rotated left of the y axis.
    func drawAxisTitles(xLabel: String, yLabel: String, into svg: inout SVGWriter) {
        if !xLabel.isEmpty {
            svg.text(xLabel, [("x", SVGNumber.format(plot.midX)), ("y", SVGNumber.format(plot.maxY + 34)), ("text-anchor", "middle")])
        }
        if !yLabel.isEmpty {
            let x = plot.x - 46, y = plot.midY
            svg.text(yLabel, [("x", SVGNumber.format(x)), ("y", SVGNumber.format(y)), ("text-anchor", "middle"),
                              ("transform", "rotate(-90 \(SVGNumber.format(x)) \(SVGNumber.format(y)))")])
        }
    }

    /// A clip path for the plot area; returns the url(...) reference.
    func clip(into svg: inout SVGWriter) -> String {
        let id = svg.uniqueID("clip")
        svg.open("clipPath", [("id", id)])
        svg.element("rect", plot.attributes)
        svg.close()
        return "url(#\(id))"
    }

    /// A small grey note under the plot, e.g. how many non-finite values were left out.
    func drawFootnote(_ text: String, into svg: inout SVGWriter) {
        guard !text.isEmpty else { return }
        svg.text(text, [("x", SVGNumber.format(frame.maxX - 6)), ("y", SVGNumber.format(frame.maxY - 4)),
                        ("text-anchor", "end"), ("font-size", "9"), ("fill", "#777777")])
    }

    /// The note for `count` omitted values ("" when none).
    static func omittedNote(_ count: Int, what: String = "non-finite") -> String {
        count == 0 ? "" : "\(count) \(what) value\(count == 1 ? "" : "s") omitted"
    }
}
