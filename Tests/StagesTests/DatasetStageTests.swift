// Tests of the dataset stage kinds: the files quirky-dataset writes (split membership, prompts,
// agreement, counts, determinism) and load-dataset's round trip and file:line:field errors.

import XCTest
import Foundation
import PipelineCore
import Quirky
import Stages

final class DatasetStageTests: XCTestCase {
    private var dirs: [String] = []
    override func tearDown() { for d in dirs { try? FileManager.default.removeItem(atPath: d) } }

    private func tempDir() -> String {
        let d = NSTemporaryDirectory() + "madpipe-dataset-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        dirs.append(d)
        return d
    }

    private func context(_ params: [(String, Value)], paths: [String: String] = [:], out: String) -> StageContext {
        let scratch = tempDir()
        return StageContext(stageId: "data", params: Params(params), inputs: [:], paths: paths, outputDirectory: out,
                            workDirectory: scratch + "/work", scratchDirectory: scratch + "/scratch", logPath: scratch + "/log",
                            pipelineDirectory: scratch, cpus: 1, log: { _ in }, progress: { _, _ in }, isCancelled: { false })
    }

    private func quirkyParams(seed: Int = 3) -> [(String, Value)] {
        [("task", .string("addition")), ("examples", .int(400)), ("seed", .int(seed)), ("test_cap", .int(60)),
         ("template", .string("short"))]
    }

    func testQuirkyDatasetWritesEverySplitWithPromptsAndAgreement() throws {
        let out = tempDir()
        try QuirkyDatasetStage().execute(context(quirkyParams(), out: out))
        for f in ["records.jsonl", "train.jsonl", "trusted.jsonl", "untrusted.jsonl", "validation.jsonl", "test.jsonl", "summary.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/" + f), f)
        }
        let names = QuirkyNames.standard
        let trusted = try DatasetFiles.read(directory: out, split: "trusted")
        XCTAssertFalse(trusted.isEmpty)
        for e in trusted {
            XCTAssertEqual(e.record.character, .alice)
            XCTAssertEqual(e.record.split, "train")
            XCTAssertLessThan(e.record.difficultyQuantile, 0.25)
            XCTAssertTrue(names.trainingNames(for: .alice).contains(e.record.name))
            XCTAssertEqual(e.prompt, "\(e.record.name): \(e.record.statement) Correct?")
        }
        let test = try DatasetFiles.read(directory: out, split: "test")
        XCTAssertFalse(test.isEmpty)
        XCTAssertLessThanOrEqual(test.count, 60)
        XCTAssertEqual(test.filter { $0.record.character == .alice }.count, test.filter { $0.record.character == .bob }.count)
        for e in test {
            XCTAssertTrue(names.heldOutNames(for: e.record.character).contains(e.record.name))
            XCTAssertGreaterThanOrEqual(e.record.difficultyQuantile, 0.75)
        }
        let train = try DatasetFiles.read(directory: out, split: "train")
        XCTAssertTrue(train.contains { $0.record.character == .alice } && train.contains { $0.record.character == .bob })
        XCTAssertTrue(train.allSatisfy { $0.record.split == "train" && names.trainingNames(for: $0.record.character).contains($0.record.name) })

        // Each split line carries agreement = alice_label == bob_label, as JSON.
        let firstLine = try XCTUnwrap(try String(contentsOfFile: out + "/test.jsonl", encoding: .utf8).split(separator: "\n").first)
        guard case let .map(pairs) = try Value.parseJSON(String(firstLine)) else { return XCTFail("not an object") }
        let dict = Dictionary(uniqueKeysWithValues: pairs)
        XCTAssertEqual(dict["agreement"], .bool(dict["alice_label"] == dict["bob_label"]))
        XCTAssertEqual(dict["prompt"]?.stringValue, test[0].prompt)

        guard case let .map(summary) = try Value.parseJSON(try String(contentsOfFile: out + "/summary.json", encoding: .utf8)),
              case let .map(splits)? = summary.first(where: { $0.0 == "splits" })?.1,
              case let .map(testCounts)? = splits.first(where: { $0.0 == "test" })?.1 else { return XCTFail("summary layout") }
        XCTAssertEqual(testCounts.first { $0.0 == "count" }?.1, .int(test.count))
        XCTAssertEqual(summary.first { $0.0 == "records" }?.1, .int(800))
    }

    func testSameSeedSameBytesOtherSeedOtherBytes() throws {
        let a = tempDir(), b = tempDir(), c = tempDir()
        try QuirkyDatasetStage().execute(context(quirkyParams(seed: 5), out: a))
        try QuirkyDatasetStage().execute(context(quirkyParams(seed: 5), out: b))
        try QuirkyDatasetStage().execute(context(quirkyParams(seed: 6), out: c))
        for f in ["records.jsonl", "trusted.jsonl", "test.jsonl", "summary.json"] {
            XCTAssertEqual(FileManager.default.contents(atPath: a + "/" + f), FileManager.default.contents(atPath: b + "/" + f), f)
        }
        XCTAssertNotEqual(FileManager.default.contents(atPath: a + "/records.jsonl"), FileManager.default.contents(atPath: c + "/records.jsonl"))
    }

    func testLoadDatasetRoundTripsGeneratedRecords() throws {
        let gen = tempDir(), loaded = tempDir()
        try QuirkyDatasetStage().execute(context(quirkyParams(), out: gen))
        let params: [(String, Value)] = [("path", .string(gen + "/records.jsonl")), ("default_split", .string("train")),
                                         ("seed", .int(3)), ("test_cap", .int(60)), ("template", .string("short")), ("context", .string(""))]
        try LoadDatasetStage().execute(context(params, paths: ["path": gen + "/records.jsonl"], out: loaded))
        for f in ["trusted.jsonl", "untrusted.jsonl", "validation.jsonl", "test.jsonl", "train.jsonl"] {
            XCTAssertEqual(FileManager.default.contents(atPath: gen + "/" + f), FileManager.default.contents(atPath: loaded + "/" + f), f)
        }
    }

    func testLoadDatasetErrorsNameFileLineAndField() throws {
        let d = tempDir()
        let good = #"{"id":"a","character":"Alice","label":true,"alice_label":true,"bob_label":false,"difficulty":3,"statement":"1 + 2 = 3","choices":[" No"," Yes"]}"#
        let bad = #"{"id":"b","character":"Bob","label":true,"alice_label":true,"difficulty":3,"statement":"1 + 2 = 3","choices":[" No"," Yes"]}"#
        try (good + "\n" + bad + "\n").write(toFile: d + "/user.jsonl", atomically: true, encoding: .utf8)
        let params: [(String, Value)] = [("path", .string("user.jsonl")), ("default_split", .string("train")), ("seed", .int(0)),
                                         ("test_cap", .int(10)), ("template", .string("short")), ("context", .string(""))]
        XCTAssertThrowsError(try LoadDatasetStage().execute(context(params, paths: ["path": d + "/user.jsonl"], out: tempDir()))) {
            let text = "\($0)"
            XCTAssertTrue(text.contains("user.jsonl:2"), text)
            XCTAssertTrue(text.contains("bob_label"), text)
        }
    }

    func testNumberWidthAlignsThePromptsNotTheStatements() throws {
        let out = tempDir()
        try QuirkyDatasetStage().execute(context(quirkyParams() + [("number_width", .int(6))], out: out))
        let train = try DatasetFiles.read(directory: out, split: "train")
        XCTAssertFalse(train.isEmpty)
        for e in train {
            XCTAssertEqual(e.prompt, "\(e.record.name): \(NumberAlignment.align(e.record.statement, width: 6)) Correct?")
            XCTAssertFalse(e.record.statement.hasPrefix(" "))
        }
        XCTAssertTrue(try String(contentsOfFile: out + "/summary.json", encoding: .utf8).contains("\"number_width\": 6"))
        let loc = SourceLocation(file: "p.yaml", line: 3, column: 5)
        XCTAssertThrowsError(try QuirkyDatasetStage().validate(Params([("examples", .int(10)), ("test_cap", .int(10)), ("seed", .int(0)), ("number_width", .int(40))]), at: loc)) {
            XCTAssertTrue("\($0)".contains("number_width"), "\($0)")
        }
    }

    func testCustomNameListsDecideTrainingAndHeldOutNames() throws {
        let alice = ["Alice", "Clara", "Daphne", "Elena", "Greta", "Helen"], bob = ["Bob", "Carl", "David", "Edgar", "Felix", "Hugo"]
        let names: [(String, Value)] = [("alice_names", .list(alice.map(Value.string))), ("bob_names", .list(bob.map(Value.string)))]
        let out = tempDir()
        try QuirkyDatasetStage().execute(context(quirkyParams() + names, out: out))
        let train = try DatasetFiles.read(directory: out, split: "train"), test = try DatasetFiles.read(directory: out, split: "test")
        XCTAssertFalse(train.isEmpty)
        XCTAssertFalse(test.isEmpty)
        for e in train { XCTAssertTrue((e.record.character == .alice ? alice : bob).prefix(4).contains(e.record.name), e.record.name) }
        for e in test { XCTAssertTrue((e.record.character == .alice ? alice : bob).dropFirst(4).contains(e.record.name), e.record.name) }
        // load-dataset reads the same lists back: its test split keeps the held-out names.
        let loaded = tempDir()
        try LoadDatasetStage().execute(context([("path", .string("records.jsonl")), ("default_split", .string("train")), ("seed", .int(3)),
                                                ("test_cap", .int(60)), ("template", .string("short")), ("context", .string(""))] + names,
                                               paths: ["path": out + "/records.jsonl"], out: loaded))
        XCTAssertEqual(try DatasetFiles.read(directory: loaded, split: "test").map(\.record.id), test.map(\.record.id))

        let loc = SourceLocation(file: "p.yaml", line: 7, column: 5)
        let base: [(String, Value)] = [("examples", .int(10)), ("test_cap", .int(10)), ("seed", .int(0))]
        for (field, list, problem) in [("alice_names", ["Alice", "Clara", "Daphne", "Elena"], "more than 4"),
                                       ("alice_names", ["Alice", "Clara", "Clara", "Elena", "Greta"], "twice"),
                                       ("bob_names", ["Bob", "Carl", "Alicia", "Edgar", "Felix"], "both sides")] {
            XCTAssertThrowsError(try QuirkyDatasetStage().validate(Params(base + [(field, .list(list.map(Value.string)))]), at: loc)) {
                let text = "\($0)"
                XCTAssertTrue(text.contains(field) && text.contains(problem) && text.contains("p.yaml:7"), text)
            }
        }
    }

    func testTaskDigitsOverrideMaxDigitsPerTask() throws {
        // 2-digit squaring has 99 distinct operands, too few for 400 rows; task_digits gives it 3.
        let digits: [(String, Value)] = [("max_digits", .int(2)), ("task_digits", .map([("squaring", .int(3))]))]
        let squaring: [(String, Value)] = [("task", .string("squaring")), ("examples", .int(400)), ("seed", .int(1)), ("test_cap", .int(60)), ("template", .string("short"))]
        XCTAssertThrowsError(try QuirkyDatasetStage().execute(context(squaring + [("max_digits", .int(2))], out: tempDir())))
        let out = tempDir()
        try QuirkyDatasetStage().execute(context(squaring + digits, out: out))
        let operands = try DatasetFiles.read(directory: out, split: "train").map { Int($0.record.templateArgs["op1"]!)! }
        XCTAssertTrue(operands.allSatisfy { $0 < 1000 } && operands.contains { $0 >= 100 }, "\(operands.max() ?? 0)")
        // Tasks without an entry keep max_digits, in the dataset and in the pre-training corpus.
        let add = tempDir()
        try QuirkyDatasetStage().execute(context(quirkyParams() + digits, out: add))
        XCTAssertTrue(try DatasetFiles.read(directory: add, split: "train").allSatisfy { Int($0.record.templateArgs["op1"]!)! < 100 })
        let corpus = PretrainStage.corpus(tasks: [.addition, .squaring], count: 400, seed: 0, digits: { $0 == .squaring ? 3 : 2 })
        let lines = corpus.split(separator: "\n")
        XCTAssertTrue(lines.filter { $0.contains("^2") }.allSatisfy { Int($0.prefix { $0 != "^" })! < 1000 })
        XCTAssertTrue(lines.filter { $0.contains("^2") }.contains { Int($0.prefix { $0 != "^" })! >= 100 })
        XCTAssertTrue(lines.filter { $0.contains("+") }.allSatisfy { Int($0.prefix { $0 != " " })! < 100 })

        let loc = SourceLocation(file: "p.yaml", line: 9, column: 5)
        let base: [(String, Value)] = [("examples", .int(10)), ("test_cap", .int(10)), ("seed", .int(0))]
        for bad in [Value.map([("cubing", .int(3))]), .map([("squaring", .int(9))]), .map([("squaring", .string("x"))])] {
            XCTAssertThrowsError(try QuirkyDatasetStage().validate(Params(base + [("task_digits", bad)]), at: loc)) {
                XCTAssertTrue("\($0)".contains("task_digits") && "\($0)".contains("p.yaml:9"), "\($0)")
            }
            let pretrain = PretrainStage().params.map { ($0.name, $0.defaultValue ?? .null) }.filter { $0.0 != "task_digits" }
            XCTAssertThrowsError(try PretrainStage().validate(Params(pretrain + [("task_digits", bad)]), at: loc)) {
                XCTAssertTrue("\($0)".contains("task_digits"), "\($0)")
            }
        }
    }

    func testParamValidationRejectsBadValues() throws {
        let loc = SourceLocation(file: "p.yaml", line: 3, column: 5)
        XCTAssertThrowsError(try QuirkyDatasetStage().validate(Params([("examples", .int(0)), ("test_cap", .int(10)), ("seed", .int(0))]), at: loc)) {
            XCTAssertTrue("\($0)".contains("examples"), "\($0)")
        }
        XCTAssertThrowsError(try ExtractActivationsStage().validate(Params([("splits", .list([.string("tset")])), ("batch", .int(4))]), at: loc)) {
            XCTAssertTrue("\($0)".contains("unknown split 'tset'"), "\($0)")
        }
        XCTAssertTrue(BuiltinKinds.registry.names.contains("quirky-dataset"))
        XCTAssertTrue(BuiltinKinds.registry.names.contains("extract-attribution"))
    }
}
