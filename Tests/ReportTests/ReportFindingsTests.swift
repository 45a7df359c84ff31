// ReportFindingsTests: the section-9 findings table judged on the truthful twins, and the
// quirkiness table with twins beside their quirky models, on synthetic tables built so that
// every verdict follows in closed form (a detector whose per-layer differences equal the
// reference's plus a constant correlates +1 with them, its negation -1).

import Base
import XCTest
@testable import Report

final class ReportFindingsTests: XCTestCase {
    /// Per-layer mahalanobis differences of models a and b (layers 0-2).
    let layerDiffs: [String: [Double]] = ["a": [0.05, 0.20, 0.40], "b": [0.00, 0.10, 0.15]]

    func inputs(bCILow: Double) throws -> ReportInputs {
        var q = ["model,dataset,recipe,bob_rule,alice_accuracy,bob_accuracy,quirkiness"]
        for (d, coef) in [("a", 2.0), ("b", 1.0), ("c", 0.0)] {
            q.append("m,\(d),short,quirky,0.9,0.8,\(coef)")
            q.append("m,\(d),short,truthful,0.95,0.97,0")
        }
        let best = ["model,dataset,detector,bob_rule,best_layer,validation_auroc,test_auroc",
                    "m,a,mahalanobis,quirky,1,0.9,0.9", "m,b,mahalanobis,quirky,1,0.8,0.8", "m,c,mahalanobis,quirky,1,0.99,0.99",
                    "m,a,mahalanobis,truthful,1,0.5,0.5"]
        var twins = ["model,dataset,detector,layer,subset,quirky_auroc,twin_auroc,difference,ci_low,ci_high"]
        twins.append("m,a,mahalanobis,aggregate,all,0.8,0.5,0.3,0.2,0.4")
        twins.append("m,b,mahalanobis,aggregate,all,0.6,0.5,0.1,\(bCILow),0.2")
        twins.append("m,c,mahalanobis,aggregate,all,0.9,0.9,0.0,-0.1,0.1")
        var sep = ["model,dataset,bob_rule,layer,separation,between_total_ratio"]
        for (d, diffs) in layerDiffs {
            for (l, x) in diffs.enumerated() {
                twins.append("m,\(d),mahalanobis,\(l),all,0.5,0.5,\(x),0,0")
                twins.append("m,\(d),flow-mahalanobis,\(l),all,0.5,0.5,\(x + 0.01),0,0")
                twins.append("m,\(d),sae-l0,\(l),all,0.5,0.5,\(-x),0,0")
                sep.append("m,\(d),quirky,\(l),\(1 + 2 * x),0.1")
                sep.append("m,\(d),truthful,\(l),1,0.1")
            }
        }
        // c is not quirky: its layers (where flow-mahalanobis and sae-l0 disagree with mahalanobis
        // arbitrarily) must not enter the per-layer comparisons.
        for (l, (x, y)) in [(0.3, -0.5), (-0.2, 0.9), (0.4, 0.0)].enumerated() {
            twins.append("m,c,mahalanobis,\(l),all,0.5,0.5,\(x),0,0")
            twins.append("m,c,flow-mahalanobis,\(l),all,0.5,0.5,\(y),0,0")
            twins.append("m,c,sae-l0,\(l),all,0.5,0.5,\(y),0,0")
            sep.append("m,c,quirky,\(l),\(5 - 9 * x),0.1")
            sep.append("m,c,truthful,\(l),1,0.1")
        }
        return ReportInputs(title: "t", bestLayer: try CSVTable.parse(best.joined(separator: "\n")),
                            quirkiness: try CSVTable.parse(q.joined(separator: "\n")),
                            separation: try CSVTable.parse(sep.joined(separator: "\n")))
            .with(twins: try CSVTable.parse(twins.joined(separator: "\n")))
    }

    func verdicts(_ t: CSVTable) -> [String] { t.rows.map { $0[2] } }

    func testVerdictsFollowTheTwinDifferences() throws {
        // b's interval reaches below 0: 1 of 2 quirky models above 0 is not more than half.
        let mixed = try ReportFindings.table(try inputs(bCILow: -0.05))
        XCTAssertEqual(mixed.header, ["finding", "measured", "verdict", "rule"])
        XCTAssertEqual(verdicts(mixed), ["not as a finding about mechanisms", "reproduced", "reproduced", "not reproduced"])
        // Only a and b are quirky (c's coefficient is 0): mean best-layer AUROC 0.85, mean difference +0.2.
        XCTAssertEqual(mixed.rows[0][1], "mahalanobis on 2 quirky models: best-layer test AUROC 0.850; quirky − twin +0.200, interval above 0 for 1 of 2")
        XCTAssertEqual(mixed.rows[1][1], "r = +1.000 over 6 layers")
        XCTAssertEqual(mixed.rows[2][1], "r = +1.000, mean absolute difference 0.010 over 6 layers")
        XCTAssertTrue(mixed.rows[3][1].hasPrefix("r = -1.000"), mixed.rows[3][1])

        let clear = try ReportFindings.table(try inputs(bCILow: 0.01))
        XCTAssertEqual(clear.rows[0][2], "reproduced")
    }

    func testWithoutItsInputsTheTableIsUnavailable() throws {
        var i = try inputs(bCILow: 0)
        i.twins = nil
        XCTAssertThrowsError(try ReportFindings.table(i)) { e in
            XCTAssertEqual((e as? Unavailable)?.why, "no twins table was given (compare-twins)")
        }
        // Without twins the page has no section-9 table; with twins but no best-layer table, it says why.
        XCTAssertFalse(HTMLReport.render(i, figures: [], summary: CSVTable(header: [], rows: [])).contains("section 9"))
        var noBest = try inputs(bCILow: 0)
        noBest.bestLayer = nil
        let html = HTMLReport.render(noBest, figures: [], summary: CSVTable(header: [], rows: []))
        XCTAssertTrue(html.contains("not available: no best-layer table was given"), html)
    }

    func testPearsonClosedForms() {
        XCTAssertEqual(ReportFindings.pearson([1, 2, 3], [1, 3, 2])!, 0.5, accuracy: 1e-12)
        XCTAssertEqual(ReportFindings.pearson([1, 2, 3, 4], [8, 6, 4, 2])!, -1, accuracy: 1e-12)
        XCTAssertNil(ReportFindings.pearson([1, 2], [1, 2]))
        XCTAssertNil(ReportFindings.pearson([1, 2, 3], [5, 5, 5]))
    }

    func testQuirkinessTableSetsTwinsBesideTheirQuirkyModels() throws {
        let t = try XCTUnwrap(ReportQuirkiness.table(try inputs(bCILow: 0)))
        XCTAssertEqual(t.header, ["model", "dataset", "recipe", "alice_accuracy", "bob_accuracy", "quirkiness",
                                  "twin_alice_accuracy", "twin_bob_accuracy"])
        XCTAssertEqual(t.rows, [["m", "a", "short", "0.9", "0.8", "2.0", "0.95", "0.97"],
                                ["m", "b", "short", "0.9", "0.8", "1.0", "0.95", "0.97"],
                                ["m", "c", "short", "0.9", "0.8", "0.0", "0.95", "0.97"]])
        let html = HTMLReport.render(try inputs(bCILow: 0), figures: [], summary: CSVTable(header: [], rows: []))
        XCTAssertTrue(html.contains("<th>twin_bob_accuracy</th>"))
        XCTAssertTrue(html.contains("METHOD.md section 9, judged on the twins"))
    }
}

private extension ReportInputs {
    func with(twins: CSVTable) -> ReportInputs { var c = self; c.twins = twins; return c }
}
