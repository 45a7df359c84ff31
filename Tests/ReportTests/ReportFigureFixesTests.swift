// ReportFigureFixesTests: what issue 23 asks of the report's figures, read off their SVG: integer
// layer ticks, a chance line at AUROC 0.5 on every AUROC axis, labelled points and unambiguous
// legends in AUROC vs quirkiness, an S-curve and R² per detector (and no fit on too few points),
// the ln 2 baseline as a line, histograms drawn like their legend, and the twins figure.

import Base
import Foundation
import Plot
import ReportTestSupport
import XCTest
@testable import Report

final class ReportFigureFixesTests: XCTestCase {
    func figures(_ inputs: ReportInputs, first: String = "mahalanobis") -> [String: String] {
        Dictionary(uniqueKeysWithValues: ReportFigures.all(inputs, first: first).compactMap { f in f.svg.map { (f.id, $0) } })
    }

    /// The sample tables with a `bob_rule` axis (every row once as quirky and once as truthful)
    /// and sae-l0 renamed diag-mahalanobis, whose series names are too long for a legend entry.
    func twinSamples() throws -> ReportInputs {
        func split(_ csv: String, after column: String) -> String {
            var lines = csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            let at = lines[0].firstIndex(of: column)! + 1
            lines[0].insert("bob_rule", at: at)
            var out = [lines[0].joined(separator: ",")]
            for rule in ["quirky", "truthful"] {
                for var r in lines.dropFirst() { r.insert(rule, at: at); out.append(r.joined(separator: ",")) }
            }
            return out.joined(separator: "\n") + "\n"
        }
        var inputs = try ReportSamples.inputs()
        inputs.auroc = try CSVTable.parse(split(ReportSamples.auroc.replacingOccurrences(of: "sae-l0", with: "diag-mahalanobis"), after: "detector"))
        inputs.quirkiness = try CSVTable.parse(split(ReportSamples.quirkiness, after: "dataset"))
        inputs.separation = try CSVTable.parse(split(ReportSamples.separation, after: "dataset"))
        return inputs
    }

    /// A twins table: two detectors on llama/addition, layers 0-2 and the aggregate.
    static let twins = """
        model,dataset,detector,layer,subset,quirky_auroc,twin_auroc,difference,ci_low,ci_high,alice,bob
        llama,addition,mahalanobis,0,all,0.700000,0.650000,0.050000,0.010000,0.090000,50,50
        llama,addition,mahalanobis,1,all,0.900000,0.600000,0.300000,0.250000,0.350000,50,50
        llama,addition,mahalanobis,2,all,0.800000,0.700000,0.100000,0.050000,0.150000,50,50
        llama,addition,mahalanobis,1,agree,0.800000,0.600000,0.200000,0.100000,0.300000,25,25
        llama,addition,mahalanobis,aggregate,all,0.850000,0.620000,0.230000,0.180000,0.280000,50,50
        llama,addition,sae-l0,0,all,0.500000,0.500000,0.000000,-0.050000,0.050000,50,50
        llama,addition,sae-l0,1,all,0.600000,0.650000,-0.050000,-0.150000,0.050000,50,50
        llama,addition,sae-l0,2,all,0.550000,0.550000,0.000000,-0.040000,0.040000,50,50

        """

    func texts(_ e: [SVGElement]) -> [String] { e.filter { $0.name == "text" }.map(\.text) }

    func testLayerAxesTickOnIntegersOnly() throws {
        var inputs = try ReportSamples.inputs()
        inputs.twins = try CSVTable.parse(Self.twins)
        let by = figures(inputs)
        // Layers 0-3 (per layer) and 0-2 (twins): the 1-2-5 rule alone would tick at halves.
        for (id, last) in [("auroc-per-layer", "3"), ("twin-difference", "2")] {
            for panel in SVGScan.panels(try XCTUnwrap(by[id], id)) {
                let t = texts(panel)
                XCTAssertTrue(t.contains(last), "\(id): \(t)")
                for half in ["0.5", "1.5", "2.5"] where t.contains(half) {
                    // Only an AUROC tick may read 0.5, never a layer: the twins' y axis has one.
                    XCTAssertTrue(id == "twin-difference" && half == "0.5", "\(id) has a tick at layer \(half)")
                }
                XCTAssertFalse(t.contains("1.5") || t.contains("2.5"), id)
            }
        }
    }

    func testEveryAurocAxisHasAChanceLineAtHalf() throws {
        var inputs = try ReportSamples.inputs()
        inputs.twins = try CSVTable.parse(Self.twins)
        let by = figures(inputs)
        for id in ["auroc-per-layer", "auroc-aggregate", "auroc-vs-quirkiness", "auroc-vs-separation", "twin-difference"] {
            let panels = SVGScan.panels(try XCTUnwrap(by[id], id))
            XCTAssertFalse(panels.isEmpty, id)
            for panel in panels {
                let labels = panel.filter { $0["class"] == "reference-label" }.map(\.text)
                XCTAssertTrue(labels.contains("chance"), "\(id): \(labels)")
                let lines = panel.filter { $0["class"] == "reference" }
                XCTAssertEqual(lines.count, labels.count, id)
                let chance = lines[labels.firstIndex(of: "chance")!]
                XCTAssertEqual(chance["stroke-dasharray"], "5 4", id)
                XCTAssertEqual(chance.number("y1")!, try XCTUnwrap(SVGScan.y(of: 0.5, in: panel), id), accuracy: 0.02, id)
                XCTAssertEqual(chance.number("y2"), chance.number("y1"), id)
            }
        }
    }

    func testQuirkinessPointsAreLabelledAndNoLegendIsCutIntoAmbiguity() throws {
        let by = figures(try twinSamples())
        let panels = SVGScan.panels(try XCTUnwrap(by["auroc-vs-quirkiness"]))
        let titles = panels.map { $0.first { $0["font-weight"] == "bold" }?.text ?? "" }
        XCTAssertEqual(titles, ["diag-mahalanobis bob_rule=quirky", "diag-mahalanobis bob_rule=truthful",
                                "mahalanobis bob_rule=quirky", "mahalanobis bob_rule=truthful"])
        for panel in panels {
            // Each model/dataset point carries its short label.
            XCTAssertEqual(Set(texts(panel)).intersection(["gpt2s add.", "gpt2s sub."]), ["gpt2s add.", "gpt2s sub."])
            XCTAssertEqual(panel.filter { $0.name == "circle" && $0["r"] == "3.5" }.count, 2)
        }
        // No panel of any figure shows two texts cut to the same words.
        for (id, svg) in by {
            for panel in SVGScan.panels(svg) {
                let cut = texts(panel).filter { $0.contains("…") }
                XCTAssertEqual(Set(cut).count, cut.count, "\(id): \(cut)")
            }
        }
        XCTAssertEqual(ReportFigures.shortLabels([ModelDataset(model: "llama", dataset: "addition"),
                                                  ModelDataset(model: "gpt2", dataset: "modular_addition"),
                                                  ModelDataset(model: "gpt2", dataset: "multiplication"),
                                                  ModelDataset(model: "pythia-410m", dataset: "sub")]),
                       [ModelDataset(model: "llama", dataset: "addition"): "llama add.",
                        ModelDataset(model: "gpt2", dataset: "modular_addition"): "gpt2 mod.",
                        ModelDataset(model: "gpt2", dataset: "multiplication"): "gpt2 mul.",
                        ModelDataset(model: "pythia-410m", dataset: "sub"): "pythi. sub"])
        // Names that share their first letters are cut later, until they differ.
        let long = ReportFigures.shortLabels([ModelDataset(model: "m", dataset: "addition"), ModelDataset(model: "m", dataset: "addition_mod")])
        XCTAssertEqual(Set(long.values), ["m addition", "m additio."])
    }

    /// The S-curve panels' titles and what each prints in place of an R², in document order (as
    /// scripts/findings/findings.py reads them).
    func fitTexts(_ svg: String) -> [(title: String, r2: String?, note: String?)] {
        SVGScan.panels(svg).map { p in
            (p.first { $0["font-weight"] == "bold" }?.text ?? "", p.first { $0["class"] == "r-squared" }?.text,
             p.first { $0["class"] == "fit-note" }?.text)
        }
    }

    func testEachDetectorGetsItsOwnSCurveAndNoFitOnTooFewPoints() throws {
        // mahalanobis: 8 layers exactly on a logistic curve (R² = 1); que: 2 layers.
        var auroc = "model,dataset,detector,layer,subset,auroc,ap,ci_low,ci_high\n", sep = "model,dataset,layer,separation\n"
        for layer in 0..<8 {
            let s = 0.1 * Double(layer)
            sep += "m,d,\(layer),\(s)\n"
            auroc += "m,d,mahalanobis,\(layer),all,\(0.5 + 0.4 / (1 + exp(-12 * (s - 0.35)))),,,\n"
            if layer < 2 { auroc += "m,d,que,\(layer),all,0.6,,,\n" }
        }
        var inputs = ReportInputs(title: "t")
        inputs.auroc = try CSVTable.parse(auroc)
        inputs.separation = try CSVTable.parse(sep)
        let svg = try XCTUnwrap(figures(inputs)["auroc-vs-separation"])
        let fits = fitTexts(svg)
        XCTAssertEqual(fits.map(\.title), ["AUROC vs separation: mahalanobis", "AUROC vs separation: que"])
        let r2 = try XCTUnwrap(fits[0].r2)
        XCTAssertTrue(r2.hasPrefix("R² = "), r2)
        XCTAssertGreaterThan(try XCTUnwrap(Double(r2.dropFirst(5))), 0.999)
        XCTAssertNil(fits[0].note)
        XCTAssertNil(fits[1].r2)
        XCTAssertEqual(fits[1].note, "too few points for a fit (2 points; at least 4 needed)")
        let panels = SVGScan.panels(svg)
        XCTAssertEqual(panels[0].filter { $0.name == "polyline" && $0["stroke-dasharray"] == "6 3" }.count, 1)
        XCTAssertEqual(panels[1].filter { $0.name == "polyline" && $0["stroke-dasharray"] == "6 3" }.count, 0)
        // The detector named first leads.
        XCTAssertEqual(fitTexts(try XCTUnwrap(figures(inputs, first: "que")["auroc-vs-separation"])).map(\.title).first,
                       "AUROC vs separation: que")

        // The sample's separation vs logits has two points (two outputs tables): no line, no R².
        let logits = fitTexts(try XCTUnwrap(figures(try ReportSamples.inputs())["separation-vs-logits"]))
        XCTAssertEqual(logits.map(\.title), ["S vs logit separation (labels)", "S vs logit variance", "S vs Alice–Bob logit separation"])
        for f in logits {
            XCTAssertNil(f.r2, f.title)
            XCTAssertEqual(f.note, "too few points for a fit (2 points; at least 3 needed)")
        }
    }

    func testLossBaselineIsALineAtLnTwo() throws {
        let svg = try XCTUnwrap(figures(try ReportSamples.inputs())["losses"])
        let panel = try XCTUnwrap(SVGScan.panels(svg).first)
        // Bars: 4 groups x 2 model/datasets, no baseline bars (bars carry no fill of their own).
        XCTAssertEqual(panel.filter { $0.name == "rect" && $0["fill"] == nil }.count, 8)
        XCTAssertFalse(svg.contains("baseline (ln 2)"))
        let line = try XCTUnwrap(panel.first { $0["class"] == "reference" })
        XCTAssertEqual(line.number("y1")!, try XCTUnwrap(SVGScan.y(of: log(2.0), in: panel)), accuracy: 0.02)
        XCTAssertEqual(panel.filter { $0["class"] == "reference-label" }.map(\.text), [ReportFigures.lnTwoLabel])
    }

    func testLogOddsHistogramsLookLikeTheirLegend() throws {
        let svg = try XCTUnwrap(figures(try ReportSamples.inputs())["log-odds"])
        XCTAssertFalse(svg.contains("fill-opacity"), "translucent overlaps make colours the legend does not show")
        for panel in SVGScan.panels(svg) {
            for k in 0..<2 {
                let color = Palette.series(k)
                XCTAssertEqual(panel.filter { $0.name == "polyline" && $0["stroke"] == color }.count, 1)
                XCTAssertEqual(panel.filter { $0.name == "line" && $0["stroke"] == color }.count, 1, "legend swatch")
            }
        }
    }

    func testTwinsFigureShowsQuirkyTwinAndDifferencePerDetector() throws {
        var inputs = ReportInputs(title: "t")
        inputs.twins = try CSVTable.parse(Self.twins)
        let svg = try XCTUnwrap(figures(inputs)["twin-difference"])
        XCTAssertEqual(svg, figures(inputs)["twin-difference"], "same inputs, same bytes")
        for label in ["quirky model AUROC", "truthful twin AUROC", "quirky − twin, 95% CI band"] {
            XCTAssertTrue(svg.contains(">\(label)</text>"), label)
        }
        let panels = SVGScan.panels(svg)
        XCTAssertEqual(panels.map { $0.first { $0["font-weight"] == "bold" }?.text ?? "" },
                       ["mahalanobis: llama / addition", "sae-l0: llama / addition"])
        let mahalanobis = panels[0]
        // Quirky, twin and difference lines in the legend's colours; the difference has its band.
        for k in 0..<3 {
            XCTAssertEqual(mahalanobis.filter { $0.name == "polyline" && $0["stroke"] == Palette.series(k) }.count, 1, "line \(k)")
        }
        XCTAssertEqual(mahalanobis.filter { $0.name == "polygon" }.count, 1)
        // At layer 1: quirky 0.9, twin 0.6, difference 0.3 (circles in series order, 3 per line).
        let y = { (v: Double) in SVGScan.y(of: v, in: mahalanobis)! }
        let cy = mahalanobis.filter { $0.name == "circle" }.compactMap { $0.number("cy") }
        XCTAssertEqual(cy.count, 9)
        XCTAssertEqual(cy[1], y(0.9), accuracy: 0.02)
        XCTAssertEqual(cy[4], y(0.6), accuracy: 0.02)
        XCTAssertEqual(cy[7], y(0.3), accuracy: 0.02)
        // Chance at 0.5 and no difference at 0.
        let refs = Dictionary(uniqueKeysWithValues: zip(mahalanobis.filter { $0["class"] == "reference-label" }.map(\.text),
                                                        mahalanobis.filter { $0["class"] == "reference" }.map { $0.number("y1")! }))
        XCTAssertEqual(refs["chance"]!, y(0.5), accuracy: 0.02)
        XCTAssertEqual(refs["no difference"]!, y(0), accuracy: 0.02)
        XCTAssertEqual(figures(inputs, first: "sae-l0")["twin-difference"].map { fitTexts($0).map(\.title).first }, "sae-l0: llama / addition")
    }
}
