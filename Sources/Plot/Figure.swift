// A figure: an optional title and a legend row shared by its panels over a grid of chart
// panels, written as one SVG document.

/// A grid of panels, filled row by row.
public struct Figure {
    /// Figure title (empty for none).
    public var title: String
    /// A legend shared by all panels, drawn in one row under the title (empty for none; panels
    /// whose series have no names draw no legend of their own).
    public var legend: [LegendEntry]
    /// The panels.
    public var panels: [Chart]
    /// Panels per row.
    public var columns: Int
    /// Size of each panel in pixels.
    public var panelWidth: Double
    public var panelHeight: Double

    /// Creates a figure.
    public init(title: String = "", legend: [LegendEntry] = [], panels: [Chart], columns: Int = 2,
                panelWidth: Double = 480, panelHeight: Double = 340) {
        self.title = title
        self.legend = legend
        self.panels = panels
        self.columns = max(1, columns)
        self.panelWidth = panelWidth
        self.panelHeight = panelHeight
    }

    /// The SVG document (UTF-8 text, deterministic for the same input).
    public func svg() -> String {
        let cols = panels.isEmpty ? 1 : min(columns, panels.count)
        let rows = max(1, (panels.count + cols - 1) / cols)
        let legendTop = title.isEmpty ? 6.0 : 34.0
        let top = (title.isEmpty ? 0.0 : 34.0) + (legend.isEmpty ? 0 : Legend.rowHeight + 10)
        // At least as wide as the legend row (a figure of one narrow panel and a long legend).
        let width = max(Double(cols) * panelWidth, legend.map(Legend.rowEntryWidth).reduce(0, +) + 20)
        let height = top + Double(rows) * panelHeight
        var svg = SVGWriter()
        svg.open("svg", [("xmlns", "http://www.w3.org/2000/svg"), ("width", SVGNumber.format(width)),
                         ("height", SVGNumber.format(height)), ("viewBox", "0 0 \(SVGNumber.format(width)) \(SVGNumber.format(height))"),
                         ("font-family", "Helvetica, Arial, sans-serif")])
        svg.element("rect", Rect(x: 0, y: 0, width: width, height: height).attributes + [("fill", "#ffffff")])
        if !title.isEmpty {
            svg.text(title, [("x", SVGNumber.format(width / 2)), ("y", "23"), ("text-anchor", "middle"),
                             ("font-size", "16"), ("font-weight", "bold")])
        }
        Legend.drawRow(legend, centerX: width / 2, y: legendTop, into: &svg)
        if panels.isEmpty {
            EmptyState.draw(title: "", message: "No panels to show", in: Rect(x: 0, y: top, width: width, height: panelHeight), into: &svg)
        }
        for (i, panel) in panels.enumerated() {
            let frame = Rect(x: Double(i % cols) * panelWidth, y: top + Double(i / cols) * panelHeight,
                             width: panelWidth, height: panelHeight)
            svg.open("g", [("class", "panel")])
            panel.render(in: frame, into: &svg)
            svg.close()
        }
        svg.close()
        return svg.output
    }
}
