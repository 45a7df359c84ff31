// Guides that help a reader (issue 23): integer ticks on index axes, labelled reference lines at
// their value, point labels that stay apart, a note instead of a fit's R², histogram outlines
// that look like their legend, a figure-wide legend row, and legend labels cut in the middle.

import Foundation
import ReportTestSupport
import XCTest
@testable import Plot

final class ChartGuidesTests: XCTestCase {
    let frame = Rect(x: 0, y: 0, width: 640, height: 420)

    /// Texts of the x tick labels of a chart drawn alone by `Chart.svg()` (640 x 420).
    func xTickLabels(_ svg: String, legend: [LegendEntry]) -> [String] {
        let layout = PanelLayout(frame: frame, title: "t", legend: legend)
        return SVGScan.elements(svg).filter { $0.name == "text" && $0["text-anchor"] == "middle" && $0.number("y") == layout.plot.maxY + 16 }
            .map(\.text)
    }

    func testIndexAxesTickOnIntegersOnly() throws {
        let s = LineSeries(name: "", x: [0, 1, 2], y: [0.3, 0.6, 0.9])
        let plain = try LineChart(title: "t", series: [s], xAxis: AxisSpec("layer")).svg()
        XCTAssertEqual(xTickLabels(plain, legend: []), ["0", "0.5", "1", "1.5", "2"], "the 1-2-5 rule alone puts ticks at halves")
        let layers = try LineChart(title: "t", series: [s], xAxis: AxisSpec("layer", integerTicks: true)).svg()
        XCTAssertEqual(xTickLabels(layers, legend: []), ["0", "1", "2"])
        // Fixed domains and longer spans: steps of 1, 2, 5 ... stay integers.
        XCTAssertEqual(NiceTicks.linearInside(0, 3, minStep: 1).ticks, [0, 1, 2, 3])
        XCTAssertEqual(NiceTicks.linear(0, 11, minStep: 1).ticks, [0, 2, 4, 6, 8, 10, 12])
        XCTAssertEqual(Scale(kind: .linear, lo: 0, hi: 1, range: (0, 100), integerTicks: true).ticks, [0, 1])
    }

    func testReferenceLinesSitAtTheirValueWithTheirLabel() throws {
        let layout = PanelLayout(frame: frame, title: "t", legend: [])
        let chance = ReferenceLine(0.5, label: "chance")
        let line = try LineChart(title: "t", series: [LineSeries(name: "", x: [0, 1], y: [0.2, 0.9])],
                                 yAxis: AxisSpec("AUROC", domain: 0...1, references: [chance])).svg()
        let scatter = try ScatterChart(title: "t", series: [ScatterSeries(name: "", x: [0, 1], y: [0.2, 0.9])],
                                       yAxis: AxisSpec("AUROC", domain: 0...1, references: [chance])).svg()
        for svg in [line, scatter] {
            let e = SVGScan.elements(svg)
            let refs = e.filter { $0["class"] == "reference" }
            XCTAssertEqual(refs.count, 1)
            // 0.5 on a 0...1 axis: halfway between the plot's top and bottom, across its width.
            XCTAssertEqual(refs[0].number("y1")!, (layout.plot.y + layout.plot.maxY) / 2, accuracy: 0.01)
            XCTAssertEqual(refs[0].number("y2")!, refs[0].number("y1")!)
            XCTAssertEqual(refs[0].number("x1")!, layout.plot.x, accuracy: 0.01)
            XCTAssertEqual(refs[0].number("x2")!, layout.plot.maxX, accuracy: 0.01)
            XCTAssertNotNil(refs[0]["stroke-dasharray"])
            XCTAssertEqual(e.filter { $0["class"] == "reference-label" }.map(\.text), ["chance"])
        }
        // A bar chart's fitted value axis reaches the reference: bars of 0.2 and 0.3 with a line at
        // ln 2; the 1-2-5 rule gives a step of 0.1 and a domain 0...0.7 (0.693 / 5 = 0.139 -> 0.1).
        let groups = [BarGroup(name: "a", values: [0.2, 0.3])]
        let bars = try BarChart(title: "t", categories: ["x", "y"], groups: groups,
                                yAxis: AxisSpec("loss", references: [ReferenceLine(log(2.0), label: "ln 2")])).svg()
        let barLayout = PanelLayout(frame: frame, title: "t", legend: [LegendEntry(label: "a", color: "", mark: .box)])
        let ref = try XCTUnwrap(SVGScan.elements(bars).first { $0["class"] == "reference" })
        XCTAssertEqual(ref.number("y1")!, barLayout.plot.maxY - log(2.0) / 0.7 * barLayout.plot.height, accuracy: 0.01)
        XCTAssertTrue(bars.contains(">ln 2</text>"))
    }

    func testPointLabelsAndFitNote() throws {
        let s = ScatterSeries(name: "", x: [0, 1, 2], y: [1, 2, 3], labels: ["gpt2 add.", "llama sub.", ""])
        let noted = try ScatterChart(title: "t", series: [s], note: "too few points for a fit").svg()
        let e = SVGScan.elements(noted)
        XCTAssertEqual(e.filter { $0.name == "text" && $0["class"] == nil && ["gpt2 add.", "llama sub."].contains($0.text) }.count, 2)
        XCTAssertEqual(e.filter { $0["class"] == "fit-note" }.map(\.text), ["too few points for a fit"])
        XCTAssertFalse(noted.contains("R²"))
        // With a fit, its R² is shown and the note is not.
        let fitted = try ScatterChart(title: "t", series: [s], fit: FittedCurve(name: "", x: [0, 2], y: [1, 3], rSquared: 0.5),
                                      note: "unused").svg()
        XCTAssertTrue(fitted.contains("<text x=\"70\" y=\"48\" font-size=\"12\" class=\"r-squared\">R² = 0.5</text>"), fitted)
        XCTAssertFalse(fitted.contains("unused"))
        XCTAssertThrowsError(try ScatterChart(title: "X", series: [ScatterSeries(name: "s", x: [1], y: [1], labels: [])])) {
            XCTAssertTrue("\($0)".contains("s.labels"))
        }
    }

    func testPointLabelsOfOneColumnMoveApartAndStayInside() {
        let plot = Rect(x: 50, y: 20, width: 300, height: 200)
        // Five points on one spot, and one at the right edge.
        let pts = (0..<5).map { (x: 100.0, y: 120.0, text: "model \($0)") } + [(x: 349.0, y: 60.0, text: "edge")]
        let placed = PointLabels.place(pts, in: plot)
        XCTAssertEqual(placed.count, 6)
        let column = placed.prefix(5).map(\.y)
        XCTAssertEqual(Set(column).count, 5, "each label of the column gets its own row")
        for (i, a) in column.enumerated() {
            for b in column[(i + 1)...] { XCTAssertGreaterThanOrEqual(abs(a - b), PointLabels.rowHeight - 1e-9) }
        }
        XCTAssertFalse(placed[0].moved)
        XCTAssertTrue(placed[1].moved)
        XCTAssertTrue(placed.allSatisfy { $0.y > plot.y && $0.y < plot.maxY })
        // The edge point's label goes left of it, ending before the point.
        XCTAssertTrue(placed[5].anchorEnd)
        XCTAssertLessThan(placed[5].x, 349)
        XCTAssertEqual(PointLabels.place(pts, in: plot), placed, "placement is deterministic")
    }

    func testHistogramOutlinesLookLikeTheirLegend() throws {
        let svg = try Histogram(title: "t", series: [HistogramSeries(name: "Alice", values: [0, 1, 1, 2, 3]),
                                                     HistogramSeries(name: "Bob", values: [1, 2, 2, 3, 4])], bins: 4).svg()
        let e = SVGScan.elements(svg)
        // No translucent fills whose overlaps would make colours the legend does not show.
        XCTAssertFalse(svg.contains("fill-opacity"))
        XCTAssertFalse(e.contains { $0.name == "rect" && [Palette.series(0), Palette.series(1)].contains($0["fill"] ?? "") })
        for k in 0..<2 {
            let color = Palette.series(k)
            XCTAssertEqual(e.filter { $0.name == "polyline" && $0["stroke"] == color && $0["fill"] == "none" }.count, 1, "outline \(k)")
            XCTAssertEqual(e.filter { $0.name == "line" && $0["stroke"] == color }.count, 1, "legend line swatch \(k)")
        }
        // Counts tick on integers.
        XCTAssertFalse(e.contains { $0.name == "text" && $0.text.contains(".") })
    }

    func testFigureLegendRowIsSharedByUnnamedPanels() throws {
        let legend = [LegendEntry(label: "quirky model AUROC", color: Palette.series(0), mark: .line),
                      LegendEntry(label: "truthful twin AUROC", color: Palette.series(1), mark: .line)]
        let panel = try LineChart(title: "p", series: [LineSeries(name: "", x: [0, 1], y: [0, 1]), LineSeries(name: "", x: [0, 1], y: [1, 0])])
        let svg = Figure(legend: legend, panels: [panel, panel], columns: 2, panelWidth: 100, panelHeight: 200).svg()
        XCTAssertEqual(svg.components(separatedBy: "class=\"legend\"").count - 1, 1, "one legend, the figure's")
        XCTAssertTrue(svg.contains(">quirky model AUROC</text>") && svg.contains(">truthful twin AUROC</text>"))
        // The figure widens to its legend row rather than cutting it (two 100 px panels).
        let width = try XCTUnwrap(SVGScan.elements(svg).first { $0.name == "svg" }?.number("width"))
        XCTAssertEqual(width, legend.map(Legend.rowEntryWidth).reduce(0, +) + 20, accuracy: 0.01)
        XCTAssertGreaterThan(width, 200)
    }

    func testLegendLabelsAreCutInTheMiddleSoTheirEndsStayApart() {
        let a = TextMetrics.truncateMiddle("diag-mahalanobis bob_rule=quirky", width: Legend.labelWidth, fontSize: Legend.fontSize)
        let b = TextMetrics.truncateMiddle("diag-mahalanobis bob_rule=truthful", width: Legend.labelWidth, fontSize: Legend.fontSize)
        XCTAssertNotEqual(a, b)
        XCTAssertTrue(a.hasPrefix("diag-mahal") && a.hasSuffix("=quirky") && a.contains("…"), a)
        XCTAssertTrue(b.hasSuffix("=truthful"), b)
        XCTAssertLessThanOrEqual(TextMetrics.width(b, fontSize: Legend.fontSize), Legend.labelWidth)
        XCTAssertEqual(TextMetrics.truncateMiddle("short", width: Legend.labelWidth, fontSize: Legend.fontSize), "short")
    }
}
