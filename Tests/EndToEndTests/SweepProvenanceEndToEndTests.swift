// SweepProvenanceEndToEndTests: a sweep of 2 seeds x 3 detectors over the same activations keeps
// the seed in every gathered table (auroc.csv, best-layer.csv, auroc.json, a `table` with
// explicit axes, a concat of CSV tables, the report's summary and its per-layer figure), with one
// row per key; and two score inputs that nothing tells apart are an error naming both instances.
import Foundation
import XCTest

final class SweepProvenanceEndToEndTests: XCTestCase {
    static let detectors = ["mahalanobis", "flow-prior", "flow-mahalanobis"]

    static let pipeline = """
    pipeline: sweep
    matrix:
      seed: [0, 1]
      detector: [mahalanobis, flow-prior, flow-mahalanobis]
    stages:
      acts:
        kind: load-activations
        params: {path: acts}
      flow:
        kind: train-flow
        over: [seed]
        inputs: {activations: acts}
        params: {epochs: 2, blocks: 1, hidden: 4, lr: 0.01, seed: "${seed}"}
      fit:
        kind: fit-detector
        over: [seed, detector]
        inputs: {activations: acts, features: flow}
        params: {detector: "${detector}"}
      score:
        kind: score
        over: [seed, detector]
        inputs: {detector: fit, activations: acts}
      eval:
        kind: evaluate
        inputs: {scores: score}
        params: {resamples: 10}
      metric:
        kind: write
        over: [seed]
        params: {file: m.json, text: '{"quirkiness": 0.5}'}
      quirk:
        kind: table
        inputs: {m: metric}
        params: {source: m.json, file: q.csv, axes: [model, dataset]}
      rows:
        kind: write
        over: [seed]
        params: {file: r.csv, text: "a,b\\n1,2\\n"}
      rowsall:
        kind: concat
        inputs: {r: rows}
        params: {source: r.csv, file: all.csv, header: true}
      report:
        kind: report
        inputs: {auroc: eval}
    outputs:
      eval: eval
      q.csv: quirk/q.csv
      all.csv: rowsall/all.csv
      report: report/report
    """

    func testSeedSweepKeepsTheSeedInEveryTable() throws {
        let s = try Sandbox("sweep")
        try DetectorPipelineTests.writeActivations(to: s.dir + "/acts")
        try s.write("p.yaml", Self.pipeline)
        let r = try s.run("run", "p.yaml")
        XCTAssertEqual(r.code, 0, r.stderr + r.stdout)

        let auroc = DetectorPipelineTests.table(s.read("results/sweep/eval/auroc.csv"))
        XCTAssertEqual(auroc.header, ["model", "dataset", "detector", "seed", "layer", "subset", "auroc", "ap", "ci_low", "ci_high", "note"])
        let groups = Set(auroc.rows.map { [$0["model", default: ""], $0["dataset", default: ""], $0["detector", default: ""], $0["seed", default: ""]] })
        XCTAssertEqual(groups.count, 6, "2 seeds x 3 detectors: \(groups)")
        XCTAssertEqual(Set(auroc.rows.map { $0["seed", default: ""] }), ["0", "1"])
        let rowKeys = auroc.rows.map { [$0["detector", default: ""], $0["seed", default: ""], $0["layer", default: ""], $0["subset", default: ""]] }
        XCTAssertEqual(Set(rowKeys).count, rowKeys.count, "no two auroc rows share a key")
        XCTAssertEqual(auroc.rows.count, 6 * 4 * 3, "6 groups x (3 layers + aggregate) x 3 subsets")

        let best = DetectorPipelineTests.table(s.read("results/sweep/eval/best-layer.csv"))
        XCTAssertEqual(Array(best.header.prefix(5)), ["model", "dataset", "detector", "seed", "best_layer"])
        let bestKeys = best.rows.map { [$0["model", default: ""], $0["dataset", default: ""], $0["detector", default: ""], $0["seed", default: ""]] }
        XCTAssertEqual(bestKeys.count, 6)
        XCTAssertEqual(Set(bestKeys).count, 6, "6 distinct groups in best-layer.csv: \(bestKeys)")

        let json = try JSONSerialization.jsonObject(with: Data((s.read("results/sweep/eval/auroc.json") ?? "").utf8)) as? [String: Any]
        XCTAssertEqual(json?["axes"] as? [String], ["seed"])
        let jsonBest = (json?["best_layer"] as? [[String: Any]]) ?? []
        XCTAssertEqual(Set(jsonBest.map { "\($0["detector"] ?? "")/\($0["seed"] ?? "")" }).count, 6)

        // A `table` with explicit axes still gets the seed that tells its two inputs apart.
        let q = DetectorPipelineTests.table(s.read("results/sweep/q.csv"))
        XCTAssertEqual(q.header, ["model", "dataset", "seed", "quirkiness"])
        XCTAssertEqual(q.rows.map { $0["seed", default: ""] }, ["0", "1"])

        // concat of CSV tables: one header, and the seed of each artifact's rows.
        XCTAssertEqual(s.read("results/sweep/all.csv"), "seed,a,b\n0,1,2\n1,1,2\n")

        // The report groups by the seed: one summary row per detector and seed, and a per-layer
        // panel per seed with a line per detector.
        let summary = DetectorPipelineTests.table(s.read("results/sweep/report/tables/summary.csv"))
        XCTAssertTrue(summary.header.contains("seed"), "\(summary.header)")
        XCTAssertEqual(Set(summary.rows.map { "\($0["detector", default: ""])/\($0["seed", default: ""])" }).count, 6, "\(summary.rows)")
        let svg = s.read("results/sweep/report/figures/auroc-per-layer.svg") ?? ""
        let titles = svg.components(separatedBy: "font-weight=\"bold\">").dropFirst().map { $0.prefix { $0 != "<" } }
        for seed in ["0", "1"] { XCTAssertEqual(titles.filter { $0.hasSuffix("seed=\(seed)") }.count, 1, "a panel for seed \(seed): \(titles)") }
        for det in Self.detectors { XCTAssertTrue(svg.contains(">\(det)</text>"), "legend entry \(det)") }
    }

    /// One evaluate per seed, published as results/<p>/perseed/<instance id>/: `madpipe report`
    /// reads the seed from the instance directories and keeps the seeds apart.
    func testReportCommandTellsPublishedInstancesApart() throws {
        let s = try Sandbox("perseed")
        try DetectorPipelineTests.writeActivations(to: s.dir + "/acts")
        try s.write("p.yaml", """
        pipeline: perseed
        matrix: {seed: [0, 1], detector: [mahalanobis, diag-mahalanobis]}
        stages:
          acts: {kind: load-activations, params: {path: acts}}
          fit: {kind: fit-detector, over: [seed, detector], inputs: {activations: acts}, params: {detector: "${detector}"}}
          score: {kind: score, over: [seed, detector], inputs: {detector: fit, activations: acts}}
          evalper: {kind: evaluate, over: [seed], inputs: {scores: score}, params: {resamples: 10}}
        outputs: {perseed: evalper}
        """)
        XCTAssertEqual(try s.run("run", "p.yaml").code, 0)
        let one = DetectorPipelineTests.table(s.read("results/perseed/perseed/evalper[seed=0]/auroc.csv"))
        XCTAssertFalse(one.header.contains("seed"), "one seed per evaluate: no seed column")
        let r = try s.run("report", "p.yaml")
        XCTAssertEqual(r.code, 0, r.stderr)
        let summary = DetectorPipelineTests.table(s.read("results/perseed/report/tables/summary.csv"))
        XCTAssertEqual(Array(summary.header.prefix(4)), ["model", "dataset", "detector", "seed"])
        XCTAssertEqual(summary.rows.map { $0["detector", default: ""] + "/" + $0["seed", default: ""] },
                       ["diag-mahalanobis/0", "diag-mahalanobis/1", "mahalanobis/0", "mahalanobis/1"])
        XCTAssertTrue(summary.rows.allSatisfy { !$0["best_layer", default: ""].isEmpty }, "\(summary.rows)")
    }

    /// Two score stages with the same detector label and no axis between them: an error naming
    /// both instances, not two identical keys.
    func testIndistinguishableInputsAreAnError() throws {
        let s = try Sandbox("dupkey")
        try DetectorPipelineTests.writeActivations(to: s.dir + "/acts")
        try s.write("p.yaml", """
        pipeline: dup
        stages:
          acts:
            kind: load-activations
            params: {path: acts}
          fita:
            kind: fit-detector
            inputs: {activations: acts}
            params: {detector: mahalanobis}
          fitb:
            kind: fit-detector
            inputs: {activations: acts}
            params: {detector: mahalanobis, shrinkage: ledoit-wolf}
          scorea:
            kind: score
            inputs: {detector: fita, activations: acts}
          scoreb:
            kind: score
            inputs: {detector: fitb, activations: acts}
          eval:
            kind: evaluate
            inputs: [scorea, scoreb]
            params: {resamples: 10}
        """)
        let r = try s.run("run", "p.yaml")
        XCTAssertNotEqual(r.code, 0, r.stdout)
        let text = r.stderr + r.stdout
        XCTAssertTrue(text.contains("stage eval failed"), text)
        XCTAssertTrue(text.contains("scorea") && text.contains("scoreb"), text)
        XCTAssertTrue(text.contains("detector=mahalanobis"), text)
    }
}
