// CompareTwinsTests: compare-twins run directly on score files: closed-form differences per layer
// (identical scorers: 0 with the interval [0, 0]; a perfect against a constant scorer: 1/2 with
// [1/2, 1/2]), the table's columns (the bob_rule axis is not one; model, dataset, detector are),
// and the errors: prompts that differ (row tensors, or the datasets' test prompts), a quirky
// model without a twin, an artifact without the bob_rule axis.

import Foundation
import Numerics
import PipelineCore
import Quirky
import XCTest
@testable import Stages

final class CompareTwinsTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "twins-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: root) }

    /// A test split of `n` rows (Bob at odd rows; agreement on every third row) scored by two
    /// layers and an aggregate; `difficulty` can be perturbed to fake other prompts.
    func writeScores(_ dir: String, n: Int, layers: [[Double]], difficultyShift: Double = 0) throws {
        let character = (0..<n).map { Int64($0 % 2) }
        let alice = (0..<n).map { Int64(($0 / 2) % 2) }
        let agreement = (0..<n).map { Int64($0 % 3 == 0 ? 1 : 0) }
        let bob = (0..<n).map { agreement[$0] == 1 ? alice[$0] : 1 - alice[$0] }
        var tensors: [(name: String, value: SafeTensorValue)] = layers.enumerated().map { ("layers.\($0)", .f64(shape: [n], data: $1)) }
        tensors.append(("aggregate", .f64(shape: [n], data: (0..<n).map { i in layers.map { $0[i] }.reduce(0, +) })))
        tensors += [("agreement", .i64(shape: [n], data: agreement)), ("alice_label", .i64(shape: [n], data: alice)),
                    ("bob_label", .i64(shape: [n], data: bob)), ("character", .i64(shape: [n], data: character)),
                    ("label", .i64(shape: [n], data: (0..<n).map { character[$0] == 1 ? bob[$0] : alice[$0] })),
                    ("difficulty", .f64(shape: [n], data: (0..<n).map { Double($0 * 7 % 13) + ($0 == 5 ? difficultyShift : 0) }))]
        try FileManager.default.createDirectory(atPath: root + "/" + dir + "/test", withIntermediateDirectories: true)
        try SafeTensors.write(tensors, metadata: ["format": "madpipe-scores/1", "split": "test", "detector": "mahalanobis",
                                                  "layers": (0..<layers.count).map(String.init).joined(separator: ",")],
                              to: root + "/" + dir + "/test/scores.safetensors")
    }

    func artifact(_ stage: String, _ dir: String, _ axes: [(String, String)]) -> InputArtifact {
        InputArtifact(stageId: stage + "[" + axes.map { "\($0.0)=\($0.1)" }.joined(separator: ",") + "]",
                      assignment: axes.map { ($0.0, Value.string($0.1)) }, path: root + "/" + dir, digest: "")
    }

    func run(_ inputs: [String: [InputArtifact]]) throws -> String {
        let kind = CompareTwinsStage()
        let values = kind.params.compactMap { s in s.defaultValue.map { (s.name, s.name == "resamples" ? Value.int(50) : $0) } }
        let ctx = StageContext(stageId: "twins", params: Params(values), inputs: inputs, paths: [:], outputDirectory: root + "/out",
                               workDirectory: root + "/work", scratchDirectory: root + "/scratch", logPath: root + "/log",
                               pipelineDirectory: root, cpus: 1, log: { _ in }, progress: { _, _ in }, isCancelled: { false })
        try kind.execute(ctx)
        return String(decoding: FileManager.default.contents(atPath: root + "/out/twins.csv")!, as: UTF8.self)
    }

    func message(_ body: () throws -> Void) -> String {
        do { try body() } catch { return "\(error)" }
        XCTFail("expected an error")
        return ""
    }

    let n = 60
    var shared: [Double] { (0..<n).map { Double(($0 * 37) % 11) } }
    var perfect: [Double] { (0..<n).map { $0 % 2 == 1 ? 5.0 : 1.0 } }
    var constant: [Double] { [Double](repeating: 2, count: n) }

    func pair() -> [InputArtifact] {
        [artifact("score", "q", [("model", "llama"), ("dataset", "addition"), ("bob_rule", "quirky")]),
         artifact("score", "t", [("model", "llama"), ("dataset", "addition"), ("bob_rule", "truthful")])]
    }

    func testClosedFormDifferencesPerLayerAndSubset() throws {
        try writeScores("q", n: n, layers: [shared, perfect])
        try writeScores("t", n: n, layers: [shared, constant])
        let csv = try run(["scores": pair()])
        let lines = csv.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[0], "model,dataset,detector,layer,subset,quirky_auroc,twin_auroc,difference,ci_low,ci_high,alice,bob")
        XCTAssertEqual(lines.count, 1 + 3 * 3)  // layers 0, 1, aggregate; subsets all, agree, disagree
        XCTAssertTrue(lines.contains { $0.hasPrefix("llama,addition,mahalanobis,0,all,") && $0.hasSuffix(",0.000000,0.000000,0.000000,30,30") }, csv)
        XCTAssertTrue(lines.contains { $0 == "llama,addition,mahalanobis,1,all,1.000000,0.500000,0.500000,0.500000,0.500000,30,30" }, csv)
        XCTAssertTrue(lines.contains { $0 == "llama,addition,mahalanobis,1,agree,1.000000,0.500000,0.500000,0.500000,0.500000,10,10" }, csv)
    }

    func testDifferentRowTensorsAreAnErrorNamingBothInstances() throws {
        try writeScores("q", n: n, layers: [shared, perfect])
        try writeScores("t", n: n, layers: [shared, constant], difficultyShift: 0.5)
        let m = message { _ = try run(["scores": pair()]) }
        for part in ["score[model=llama,dataset=addition,bob_rule=quirky]", "score[model=llama,dataset=addition,bob_rule=truthful]",
                     "do not score the same prompts", "tensor 'difficulty' differs at row 5"] {
            XCTAssertTrue(m.contains(part), "\(part) in: \(m)")
        }
    }

    /// The datasets' test prompts are compared when a `data` input gathers them: a twin made
    /// from another seed has other prompts, even where the score files' row tensors agree.
    func testDifferentTestPromptsAreAnErrorNamingBothDatasets() throws {
        func dataset(_ dir: String, seed: Int, rule: String) throws -> Int {
            let out = root + "/" + dir
            try QuirkyDatasetStage().execute(StageContext(
                stageId: dir, params: Params([("task", .string("addition")), ("examples", .int(400)), ("seed", .int(seed)),
                                              ("test_cap", .int(20)), ("template", .string("short")), ("bob_rule", .string(rule))]),
                inputs: [:], paths: [:], outputDirectory: out, workDirectory: out + "-w", scratchDirectory: out + "-s", logPath: out + "-log",
                pipelineDirectory: root, cpus: 1, log: { _ in }, progress: { _, _ in }, isCancelled: { false }))
            return try DatasetFiles.read(directory: out, split: "test").count
        }
        let rows = try dataset("dq", seed: 1, rule: "quirky")
        XCTAssertEqual(try dataset("dt", seed: 1, rule: "truthful"), rows)
        XCTAssertEqual(try dataset("dx", seed: 2, rule: "truthful"), rows, "another seed, as many test rows (capped)")
        let s = (0..<rows).map { Double($0 % 5) }, p = (0..<rows).map { $0 % 2 == 1 ? 5.0 : 1.0 }
        try writeScores("q", n: rows, layers: [s, p])
        try writeScores("t", n: rows, layers: [s, s])
        let data = { (twin: String) in
            [self.artifact("data", "dq", [("dataset", "addition"), ("bob_rule", "quirky")]),
             self.artifact("data", twin, [("dataset", "addition"), ("bob_rule", "truthful")])]
        }
        // The twin of the same seed passes.
        XCTAssertTrue(try run(["scores": pair(), "data": data("dt")]).contains("llama,addition,mahalanobis,1,all,1.000000,"))
        let m = message { _ = try run(["scores": pair(), "data": data("dx")]) }
        for part in ["data[dataset=addition,bob_rule=quirky]", "data[dataset=addition,bob_rule=truthful]", "do not have the same test prompts"] {
            XCTAssertTrue(m.contains(part), "\(part) in: \(m)")
        }
    }

    func testQuirkyModelWithoutTwinAndArtifactWithoutAxisAreErrors() throws {
        try writeScores("q", n: n, layers: [shared, perfect])
        let lone = message { _ = try run(["scores": [pair()[0]]]) }
        XCTAssertTrue(lone.contains("score[model=llama,dataset=addition,bob_rule=quirky] has no twin"), lone)
        let bare = message { _ = try run(["scores": [artifact("score", "q", [("model", "llama")])]]) }
        XCTAssertTrue(bare.contains("its 'bob_rule' axis is ''"), bare)
    }
}
