// Line chart: several series against a shared x axis, each with an optional error band, over
// the axes' reference lines.

/// One line.
public struct LineSeries: Sendable {
    public var name: String
    public var x: [Double]
    public var y: [Double]
    /// Lower and upper edges of an error band (same length as x), or nil.
    public var lower: [Double]?
    public var upper: [Double]?

    /// Creates a series; `band` gives the lower and upper edge of an error band.
    public init(name: String, x: [Double], y: [Double], band: (lower: [Double], upper: [Double])? = nil) {
        self.name = name
        self.x = x
        self.y = y
        lower = band?.lower
        upper = band?.upper
    }
}

/// Lines with markers; non-finite points break the line and are counted in a footnote.
public struct LineChart: Chart {
    public var title: String
    public var series: [LineSeries]
    public var xAxis: AxisSpec
    public var yAxis: AxisSpec

    /// Creates a chart; throws when a series' arrays differ in length.
    public init(title: String, series: [LineSeries], xAxis: AxisSpec = AxisSpec(), yAxis: AxisSpec = AxisSpec()) throws {
        for s in series {
            guard s.y.count == s.x.count else {
                throw PlotError.lengthMismatch(chart: "line chart \"\(title)\"", field: "\(s.name).y", expected: s.x.count, found: s.y.count)
            }
            for (field, band) in [("lower", s.lower), ("upper", s.upper)] {
                if let band, band.count != s.x.count {
                    throw PlotError.lengthMismatch(chart: "line chart \"\(title)\"", field: "\(s.name).\(field)", expected: s.x.count, found: band.count)
                }
            }
        }
        self.title = title
        self.series = series
        self.xAxis = xAxis
        self.yAxis = yAxis
    }

    public func render(in frame: Rect, into svg: inout SVGWriter) {
        var xs = DataExtent(kind: xAxis.scale), ys = DataExtent(kind: yAxis.scale)
        var omitted = 0
        for s in series {
            for i in s.x.indices {
                if xs.accepts(s.x[i]) && ys.accepts(s.y[i]) {
                    xs.add(s.x[i])
                    ys.add(s.y[i])
                    if xs.accepts(s.x[i]), let l = s.lower?[i], let u = s.upper?[i] { ys.add(l); ys.add(u) }
                } else {
                    omitted += 1
                }
            }
        }
        guard !xs.isEmpty, !ys.isEmpty else {
            let message = series.allSatisfy({ $0.x.isEmpty }) ? "No data" : "No finite data to plot (\(omitted) value\(omitted == 1 ? "" : "s") omitted)"
            EmptyState.draw(title: title, message: message, in: frame, into: &svg)
            return
        }
        let named = series.contains { !$0.name.isEmpty }
        let legend = named ? series.enumerated().map { LegendEntry(label: $1.name, color: Palette.series($0), mark: .line) } : []
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
            if let lower = s.lower, let upper = s.upper {
                let idx = s.x.indices.filter { sx.accepts(s.x[$0]) && sy.accepts(lower[$0]) && sy.accepts(upper[$0]) }
                if idx.count >= 2 {
                    let top = idx.map { "\(SVGNumber.format(sx.map(s.x[$0]))),\(SVGNumber.format(sy.map(upper[$0])))" }
                    let bottom = idx.reversed().map { "\(SVGNumber.format(sx.map(s.x[$0]))),\(SVGNumber.format(sy.map(lower[$0])))" }
                    svg.element("polygon", [("points", (top + bottom).joined(separator: " ")), ("fill", color),
                                            ("fill-opacity", "0.2"), ("stroke", "none")])
                }
            }
            var segments: [[String]] = [[]]
            var markers: [(Double, Double)] = []
            for i in s.x.indices {
                if sx.accepts(s.x[i]) && sy.accepts(s.y[i]) {
                    let p = (sx.map(s.x[i]), sy.map(s.y[i]))
                    segments[segments.count - 1].append("\(SVGNumber.format(p.0)),\(SVGNumber.format(p.1))")
                    markers.append(p)
                } else if !segments[segments.count - 1].isEmpty {
                    segments.append([])
                }
            }
            for seg in segments where seg.count >= 2 {
                svg.element("polyline", [("points", seg.joined(separator: " ")), ("fill", "none"), ("stroke", color),
                                         ("stroke-width", "2"), ("stroke-linejoin", "round")])
            }
            if markers.count <= 60 {
                for (px, py) in markers {
                    svg.element("circle", [("cx", SVGNumber.format(px)), ("cy", SVGNumber.format(py)), ("r", "2.5"), ("fill", color)])
                }
            }
        }
        svg.close()
        Legend.draw(legend, x: layout.legendX, y: layout.plot.y, into: &svg)
        layout.drawFootnote(PanelLayout.omittedNote(omitted), into: &svg)
    }
}
