// TruthfulTwinDatasetTests: quirky-dataset with `bob_rule: truthful` writes the twin of the
// default dataset: identical prompts in train, trusted, untrusted and test (in order), Bob's
// labels the truth, summary.json naming the rule; the default output does not change (no
// bob_rule key). Arithmetic and hemisphere alike.

import XCTest
import Foundation
import PipelineCore
import Quirky
import Stages

final class TruthfulTwinDatasetTests: XCTestCase {
    private var dirs: [String] = []
    override func tearDown() { for d in dirs { try? FileManager.default.removeItem(atPath: d) } }

    private func tempDir() -> String {
        let d = NSTemporaryDirectory() + "madpipe-twin-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        dirs.append(d)
        return d
    }

    private func run(_ params: [(String, Value)]) throws -> String {
        let out = tempDir(), scratch = tempDir()
        let kind = QuirkyDatasetStage()
        var values = kind.params.compactMap { s in s.defaultValue.map { (s.name, $0) } }.filter { v in !params.contains { $0.0 == v.0 } }
        values += params
        try kind.execute(StageContext(stageId: "data", params: Params(values), inputs: [:], paths: [:], outputDirectory: out,
                                      workDirectory: scratch + "/work", scratchDirectory: scratch + "/scratch", logPath: scratch + "/log",
                                      pipelineDirectory: scratch, cpus: 1, log: { _ in }, progress: { _, _ in }, isCancelled: { false }))
        return out
    }

    private func checkTwin(_ task: [(String, Value)]) throws {
        let quirky = try run(task), twin = try run(task + [("bob_rule", .string("truthful"))])
        for split in ["train", "trusted", "untrusted", "test"] {
            let q = try DatasetFiles.read(directory: quirky, split: split), t = try DatasetFiles.read(directory: twin, split: split)
            XCTAssertFalse(q.isEmpty, split)
            XCTAssertEqual(t.map(\.prompt), q.map(\.prompt), split)
            XCTAssertEqual(t.map(\.record.id), q.map(\.record.id), split)
            XCTAssertTrue(t.allSatisfy { $0.record.bobLabel == $0.record.aliceLabel && $0.record.label == $0.record.aliceLabel }, split)
        }
        let qBob = try DatasetFiles.read(directory: quirky, split: "train").filter { $0.record.character == .bob }
        XCTAssertTrue(qBob.contains { $0.record.label != $0.record.aliceLabel }, "the quirky Bob errs somewhere")
        let summary = { (dir: String) in String(decoding: FileManager.default.contents(atPath: dir + "/summary.json")!, as: UTF8.self) }
        XCTAssertTrue(summary(twin).contains("\"bob_rule\": \"truthful\""), summary(twin))
        XCTAssertFalse(summary(quirky).contains("bob_rule"))
    }

    func testArithmeticTwinHasTheQuirkyPromptsWithBobTruthful() throws {
        try checkTwin([("task", .string("addition")), ("examples", .int(2000)), ("max_digits", .int(3)), ("test_cap", .int(200)),
                       ("template", .string("short")), ("seed", .int(1))])
    }

    func testHemisphereTwinHasTheQuirkyPromptsWithBobTruthful() throws {
        try checkTwin([("task", .string("hemisphere")), ("test_cap", .int(100))])
    }

    func testUnknownBobRuleIsRefusedAtValidation() throws {
        let spec = QuirkyDatasetStage().params.first { $0.name == "bob_rule" }!
        XCTAssertThrowsError(try ParamChecker.check(.string("liar"), as: spec.type, field: "bob_rule", at: SourceLocation(file: "p.yaml", line: 3, column: 5)))
    }
}
