// ReportFiguresTests: the figures, summary table and logit measures built from synthetic
// tables: every figure drawn with data marks, "not available" reasons for missing inputs,
// numbers checked against numpy/scipy fixtures and closed-form cases, and text escaping.

import Base
import Detectors
import ReportTestSupport
import XCTest
@testable import Report

/// Small synthetic result tables with the documented columns.

final class ReportFiguresTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/report").path

    func count(_ s: String, _ needle: String) -> Int { s.components(separatedBy: needle).count - 1 }

    func testEveryFigureIsDrawnWithDataMarks() throws {
        let figs = ReportFigures.all(try ReportSamples.inputs())
        XCTAssertEqual(figs.map(\.id), ["auroc-per-layer", "auroc-aggregate", "log-odds", "auroc-vs-quirkiness", "losses",
                                        "auroc-vs-separation", "separation-vs-logits"])
        for f in figs {
            XCTAssertNil(f.unavailable, "\(f.id): \(f.unavailable ?? "")")
            let svg = try XCTUnwrap(f.svg, f.id)
            XCTAssertTrue(svg.hasPrefix("<svg"), f.id)
            XCTAssertFalse(svg.contains("empty-state"), "\(f.id) drew an empty panel")
        }
        let by = Dictionary(uniqueKeysWithValues: figs.map { ($0.id, $0.svg!) })
        // Two panels (datasets) x two detectors: four lines, each with four points and a CI band.
        // (Data marks are told from legend and axis marks by their attributes.)
        XCTAssertEqual(count(by["auroc-per-layer"]!, "stroke-linejoin=\"round\""), 4)
        XCTAssertEqual(count(by["auroc-per-layer"]!, "r=\"2.5\""), 16)
        XCTAssertEqual(count(by["auroc-per-layer"]!, "<polygon"), 4)
        XCTAssertTrue(by["auroc-per-layer"]!.contains("gpt2s / subtraction"))
        // Aggregated: 2 categories x 2 detectors bars.
        XCTAssertTrue(by["auroc-aggregate"]!.contains("sae-l0"))
        // Losses: the ln 2 baseline is a labelled line (its own test checks where).
        XCTAssertTrue(by["losses"]!.contains(">\(ReportFigures.lnTwoLabel)</text>"))
        // AUROC vs quirkiness: one point per model/dataset and detector.
        XCTAssertEqual(count(by["auroc-vs-quirkiness"]!, "r=\"3.5\""), 4)
        // AUROC vs separation: 2 detectors x 2 datasets x 4 layers points, a panel and an S-curve
        // with its R² per detector.
        XCTAssertEqual(count(by["auroc-vs-separation"]!, "r=\"3.5\""), 16)
        XCTAssertTrue(by["auroc-vs-separation"]!.contains("AUROC vs separation: mahalanobis</text>"))
        XCTAssertEqual(count(by["auroc-vs-separation"]!, "class=\"r-squared\">R² = "), 2)
        // Separation vs logits: three panels each with two points.
        XCTAssertEqual(count(by["separation-vs-logits"]!, "r=\"3.5\""), 6)
    }

    func testMissingInputsSayWhyInsteadOfFailing() throws {
        let empty = ReportFigures.all(ReportInputs(title: "t"))
        XCTAssertTrue(empty.allSatisfy { $0.svg == nil && !($0.unavailable ?? "").isEmpty })
        XCTAssertEqual(empty.first { $0.id == "auroc-per-layer" }?.unavailable, "no auroc table was given")
        XCTAssertEqual(empty.first { $0.id == "log-odds" }?.unavailable, "no per-prompt outputs tables were given")

        var only = ReportInputs(title: "t")
        only.auroc = try CSVTable.parse(ReportSamples.auroc)
        let figs = ReportFigures.all(only)
        XCTAssertNotNil(figs.first { $0.id == "auroc-per-layer" }?.svg)
        XCTAssertNotNil(figs.first { $0.id == "auroc-aggregate" }?.svg)
        XCTAssertEqual(figs.first { $0.id == "auroc-vs-quirkiness" }?.unavailable, "no quirkiness table was given")
        XCTAssertEqual(figs.first { $0.id == "auroc-vs-separation" }?.unavailable, "no separation table was given")

        // Rows without a matching key (here: no aggregate rows) are a reason too.
        only.auroc = try CSVTable.parse("model,dataset,detector,layer,subset,auroc,ap,ci_low,ci_high\nm,d,x,0,all,0.6,0.5,0.5,0.7\n")
        XCTAssertEqual(ReportFigures.all(only).first { $0.id == "auroc-aggregate" }?.unavailable,
                       "the auroc table has no rows with layer 'aggregate' and subset 'all'")
    }

    func testSummaryTableUsesValidationBestLayerAndMeans() throws {
        let t = ReportSummary.table(try ReportSamples.inputs())
        XCTAssertEqual(t.header, ReportSummary.columns)
        XCTAssertEqual(t.rows.count, 4)
        let r = t.records
        // addition/mahalanobis: per-layer AUROC 0.5, 0.6, 0.7, 0.8 -> mean 0.65.
        XCTAssertEqual(r[0]["model"], "gpt2s")
        XCTAssertEqual(r[0]["detector"], "mahalanobis")
        XCTAssertEqual(r[0]["mean_auroc"], "0.6500")
        XCTAssertEqual(r[0]["aggregate_auroc"], "0.8000")
        XCTAssertEqual(r[0]["aggregate_auroc_disagree"], "0.9000")
        XCTAssertEqual(r[0]["aggregate_auroc_agree"], "")
        // The best layer is the one chosen on validation (2), not the test argmax (3).
        XCTAssertEqual(r[0]["best_layer"], "2")
        XCTAssertEqual(r[0]["test_auroc"], "0.6900")
        // subtraction/sae-l0 has no best-layer row.
        XCTAssertEqual(r[3]["dataset"], "subtraction")
        XCTAssertEqual(r[3]["best_layer"], "")
    }

    func testLogitMeasuresClosedForm() throws {
        // z on Alice's prompts {1, 3} (labels 1, 1), on Bob's {-1, -3} (labels 0, 0): mean 0,
        // var = (1 + 9 + 1 + 9) / 4 = 5, both separations (2 - -2)^2 / 5 = 3.2.
        let t = try CSVTable.parse("character,label,logit_yes,logit_no,log_odds\nalice,1,1,0,9\nalice,1,4,1,9\nbob,0,-1,0,9\nbob,0,0,3,9\n")
        let m = try XCTUnwrap(LogitMeasures.compute(t))
        XCTAssertEqual(m.variance, 5, accuracy: 1e-12)
        XCTAssertEqual(m.labelSeparation, 3.2, accuracy: 1e-12)
        XCTAssertEqual(m.characterSeparation, 3.2, accuracy: 1e-12)
        XCTAssertNil(LogitMeasures.compute(try CSVTable.parse("character,label\nalice,1\n")))
    }

    func testNumbersAgainstNumpyFixtures() throws {
        let expected = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/expected.json"))) as? [String: Any])
        let outputs = try CSVTable.read(path: Self.fixtures + "/outputs.csv")
        let logit = expected["logit"] as! [String: Double]
        let m = try XCTUnwrap(LogitMeasures.compute(outputs))
        XCTAssertEqual(m.labelSeparation, logit["label_separation"]!, accuracy: 1e-9)
        XCTAssertEqual(m.variance, logit["variance"]!, accuracy: 1e-9)
        XCTAssertEqual(m.characterSeparation, logit["character_separation"]!, accuracy: 1e-9)

        // Mean losses from the outputs table (no loss columns in quirkiness).
        var inputs = ReportInputs(title: "t", separation: try CSVTable.parse("model,dataset,layer,separation,between_total_ratio\nm,ds,0,1,0.1\n"))
        inputs.outputs = [(name: "outputs/m_ds.csv", table: outputs)]
        let losses = try XCTUnwrap(ReportData(inputs).lossTable[Group(md: ModelDataset(model: "m", dataset: "ds"), extras: "")])
        for (a, b) in zip(losses, expected["losses"] as! [Double]) { XCTAssertEqual(a, b, accuracy: 1e-9) }

        let line = expected["line"] as! [String: Any]
        let f = try LinearFit.fit(x: line["x"] as! [Double], y: line["y"] as! [Double])
        XCTAssertEqual(f.rSquared, line["r_squared"] as! Double, accuracy: 1e-9)

        // R² of the S-curve: our fit's residuals through ReportFigures.rSquared vs scipy's curve_fit.
        let s = expected["s_curve"] as! [String: Any]
        let sx = s["x"] as! [Double], sy = s["y"] as! [Double]
        let fit = try LogisticCurveFit.fit(x: sx, y: sy)
        let r2 = try XCTUnwrap(ReportFigures.rSquared(y: sy, residualSS: fit.sumOfSquares))
        XCTAssertEqual(r2, s["r_squared"] as! Double, accuracy: 1e-4)
    }

    func testPaddedDomainKeepsPointsOffTheFrame() throws {
        let d = try XCTUnwrap(ReportFigures.padded([3, 1, .nan]))
        XCTAssertEqual(d.lowerBound, 0.88, accuracy: 1e-12)
        XCTAssertEqual(d.upperBound, 3.12, accuracy: 1e-12)
        let one = try XCTUnwrap(ReportFigures.padded([2]))
        XCTAssertEqual(one.lowerBound, 1.94, accuracy: 1e-12)
        XCTAssertNil(ReportFigures.padded([.infinity]))
    }

    func testOutputsAreMatchedToModelAndDatasetByName() {
        let known = [ModelDataset(model: "gpt2", dataset: "add"), ModelDataset(model: "gpt2", dataset: "addition"),
                     ModelDataset(model: "llama", dataset: "addition")]
        XCTAssertEqual(ReportData.match("outputs/gpt2/addition.csv", known), ModelDataset(model: "gpt2", dataset: "addition"))
        XCTAssertEqual(ReportData.match("evaluate[model=llama,dataset=addition]/outputs.csv", known)?.model, "llama")
        XCTAssertNil(ReportData.match("outputs/other.csv", known))
    }

    func testHTMLEscapesAllTextAndInlinesSVG() throws {
        var inputs = try ReportSamples.inputs(title: "<script>alert('x')</script> & co")
        inputs.params = [("note", "a<b>\"c\"")]
        inputs.notes = ["bad <file>"]
        let figures = ReportFigures.all(inputs)
        let html = HTMLReport.render(inputs, figures: figures, summary: ReportSummary.table(inputs))
        XCTAssertFalse(html.contains("<script"))
        XCTAssertTrue(html.contains("<title>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co</title>"))
        XCTAssertTrue(html.contains("a&lt;b&gt;&quot;c&quot;"))
        XCTAssertTrue(html.contains("bad &lt;file&gt;"))
        XCTAssertEqual(count(html, "<svg"), 7)
        // Element ids (clip paths) are unique across the inlined figures, and every reference
        // points at one of them.
        let ids = html.components(separatedBy: " id=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        XCTAssertEqual(Set(ids).count, ids.count, "duplicate ids")
        XCTAssertTrue(ids.contains("auroc-vs-quirkiness-clip-1"), "\(ids)")
        let refs = html.components(separatedBy: "url(#").dropFirst().map { String($0.prefix { $0 != ")" }) }
        XCTAssertFalse(refs.isEmpty)
        XCTAssertTrue(refs.allSatisfy { ids.contains($0) })
        // Self-contained: no external references.
        XCTAssertFalse(html.contains("src="))
        XCTAssertFalse(html.contains("<link"))
        XCTAssertFalse(html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "").contains("http"))
        XCTAssertTrue(html.contains("<td class=\"num\">12.25</td>"))
        XCTAssertTrue(html.contains("13.8 s in all"))
    }
}
