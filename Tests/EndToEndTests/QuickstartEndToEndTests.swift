// QuickstartEndToEndTests: runs the shipped pipelines/quickstart.yaml with the built binary, its
// training shortened through vars (the wiring, not the model quality, is under test here), and
// checks every published table and the report; a second run executes nothing. Also validates
// pipelines/quirky-mad.yaml, which is too long to run in the suite.

import Foundation
import XCTest

final class QuickstartEndToEndTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    func testQuickstartEndToEnd() throws {
        let s = try Sandbox("quickstart")
        let pipeline = Self.repository + "/pipelines/quickstart.yaml"
        let short = ["-p", "pretrain_steps=40", "-p", "judge_steps=20", "-p", "finetune_steps=20", "-p", "rows=1500", "-p", "test_cap=200"]
        let first = try s.run(["run", pipeline, "--quiet", "--jobs", "2", "--results", s.dir + "/results"] + short)
        XCTAssertEqual(first.code, 0, first.stderr)

        let root = "results/quickstart/"
        let auroc = DetectorPipelineTests.table(s.read(root + "auroc.csv"))
        XCTAssertEqual(auroc.header, ["model", "dataset", "detector", "bob_rule", "layer", "subset", "auroc", "ap", "ci_low", "ci_high", "note"])
        let body = auroc.rows
        XCTAssertEqual(Set(body.map { $0["dataset"]! }), ["addition", "subtraction"])
        XCTAssertEqual(Set(body.map { $0["bob_rule"]! }), ["quirky", "truthful"], "every quirky model beside its truthful twin")
        XCTAssertEqual(Set(body.map { $0["detector"]! }), ["mahalanobis", "attribution", "sae-l0", "flow-prior", "flow-mahalanobis"])
        // The residual stream entering each block and after the last: addition's models have 2
        // blocks, subtraction's 3 (the pipeline's `layers` var).
        let blocks = ["addition": 2, "subtraction": 3]
        for (dataset, n) in blocks {
            XCTAssertEqual(Set(body.filter { $0["dataset"] == dataset }.map { $0["layer"]! }),
                           Set((0...n).map(String.init) + ["aggregate"]), dataset)
        }
        XCTAssertEqual(Set(body.map { $0["subset"]! }), ["all", "agree", "disagree"])
        // Per dataset and bob_rule: 4 activation detectors x (blocks + 1 layers + aggregate) and
        // attribution x (blocks of heads + aggregate), each with 3 subsets.
        let rowsPerModel = blocks.mapValues { n in 4 * (n + 2) + (n + 1) }
        XCTAssertEqual(body.count, 2 * 3 * (rowsPerModel["addition"]! + rowsPerModel["subtraction"]!))
        for r in body where r["subset"] == "all" {
            let a = try XCTUnwrap(Double(r["auroc"]!), "\(r)")
            XCTAssert((0...1).contains(a), "\(r)")
        }
        let quirk = DetectorPipelineTests.table(s.read(root + "quirkiness.csv"))
        XCTAssertEqual(Array(quirk.header.prefix(6)), ["model", "dataset", "bob_rule", "alice_accuracy", "bob_accuracy", "quirkiness"])
        XCTAssertEqual(quirk.rows.map { $0["model"]! + "/" + $0["dataset"]! + "/" + $0["bob_rule"]! },
                       ["llama/addition/quirky", "llama/addition/truthful", "llama/subtraction/quirky", "llama/subtraction/truthful"])
        let twins = DetectorPipelineTests.table(s.read(root + "twins.csv"))
        XCTAssertEqual(twins.header, ["model", "dataset", "detector", "layer", "subset", "quirky_auroc", "twin_auroc", "difference",
                                      "ci_low", "ci_high", "alice", "bob"])
        XCTAssertEqual(twins.rows.filter { $0["subset"] == "all" }.count, rowsPerModel["addition"]! + rowsPerModel["subtraction"]!,
                       "one row per dataset, detector and layer")
        for r in twins.rows {
            let d = try XCTUnwrap(Double(r["difference"]!)), lo = try XCTUnwrap(Double(r["ci_low"]!)), hi = try XCTUnwrap(Double(r["ci_high"]!))
            XCTAssertEqual(d, Double(r["quirky_auroc"]!)! - Double(r["twin_auroc"]!)!, accuracy: 2e-6, "\(r)")
            XCTAssert(lo <= hi, "\(r)")
        }
        let sep = DetectorPipelineTests.table(s.read(root + "separation.csv"))
        XCTAssertEqual(sep.rows.count, 2 * (blocks["addition"]! + 1) + 2 * (blocks["subtraction"]! + 1))
        let best = DetectorPipelineTests.table(s.read(root + "best-layer.csv"))
        XCTAssertEqual(Array(best.header[3...4]), ["bob_rule", "best_layer"])

        let html = try XCTUnwrap(s.read(root + "report/index.html"))
        XCTAssertFalse(html.contains("Problems with the inputs"), "the report found problems with its inputs")
        for figure in ["auroc-per-layer", "auroc-aggregate", "log-odds", "auroc-vs-quirkiness", "losses", "auroc-vs-separation", "twin-difference"] {
            let svg = try XCTUnwrap(s.read(root + "report/figures/\(figure).svg"), figure)
            XCTAssert(svg.contains("<svg"), figure)
        }

        // The report judges METHOD.md section 9's four findings on the twins.
        let findings = DetectorPipelineTests.table(s.read(root + "report/tables/findings.csv"))
        XCTAssertEqual(findings.header, ["finding", "measured", "verdict", "rule"])
        XCTAssertEqual(findings.rows.count, 4)

        let second = try s.run(["run", pipeline, "--json", "--results", s.dir + "/results"] + short)
        XCTAssertEqual(second.code, 0, second.stderr)
        let summary = try JSONSerialization.jsonObject(with: Data(second.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(summary?["executed"] as? Int, 0, second.stdout)
        XCTAssertEqual(summary?["cached"] as? Int, 81, second.stdout)
    }

    func testQuirkyMadValidates() throws {
        let s = try Sandbox("quirky-mad")
        let r = try s.run("validate", Self.repository + "/pipelines/quirky-mad.yaml")
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssert(r.stdout.contains("603 instance(s)"), r.stdout)
    }
}
