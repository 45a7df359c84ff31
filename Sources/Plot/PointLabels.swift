// Point labels of a scatter chart: each label beside its point, on the side that stays inside the
// plot, moved up or down (with a leader line to its point) where it would overlap a label placed
// before it, so points that share an x keep legible labels.

/// Where one point's label is written.
struct PointLabel: Equatable {
    var text: String
    /// The point, in pixels.
    var point: (x: Double, y: Double)
    /// The text's anchor position and alignment.
    var x: Double, y: Double
    var anchorEnd: Bool

    static func == (a: PointLabel, b: PointLabel) -> Bool {
        a.text == b.text && a.point == b.point && a.x == b.x && a.y == b.y && a.anchorEnd == b.anchorEnd
    }

    /// True when the label sits away from its point (it then gets a leader line).
    var moved: Bool { abs(y - (point.y + PointLabels.baseline)) > 0.5 }
}

/// Label placement and drawing; placement is a pure function of the points, in their order.
enum PointLabels {
    static let fontSize = 9.0
    static let rowHeight = 10.0
    /// Offset of the text baseline below the point's centre (vertically centres the text).
    static let baseline = 3.0
    static let gap = 5.0
    /// How many rows up or down a label may move before it is left overlapping.
    static let maxShift = 12

    /// Places `points` (pixel positions and texts) inside `plot`: right of the point unless that
    /// runs past the plot's right edge (then left), at the nearest row offset (0, +1, −1, +2, …)
    /// whose box overlaps no label placed earlier and stays inside the plot.
    static func place(_ points: [(x: Double, y: Double, text: String)], in plot: Rect) -> [PointLabel] {
        var boxes: [(Double, Double, Double, Double)] = []
        var out: [PointLabel] = []
        for p in points {
            let w = TextMetrics.width(p.text, fontSize: fontSize)
            let right = p.x + gap + w <= plot.maxX
            let x0 = right ? p.x + gap : p.x - gap - w
            let offsets = [0] + (1...maxShift).flatMap { [$0, -$0] }
            var chosen = 0.0
            for k in offsets {
                let top = p.y - rowHeight / 2 + Double(k) * rowHeight
                guard top >= plot.y, top + rowHeight <= plot.maxY else { continue }
                let clear = boxes.allSatisfy { b in x0 + w <= b.0 || b.2 <= x0 || top + rowHeight <= b.1 || b.3 <= top }
                if clear { chosen = Double(k) * rowHeight; break }
            }
            let top = p.y - rowHeight / 2 + chosen
            boxes.append((x0, top, x0 + w, top + rowHeight))
            out.append(PointLabel(text: p.text, point: (p.x, p.y), x: right ? x0 : x0 + w, y: p.y + chosen + baseline, anchorEnd: !right))
        }
        return out
    }

    /// Draws the labels (and a thin leader line for each moved one).
    static func draw(_ labels: [PointLabel], into svg: inout SVGWriter) {
        guard !labels.isEmpty else { return }
        svg.open("g", [("class", "point-labels"), ("font-size", SVGNumber.format(fontSize)), ("fill", "#333333")])
        for l in labels {
            if l.moved {
                let ex = l.anchorEnd ? l.x + 1 : l.x - 1
                svg.element("line", [("x1", SVGNumber.format(l.point.x)), ("y1", SVGNumber.format(l.point.y)), ("x2", SVGNumber.format(ex)),
                                     ("y2", SVGNumber.format(l.y - baseline)), ("stroke", "#999999"), ("stroke-width", "0.6")])
            }
            var attrs = [("x", SVGNumber.format(l.x)), ("y", SVGNumber.format(l.y))]
            if l.anchorEnd { attrs.append(("text-anchor", "end")) }
            svg.text(l.text, attrs)
        }
        svg.close()
    }
}
