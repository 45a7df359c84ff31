// ProvenanceTests: which matrix axes become columns of a gathered table (those on which the
// inputs differ, in matrix order), and that separation and the report stage keep them: two seeds'
// rows stay apart, and two rows with one key are an error naming both stage instances.

import Base
import Foundation
import Numerics
import PipelineCore
import XCTest
@testable import Report
@testable import Stages

final class ProvenanceTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "provenance-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: root) }

    func art(_ id: String, _ assignment: [(String, Value)], _ dir: String = "") -> InputArtifact {
        InputArtifact(stageId: id, assignment: assignment, path: root + "/" + dir, digest: "")
    }

    func testAxesThatDifferInMatrixOrderWithoutFixedOnes() {
        let arts = [art("s[model=a,seed=0,detector=m]", [("model", .string("a")), ("seed", .int(0)), ("detector", .string("m"))]),
                    art("s[model=a,seed=1,detector=m]", [("model", .string("a")), ("seed", .int(1)), ("detector", .string("m"))]),
                    art("t[model=a,order=4,seed=1]", [("model", .string("a")), ("order", .int(4)), ("seed", .int(1))])]
        // order sits before seed in t's assignment, so before it in the merged matrix order;
        // model has one value; detector is a fixed column.
        XCTAssertEqual(Provenance(arts, fixed: ["model", "dataset", "detector"]).axes, ["order", "seed"])
        XCTAssertEqual(Provenance(arts, fixed: ["model", "dataset", "detector"]).values(arts[2]), ["4", "1"])
        XCTAssertEqual(Provenance(Array(arts.prefix(1)), fixed: []).axes, [], "one input: nothing to tell apart")
    }

    /// quirky-mad's `acts_detector` axis only restates the detector column: not a column. A seed
    /// that splits rows with equal keys is.
    func testAnAxisThatOnlyRestatesAKeyColumnIsNoColumn() {
        let arts = ["mahalanobis", "que"].flatMap { d in
            [0, 1].map { seed in art("score[acts_detector=\(d),seed=\(seed)]", [("acts_detector", .string(d)), ("seed", .int(seed))]) }
        } + [art("score-sae[seed=0]", [("seed", .int(0))])]
        let keys = arts.map { a in ["m", "d", Provenance.value(a, "acts_detector").isEmpty ? "sae-l0" : Provenance.value(a, "acts_detector")] }
        XCTAssertEqual(Provenance(arts, fixed: ["model", "dataset", "detector"], keys: keys).axes, ["seed"])
        XCTAssertEqual(Provenance(arts, fixed: ["model", "dataset", "detector"]).axes, ["acts_detector", "seed"], "without key values")
    }

    func testSameKeyTwiceNamesBothInstances() throws {
        var keys = TableKeys(table: "auroc.csv", columns: ["model", "detector"])
        try keys.add(["a", "m"], from: "score-x")
        XCTAssertThrowsError(try keys.add(["a", "m"], from: "score-y")) { e in
            let m = "\(e)"
            XCTAssertTrue(m.contains("score-x and score-y") && m.contains("model=a, detector=m"), m)
        }
    }

    /// Before: separation.csv had model,dataset,layer only, and the seeds' rows were identical keys.
    func testSeparationKeepsTheSeedAndNotesZeroVariance() throws {
        var rng = SplitMix64(seed: 5)
        let n = 40
        let character = (0..<n).map { Int64($0 % 2) }
        let layers: [Int: Tensor] = [0: Tensor(shape: [n, 2], data: (0..<2 * n).map { _ in Float(rng.nextGaussian()) }),
                                     1: Tensor(shape: [n, 2], data: [Float](repeating: 3, count: 2 * n))]
        let s = ActivationSplit(name: "test", layers: layers, character: character, label: character, aliceLabel: character,
                                bobLabel: character, agreement: [Bool](repeating: true, count: n), metadata: ["model": "toy", "dataset": "d"])
        try ActivationSet.write(s, root: root + "/acts")
        var logs: [String] = []
        let params = Params(SeparationStage().params.compactMap { p in p.defaultValue.map { (p.name, $0) } })
        let inputs = ["activations": [art("acts[seed=0]", [("seed", .int(0))], "acts"), art("acts[seed=1]", [("seed", .int(1))], "acts")]]
        let ctx = StageContext(stageId: "sep", params: params, inputs: inputs, paths: [:], outputDirectory: root + "/out",
                               workDirectory: root + "/w", scratchDirectory: root + "/s", logPath: root + "/log", pipelineDirectory: root,
                               cpus: 1, log: { logs.append($0) }, progress: { _, _ in }, isCancelled: { false })
        try SeparationStage().execute(ctx)
        let t = try CSVTable.read(path: root + "/out/separation.csv")
        XCTAssertEqual(t.header, ["model", "dataset", "seed", "layer", "separation", "between_total_ratio", "note"])
        XCTAssertEqual(t.records.map { $0["seed"]! + "/" + $0["layer"]! }, ["0/0", "0/1", "1/0", "1/1"])
        for r in t.records where r["layer"] == "1" {
            XCTAssertEqual(r["separation"], "nan")
            XCTAssertTrue(r["note", default: ""].contains("zero variance"), "\(r)")
        }
        XCTAssertTrue(logs.contains { $0.hasPrefix("warning:") && $0.contains("layers.1") }, "\(logs)")
    }

    /// A report gathering two evaluate instances (one per seed) whose tables lack the seed: the
    /// summary keeps both seeds apart. Before: one summary row, the two seeds' AUROCs mixed.
    func testReportGathersInstancesApartByTheirAxes() throws {
        for seed in ["0", "1"] {
            let dir = root + "/ev\(seed)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let a = seed == "0" ? "0.6" : "0.9"
            try "model,dataset,detector,layer,subset,auroc,ap,ci_low,ci_high,note\nm,d,maha,0,all,\(a),0.5,0.4,0.7,\nm,d,maha,aggregate,all,\(a),0.5,0.4,0.7,\n"
                .write(toFile: dir + "/auroc.csv", atomically: true, encoding: .utf8)
        }
        let inputs = ReportStage.gather(["auroc": [art("eval[seed=0]", [("seed", .int(0))], "ev0"), art("eval[seed=1]", [("seed", .int(1))], "ev1")]],
                                        title: "t", params: [], provenance: [])
        XCTAssertEqual(inputs.auroc?.header.prefix(4).map { $0 }, ["model", "dataset", "detector", "seed"])
        let summary = ReportSummary.table(inputs)
        XCTAssertEqual(summary.header.prefix(5).map { $0 }, ["model", "dataset", "detector", "seed", "mean_auroc"])
        XCTAssertEqual(summary.records.map { $0["seed"]! + ":" + $0["aggregate_auroc"]! }, ["0:0.6000", "1:0.9000"])
        let svg = ReportFigures.aurocPerLayer(ReportData(inputs)).svg ?? ""
        XCTAssertTrue(svg.contains(">m / d seed=0</text>") && svg.contains(">m / d seed=1</text>"), "a panel per seed")
    }
}
