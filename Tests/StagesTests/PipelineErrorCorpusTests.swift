// PipelineErrorCorpusTests: every file in Fixtures/bad is an invalid pipeline whose first line
// states the expected error (`# expect: LINE:COL: message`); each must fail with that message at
// that position. (A file may be invalid UTF-8 after its first line.)

import Foundation
import PipelineCore
import Stages
import XCTest

final class PipelineErrorCorpusTests: XCTestCase {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/bad").path

    func testEveryBadFileFailsWithItsExpectedMessage() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.dir).filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssertGreaterThanOrEqual(files.count, 20)
        for name in files {
            let path = Self.dir + "/" + name
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let first = String(decoding: data.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
            XCTAssertTrue(first.hasPrefix("# expect: "), "\(name) has no expectation line")
            let expected = String(first.dropFirst("# expect: ".count))
            do {
                let spec = try SpecParser.load(path: path)
                _ = try Planner.plan(spec, registry: BuiltinKinds.registry)
                XCTFail("\(name): expected an error, got none")
            } catch let e as PipelineError {
                let text = e.description
                XCTAssertTrue(text.hasPrefix(path), "\(name): error does not start with the file path: \(text)")
                XCTAssertTrue(text.contains(expected), "\(name): expected '\(expected)' in '\(text)'")
            }
        }
    }

    func testIncludeOfANonPipelineFileNamesItAndQuotesNoneOfIt() throws {
        let path = Self.dir + "/include-not-yaml.yaml"
        XCTAssertThrowsError(try SpecParser.load(path: path)) { e in
            XCTAssertEqual("\(e)", "\(path):3:10: invalid 'include': '\(Self.dir)/not-a-pipeline.txt' is not a pipeline file: "
                           + "it holds a string, not a map of pipeline keys")
        }
    }

    func testValidPipelineWithIncludeAndMergeKeys() throws {
        let dir = NSTemporaryDirectory() + "madpipe-include-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try """
        vars: {n: 7}
        stages:
          shared:
            kind: write
            params: {text: "from include ${n}"}
        """.write(toFile: dir + "/common.yaml", atomically: true, encoding: .utf8)
        try """
        pipeline: main
        include: [common.yaml]
        defaults: &d {kind: concat}
        stages:
          use:
            <<: *d
            inputs: {s: shared}
        """.write(toFile: dir + "/main.yaml", atomically: true, encoding: .utf8)
        // `defaults` is not a top-level key: the merge-key anchor must live in an allowed place.
        XCTAssertThrowsError(try SpecParser.load(path: dir + "/main.yaml")) { e in
            XCTAssertTrue("\(e)".contains("unknown key 'defaults'"), "\(e)")
        }
        try """
        pipeline: main
        include: [common.yaml]
        vars: {base: &d {kind: concat}}
        stages:
          use:
            <<: *d
            inputs: {s: shared}
        """.write(toFile: dir + "/main.yaml", atomically: true, encoding: .utf8)
        let spec = try SpecParser.load(path: dir + "/main.yaml")
        XCTAssertEqual(spec.files.count, 2)
        let plan = try Planner.plan(spec, registry: BuiltinKinds.registry)
        XCTAssertEqual(plan.instances.map(\.id), ["shared", "use"])
        XCTAssertEqual(plan.instances[0].params.string("text"), "from include 7")
        XCTAssertEqual(plan.instances[1].kind.name, "concat")
    }

    func testIncludeCycleIsReported() throws {
        let dir = NSTemporaryDirectory() + "madpipe-inccycle-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "pipeline: a\ninclude: [b.yaml]\nstages:\n  x: {kind: write, params: {text: t}}\n".write(toFile: dir + "/a.yaml", atomically: true, encoding: .utf8)
        try "include: [a.yaml]\n".write(toFile: dir + "/b.yaml", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try SpecParser.load(path: dir + "/a.yaml")) { e in
            XCTAssertTrue("\(e)".contains("include cycle"), "\(e)")
            XCTAssertTrue("\(e)".contains("b.yaml:1:"), "\(e)")
        }
    }
}
