// DegenerateDataTests: fit-detector, score and evaluate run directly on activation directories
// with degenerate data: a test split with one class, NaN in activations, NaN in scores, a split
// without rows, and a layer of zero variance. Each must fail naming the input, the split and the
// tensor, or (zero variance) warn in the log and mark the layer's rows instead of giving NaN.

import Base
import Detectors
import Foundation
import Numerics
import PipelineCore
import XCTest
@testable import Stages

final class DegenerateDataTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "degenerate-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: root) }

    /// A split of `n` rows (Bob from `bobFrom` on) with 3 layers of d = 3; Bob is shifted in layer
    /// 2; `constantLayer` (if any) is 1.0 everywhere.
    func split(_ name: String, n: Int, bobFrom: Int, constantLayer: Int? = nil, seed: UInt64) -> ActivationSplit {
        var rng = SplitMix64(seed: seed)
        let character = (0..<n).map { Int64($0 >= bobFrom ? 1 : 0) }
        var layers: [Int: Tensor] = [:]
        for l in 0..<3 {
            var data: [Float] = []
            for i in 0..<n {
                for j in 0..<3 {
                    data.append(l == constantLayer ? 1 : Float(rng.nextGaussian()) + (l == 2 && j == 0 && character[i] == 1 ? 4 : 0))
                }
            }
            layers[l] = Tensor(shape: [n, 3], data: data)
        }
        let alice = (0..<n).map { Int64($0 % 2) }, bob = (0..<n).map { Int64(($0 % 2 + $0 / 2) % 2) }
        return ActivationSplit(name: name, layers: layers, character: character, label: (0..<n).map { character[$0] == 1 ? bob[$0] : alice[$0] },
                               aliceLabel: alice, bobLabel: bob, agreement: (0..<n).map { alice[$0] == bob[$0] },
                               metadata: ["model": "toy", "dataset": "synthetic"])
    }

    /// Writes trusted/validation/test activations under `dir`.
    func writeActivations(_ dir: String, testBobFrom: Int = 30, constantLayer: Int? = nil) throws {
        try ActivationSet.write(split("trusted", n: 80, bobFrom: 80, constantLayer: constantLayer, seed: 1), root: root + "/" + dir)
        try ActivationSet.write(split("validation", n: 60, bobFrom: 30, constantLayer: constantLayer, seed: 2), root: root + "/" + dir)
        try ActivationSet.write(split("test", n: 60, bobFrom: testBobFrom, constantLayer: constantLayer, seed: 3), root: root + "/" + dir)
    }

    func artifact(_ id: String, _ dir: String) -> InputArtifact {
        InputArtifact(stageId: id, assignment: [], path: root + "/" + dir, digest: "")
    }

    /// Runs `kind` with its defaults overridden by `params`; returns its log lines.
    @discardableResult
    func run(_ kind: any StageKind, id: String, _ params: [(String, Value)], inputs: [String: [InputArtifact]], out: String) throws -> [String] {
        var values = kind.params.compactMap { s in s.defaultValue.map { (s.name, $0) } }.filter { v in !params.contains { $0.0 == v.0 } }
        values += params
        var logs: [String] = []
        let ctx = StageContext(stageId: id, params: Params(values), inputs: inputs, paths: [:], outputDirectory: root + "/" + out,
                               workDirectory: root + "/work-\(out)", scratchDirectory: root + "/scratch-\(out)", logPath: root + "/log",
                               pipelineDirectory: root, cpus: 1, log: { logs.append($0) }, progress: { _, _ in }, isCancelled: { false })
        try kind.execute(ctx)
        return logs
    }

    /// fit-detector (mahalanobis) and score on `acts`, into `fit` and `score`.
    @discardableResult
    func fitAndScore(_ acts: String = "acts", detector: String = "mahalanobis") throws -> [String] {
        let logs = try run(FitDetectorStage(), id: "fit", [("detector", .string(detector))], inputs: ["activations": [artifact("acts", acts)]], out: "fit")
        return try logs + run(ScoreStage(), id: "score", [], inputs: ["detector": [artifact("fit", "fit")], "activations": [artifact("acts", acts)]], out: "score")
    }

    func evaluate() throws {
        try run(EvaluateStage(), id: "evaluate", [("resamples", .int(10))], inputs: ["scores": [artifact("score[seed=0]", "score")]], out: "eval")
    }

    func message(_ body: () throws -> Void) -> String {
        do { try body() } catch { return "\(error)" }
        XCTFail("expected an error")
        return ""
    }

    /// Before: every AUROC `nan` and an empty best-layer table, "successfully".
    func testOneClassTestSplitIsAnErrorNamingInstanceSplitAndTensor() throws {
        try writeActivations("acts", testBobFrom: 60)  // every test row is Alice's
        try fitAndScore()
        let m = message { try evaluate() }
        for part in ["score[seed=0]", "split 'test'", "tensor 'character'", "60 Alice, 0 Bob"] {
            XCTAssertTrue(m.contains(part), "\(part) in: \(m)")
        }
    }

    func testNaNInActivationsNamesSplitAndTensor() throws {
        try writeActivations("acts")
        var test = try ActivationSet.read(root: root + "/acts", split: "test")
        var t = test.layers[1]!
        t.data[3 * 3 + 2] = .nan
        test.layers[1] = t
        // Written around the validating reader, as a foreign tool would.
        try SafeTensors.write(test.layerIndices.map { ("layers.\($0)", .f32(test.layers[$0]!)) } + test.rowTensors,
                              to: root + "/acts/test/activations.safetensors")
        let m = message { try fitAndScore() }
        for part in ["input from acts", "split 'test'", "tensor 'layers.1'", "NaN at row 3, column 2"] {
            XCTAssertTrue(m.contains(part), "\(part) in: \(m)")
        }
    }

    func testNaNInScoresIsAnErrorNamingSplitAndTensor() throws {
        try writeActivations("acts")
        try fitAndScore()
        let path = root + "/score/validation/scores.safetensors"
        let file = try SafeTensorsFile(path: path)
        var tensors: [(name: String, value: SafeTensorValue)] = []
        for name in file.names {
            if name.hasPrefix("layers.") || name == "aggregate" {
                var v = try file.doubles(name).data
                if name == "layers.2" { v[7] = .nan }
                tensors.append((name, .f64(shape: [v.count], data: v)))
            } else {
                tensors.append((name, .i64(shape: [file.tensors[name]!.shape[0]], data: try file.int64s(name).data)))
            }
        }
        try SafeTensors.write(tensors, metadata: file.metadata, to: path)
        let m = message { try evaluate() }
        for part in ["score[seed=0]", "split 'validation'", "tensor 'layers.2'", "NaN at row 7"] {
            XCTAssertTrue(m.contains(part), "\(part) in: \(m)")
        }
    }

    /// A broken detector file (NaN in its mean) makes `score` fail instead of writing NaN scores.
    func testScoreRefusesToWriteNaNScores() throws {
        try writeActivations("acts")
        try fitAndScore(detector: "diag-mahalanobis")
        try DetectorArchive.save(.diagMahalanobis(DiagMahalanobisDetector(mean: [0, .nan, 0], variance: [1, 1, 1])),
                                 to: root + "/fit/layer.1.safetensors")
        try FileManager.default.removeItem(atPath: root + "/score")
        let m = message { try run(ScoreStage(), id: "score", [], inputs: ["detector": [artifact("fit", "fit")], "activations": [artifact("acts", "acts")]], out: "score") }
        for part in ["split 'trusted'", "tensor 'layers.1'", "from fit", "NaN at row 0"] {
            XCTAssertTrue(m.contains(part), "\(part) in: \(m)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/score/trusted/scores.safetensors"))
    }

    func testSplitWithoutRowsIsAnError() throws {
        try writeActivations("acts")
        var empty = split("test", n: 0, bobFrom: 0, seed: 4)
        empty.layers = [0: Tensor(shape: [0, 3], data: [])]
        try SafeTensors.write([("layers.0", .f32(empty.layers[0]!))] + empty.rowTensors, to: root + "/acts/test/activations.safetensors")
        let m = message { _ = try ActivationSet.read(root: root + "/acts", split: "test") }
        XCTAssertTrue(m.contains("split 'test'") && m.contains("zero rows"), m)
    }

    /// Before: layer 1's AUROC 0.5 with nothing saying why, and no warning.
    func testZeroVarianceLayerIsWarnedAndMarkedNotNaN() throws {
        try writeActivations("acts", constantLayer: 1)
        for detector in ["mahalanobis", "diag-mahalanobis"] {
            let logs = try fitAndScore(detector: detector)
            XCTAssertTrue(logs.contains { $0.hasPrefix("warning:") && $0.contains("layers.1") && $0.contains("zero variance") }, "\(logs)")
            let meta = try SafeTensorsFile(path: root + "/score/test/scores.safetensors").metadata
            XCTAssertTrue(meta["note.layers.1"]?.contains("zero variance") == true, "\(meta)")
            XCTAssertNil(meta["note.layers.2"])
            try evaluate()
            let auroc = try CSVTable.read(path: root + "/eval/auroc.csv")
            XCTAssertEqual(auroc.header.last, "note")
            for r in auroc.records {
                if r["layer"] == "1" {
                    XCTAssertTrue(r["note", default: ""].contains("zero variance"), "\(r)")
                    XCTAssertNotNil(CSVTable.number(r["auroc", default: ""]), "a number, not NaN: \(r)")
                } else if r["subset"] == "all" {
                    XCTAssertEqual(r["note"], "", "\(r)")
                }
                // Nothing NaN without a note saying why.
                if r["auroc"] == "nan" { XCTAssertFalse(r["note", default: ""].isEmpty, "\(r)") }
            }
            let best = try CSVTable.read(path: root + "/eval/best-layer.csv").records
            XCTAssertEqual(best.map { $0["best_layer"] }, ["2"], detector)
            for d in ["fit", "score", "eval"] { try? FileManager.default.removeItem(atPath: root + "/" + d) }
        }
    }
}
