// Histogram: several series counted over one shared set of bins and drawn overlaid as outlines.

/// One set of samples.
public struct HistogramSeries: Sendable {
    public var name: String
    public var values: [Double]

    /// Creates a series.
    public init(name: String, values: [Double]) {
        self.name = name
        self.values = values
    }
}

/// Overlaid histograms with shared bins, each drawn as a step outline in its series colour: no
/// fills, so overlaps show no colour the legend's line swatches do not.
public struct Histogram: Chart {
    public var title: String
    public var series: [HistogramSeries]
    public var bins: Int
    /// Bin range; nil spans all finite values of all series.
    public var range: ClosedRange<Double>?
    /// Plot densities (count / (n * bin width)) instead of counts, so unequal series compare.
    public var density: Bool
    public var xLabel: String

    /// Creates a histogram; throws unless `bins` >= 1.
    public init(title: String, series: [HistogramSeries], bins: Int = 30, range: ClosedRange<Double>? = nil,
                density: Bool = false, xLabel: String = "") throws {
        guard bins >= 1 else {
            throw PlotError.invalidParameter(chart: "histogram \"\(title)\"", field: "bins", reason: "must be at least 1, got \(bins)")
        }
        self.title = title
        self.series = series
        self.bins = bins
        self.range = range
        self.density = density
        self.xLabel = xLabel
    }

    /// `bins + 1` equally spaced edges over `range`, or over all finite values (a single
    /// repeated value v gets the range v - 0.5 ... v + 0.5). Nil when there is no finite value.
    public static func edges(of values: [[Double]], bins: Int, range: ClosedRange<Double>? = nil) -> [Double]? {
        var lo: Double, hi: Double
        if let range {
            (lo, hi) = (range.lowerBound, range.upperBound)
        } else {
            let finite = values.joined().filter(\.isFinite)
            guard let mn = finite.min(), let mx = finite.max() else { return nil }
            (lo, hi) = (mn, mx)
        }
        if lo == hi { lo -= 0.5; hi += 0.5 }
        return (0...bins).map { lo + (hi - lo) * Double($0) / Double(bins) }
    }

    /// Counts per bin: bin i holds edges[i] <= v < edges[i+1], the last bin also v == edges.last.
    /// Values outside the edges or non-finite are not counted.
    public static func counts(_ values: [Double], edges: [Double]) -> [Int] {
        let bins = edges.count - 1
        var counts = [Int](repeating: 0, count: max(0, bins))
        guard bins > 0, let lo = edges.first, let hi = edges.last else { return counts }
        for v in values where v.isFinite && v >= lo && v <= hi {
            var i = min(bins - 1, Int((v - lo) / (hi - lo) * Double(bins)))
            while i > 0 && v < edges[i] { i -= 1 }
            while i < bins - 1 && v >= edges[i + 1] { i += 1 }
            counts[i] += 1
        }
        return counts
    }

    /// Naive reference for `counts`: scans every bin for every value.
    static func countsNaive(_ values: [Double], edges: [Double]) -> [Int] {
        let bins = edges.count - 1
        return (0..<max(0, bins)).map { i in
            values.filter { v in
                v.isFinite && v >= edges[i] && (v < edges[i + 1] || (i == bins - 1 && v == edges[i + 1]))
            }.count
        }
    }

    public func render(in frame: Rect, into svg: inout SVGWriter) {
        let omitted = series.reduce(0) { $0 + $1.values.filter { !$0.isFinite }.count }
        guard let edges = Self.edges(of: series.map(\.values), bins: bins, range: range) else {
            let message = series.allSatisfy({ $0.values.isEmpty }) ? "No data" : "No finite data to plot (\(omitted) value\(omitted == 1 ? "" : "s") omitted)"
            EmptyState.draw(title: title, message: message, in: frame, into: &svg)
            return
        }
        let width = (edges.last! - edges.first!) / Double(bins)
        let heights: [[Double]] = series.map { s in
            let c = Self.counts(s.values, edges: edges)
            let n = Double(c.reduce(0, +))
            return c.map { density ? (n > 0 ? Double($0) / (n * width) : 0) : Double($0) }
        }
        let outside = series.reduce(0) { $0 + $1.values.filter(\.isFinite).count } - series.indices.reduce(0) { acc, k in
            acc + Self.counts(series[k].values, edges: edges).reduce(0, +)
        }
        let legend = series.contains { !$0.name.isEmpty }
            ? series.enumerated().map { LegendEntry(label: $1.name, color: Palette.series($0), mark: .line) } : []
        let layout = PanelLayout(frame: frame, title: title, legend: legend)
        let sx = Scale(kind: .linear, lo: edges.first!, hi: edges.last!, range: (layout.plot.x, layout.plot.maxX),
                       fixed: range.map { _ in edges.first!...edges.last! })
        let top = heights.joined().max() ?? 0
        let sy = Scale(kind: .linear, lo: 0, hi: top > 0 ? top : 1, range: (layout.plot.maxY, layout.plot.y), integerTicks: !density)
        PanelLayout.drawTitle(title, frame: frame, into: &svg)
        layout.drawAxes(x: sx, y: sy, xLabel: xLabel, yLabel: density ? "density" : "count", into: &svg)
        let zero = sy.map(0)
        for (k, h) in heights.enumerated() {
            let color = Palette.series(k)
            svg.open("g", [("class", "series")])
            var outline: [String] = ["\(SVGNumber.format(sx.map(edges[0]))),\(SVGNumber.format(zero))"]
            for i in 0..<bins {
                let x0 = sx.map(edges[i]), x1 = sx.map(edges[i + 1]), y = sy.map(h[i])
                outline.append("\(SVGNumber.format(x0)),\(SVGNumber.format(y))")
                outline.append("\(SVGNumber.format(x1)),\(SVGNumber.format(y))")
            }
            outline.append("\(SVGNumber.format(sx.map(edges[bins]))),\(SVGNumber.format(zero))")
            svg.element("polyline", [("points", outline.joined(separator: " ")), ("fill", "none"), ("stroke", color), ("stroke-width", "2")])
            svg.close()
        }
        Legend.draw(legend, x: layout.legendX, y: layout.plot.y, into: &svg)
        var notes = [PanelLayout.omittedNote(omitted)]
        if outside > 0 { notes.append("\(outside) outside the bin range") }
        layout.drawFootnote(notes.filter { !$0.isEmpty }.joined(separator: "; "), into: &svg)
    }
}
