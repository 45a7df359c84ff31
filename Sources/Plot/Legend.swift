// Legends: a column of swatches and labels placed to the right of a plot area, or one row of them
// under a figure's title (a legend its panels share).

/// How a legend entry's swatch is drawn.
public enum LegendMark: Sendable {
    case line
    case dashedLine
    case dot
    case box
}

/// One legend entry.
public struct LegendEntry: Sendable {
    public var label: String
    public var color: String
    public var mark: LegendMark

    /// Creates an entry.
    public init(label: String, color: String, mark: LegendMark) {
        self.label = label
        self.color = color
        self.mark = mark
    }
}

/// Legend layout and drawing.
enum Legend {
    static let fontSize = 11.0
    static let rowHeight = 16.0
    /// Widest label drawn before it is shortened by an ellipsis in its middle (keeping both ends,
    /// so entries that differ only at the end stay apart): room for a detector and one sweep axis.
    static let labelWidth = 180.0

    /// Width the legend needs (0 when there is nothing worth a legend).
    static func width(_ entries: [LegendEntry]) -> Double {
        guard !entries.isEmpty else { return 0 }
        let longest = entries.map { TextMetrics.width($0.label, fontSize: fontSize) }.max() ?? 0
        return min(30 + labelWidth, 30 + longest) + 8
    }

    /// Draws entries top-down from (x, y).
    static func draw(_ entries: [LegendEntry], x: Double, y: Double, into svg: inout SVGWriter) {
        guard !entries.isEmpty else { return }
        svg.open("g", [("class", "legend"), ("font-size", SVGNumber.format(fontSize))])
        for (i, e) in entries.enumerated() {
            entry(e, x: x, cy: y + Double(i) * rowHeight + rowHeight / 2, into: &svg)
        }
        svg.close()
    }

    /// Width of one entry of a legend row (swatch, label and a gap before the next).
    static func rowEntryWidth(_ e: LegendEntry) -> Double {
        30 + min(labelWidth, TextMetrics.width(e.label, fontSize: fontSize)) + 16
    }

    /// Draws entries left to right in one row centred on `centerX` at height `y` (a figure's
    /// legend shared by its panels).
    static func drawRow(_ entries: [LegendEntry], centerX: Double, y: Double, into svg: inout SVGWriter) {
        guard !entries.isEmpty else { return }
        var x = centerX - entries.map(rowEntryWidth).reduce(0, +) / 2
        svg.open("g", [("class", "legend"), ("font-size", SVGNumber.format(fontSize))])
        for e in entries {
            entry(e, x: x, cy: y + rowHeight / 2, into: &svg)
            x += rowEntryWidth(e)
        }
        svg.close()
    }

    /// One swatch and its label, the swatch starting at x, centred on height cy.
    static func entry(_ e: LegendEntry, x: Double, cy: Double, into svg: inout SVGWriter) {
        switch e.mark {
        case .line, .dashedLine:
            var attrs: [(String, String)] = [("x1", SVGNumber.format(x)), ("y1", SVGNumber.format(cy)),
                                             ("x2", SVGNumber.format(x + 18)), ("y2", SVGNumber.format(cy)),
                                             ("stroke", e.color), ("stroke-width", "2")]
            if e.mark == .dashedLine { attrs.append(("stroke-dasharray", "5 3")) }
            svg.element("line", attrs)
        case .dot:
            svg.element("circle", [("cx", SVGNumber.format(x + 9)), ("cy", SVGNumber.format(cy)), ("r", "4"), ("fill", e.color)])
        case .box:
            svg.element("rect", Rect(x: x + 3, y: cy - 5, width: 12, height: 10).attributes + [("fill", e.color)])
        }
        svg.text(TextMetrics.truncateMiddle(e.label, width: labelWidth, fontSize: fontSize),
                 [("x", SVGNumber.format(x + 24)), ("y", SVGNumber.format(cy + 4))])
    }
}
