// SpecHardeningTests: hostile or careless pipeline text is an error with a location or is made
// safe: values pasted into shell command lines, matrix size, NUL and non-UTF-8 bytes, includes
// of files that are not pipelines, and `outputs:` names and references.

import Foundation
@testable import PipelineCore
import XCTest

/// A kind with a shell command line and an environment map, as `command` has.
private struct ShellKind: StageKind {
    let name = "shell"
    let version = 1
    let summary = "test"
    let params: [ParamSpec] = [
        ParamSpec("run", .command, "command line"),
        ParamSpec("env", .stringMap, default: .map([]), "environment"),
        ParamSpec("text", .string, default: .string(""), "plain text"),
    ]
    func execute(_ context: StageContext) throws {}
}

private let registry = StageRegistry([ShellKind(), EchoKind()])

private func shellPlan(_ yaml: String, overrides: [(String, Value)] = []) throws -> Plan {
    try Planner.plan(try SpecParser.parse(yaml, file: "/t/p.yaml"), registry: registry, overrides: overrides)
}

/// Runs `sh -c "printf %s WORD"` and returns what the shell printed.
private func shellPrints(_ word: String) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", "printf %s " + word]
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

final class SpecHardeningTests: XCTestCase {
    // MARK: Shell quoting

    func testShellQuoteKeepsSafeWordsAndMakesEveryOtherValueOneVerbatimWord() throws {
        for safe in ["addition", "/data/x_1.txt", "a=b", "k:v,w@h%2+1", "gpt2-small.v1"] {
            XCTAssertEqual(Shell.quote(safe), safe)
        }
        XCTAssertEqual(Shell.quote(""), "''")
        XCTAssertEqual(Shell.quote("a b"), "'a b'")
        XCTAssertEqual(Shell.quote("it's"), "'it'\\''s'")
        // `${` never survives quoting, so the runtime expansion of ${work} cannot reach into it.
        XCTAssertEqual(Shell.quote("${work}"), "'$''{work}'")
        let hostile = ["a; touch pwned", "$(id)", "`id`", "x\ny", "it's \"q\"", "${work}", "~", "*", "a\\b", "-n", " lead", "tab\t", "é ü"]
        for value in hostile {
            XCTAssertEqual(try shellPrints(Shell.quote(value)), value, "quoted: \(Shell.quote(value))")
        }
    }

    func testValuesInACommandLineAreQuotedOnceEachAndNowhereElse() throws {
        let yaml = """
        pipeline: p
        vars: {x: "a; touch pwned", seed: 3, opts: "--fast --quiet"}
        matrix:
          dir: ["my data", plain]
        stages:
          s:
            kind: shell
            over: [dir]
            params:
              run: "tool --seed ${seed} --in ${dir}/f --x ${x} ${raw:opts} --out ${inputs.a} $$HOME"
              env: {X: "${x}", D: "${dir}"}
              text: "${x}"
          whole:
            kind: shell
            params: {run: "${x}"}
        """
        let p = try shellPlan(yaml, overrides: [("seed", .string("$(id)"))])
        let spaced = p.instances[p.index["s[dir=my data]"]!]
        XCTAssertEqual(spaced.params["run"], .string("tool --seed '$(id)' --in 'my data'/f --x 'a; touch pwned' --fast --quiet --out ${inputs.a} $HOME"))
        // env and other params are not shell text: verbatim.
        XCTAssertEqual(spaced.params["env"], .map([("X", .string("a; touch pwned")), ("D", .string("my data"))]))
        XCTAssertEqual(spaced.params["text"], .string("a; touch pwned"))
        // Ordinary values read as written, so ordinary pipelines keep their cache keys.
        let plain = try shellPlan(yaml).instances[p.index["s[dir=plain]"]!]
        XCTAssertEqual(plain.params["run"], .string("tool --seed 3 --in plain/f --x 'a; touch pwned' --fast --quiet --out ${inputs.a} $HOME"))
        // A command line that is one reference is still quoted (no typed shortcut).
        XCTAssertEqual(p.instances[p.index["whole"]!].params["run"], .string("'a; touch pwned'"))
        // raw does not apply to runtime placeholders, which are always quoted when the stage runs.
        XCTAssertThrowsError(try shellPlan("pipeline: p\nstages:\n  s: {kind: shell, params: {run: \"ls ${raw:work}\"}}\n")) { e in
            XCTAssertTrue("\(e)".hasPrefix("/t/p.yaml:3:"), "\(e)")
            XCTAssertTrue("\(e)".contains("raw applies to vars and matrix values"), "\(e)")
        }
    }

    // MARK: Matrix size

    func testAHugeMatrixIsRefusedBeforeItIsExpanded() throws {
        // Four axes of 100 values (one list, aliased): 10^8 instances.
        let values = (0..<100).map(String.init).joined(separator: ", ")
        let yaml = "pipeline: p\nmatrix:\n  a: &v [\(values)]\n  b: *v\n  c: *v\n  d: *v\nstages:\n  small: {kind: echo, over: [a]}\n  big: {kind: echo, over: [a, b, c, d]}\n"
        let start = Date()
        XCTAssertThrowsError(try plan(yaml)) { e in
            XCTAssertEqual("\(e)", "/t/p.yaml:9:3: stage 'big' expands to 100000000 instances, which takes the pipeline to 100000100; "
                + "a pipeline may have at most 1000000 stage instances (counted before matrix.exclude): "
                + "sweep fewer axes or values, or split the sweep into several pipelines")
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
        // 10^10 x ... past Int.max: overflow is caught, not trapped.
        let many = (0..<10).map { "  x\($0): *v\n" }.joined()
        let huge = "pipeline: p\nmatrix:\n  a: &v [\(values)]\n\(many)stages:\n  big: {kind: echo, over: [a, \((0..<10).map { "x\($0)" }.joined(separator: ", "))]}\n"
        XCTAssertThrowsError(try plan(huge)) { e in
            XCTAssertTrue("\(e)".contains("stage 'big' expands to more than \(Int.max) instances"), "\(e)")
        }
        // The limit counts every stage: the stage that crosses it is the one named.
        let spec = try SpecParser.parse(yaml, file: "/t/p.yaml")
        let big = spec.stage(named: "big")!
        XCTAssertNoThrow(try Planner.checkInstanceCount(spec.stage(named: "small")!, over: [spec.axes[0]], planned: Planner.instanceLimit - 100))
        XCTAssertThrowsError(try Planner.checkInstanceCount(spec.stage(named: "small")!, over: [spec.axes[0]], planned: Planner.instanceLimit - 99))
        XCTAssertThrowsError(try Planner.checkInstanceCount(big, over: [spec.axes[0], spec.axes[1]], planned: Int.max - 5)) { e in
            XCTAssertTrue("\(e)".contains("takes the pipeline to more than"), "\(e)")
        }
    }

    // MARK: NUL and UTF-8

    func testNulCharactersAreErrorsWithTheirLocation() throws {
        // The YAML escape \0 inside run, outs, env and a key.
        for (yaml, at) in [
            ("pipeline: p\nstages:\n  s: {kind: shell, params: {run: \"echo a\\0; rm -rf x\"}}\n", "3:34"),
            ("pipeline: p\nstages:\n  s:\n    kind: shell\n    params:\n      run: \"true\"\n      env: {X: \"a\\0b\"}\n", "7:16"),
            ("pipeline: p\nstages:\n  s:\n    kind: shell\n    params:\n      run: \"true\"\n      env: {\"X\\0Y\": b}\n", "7:13"),  // keys are located at their first character
        ] {
            XCTAssertThrowsError(try shellPlan(yaml)) { e in
                XCTAssertEqual(e as? PipelineError, .nulCharacter(SourceLocation(file: "/t/p.yaml", line: Int(at.split(separator: ":")[0])!,
                                                                                    column: Int(at.split(separator: ":")[1])!)), "\(e)")
                XCTAssertTrue("\(e)".hasPrefix("/t/p.yaml:\(at): "), "\(e)")
            }
        }
        // A raw NUL byte in the text is located too.
        XCTAssertThrowsError(try SpecParser.parse("pipeline: p\nstages:\n  s: {kind: echo, params: {text: \"a\u{0}b\"}}\n", file: "/t/p.yaml")) { e in
            XCTAssertTrue("\(e)".hasPrefix("/t/p.yaml:3:"), "\(e)")
        }
        // A -p value cannot smuggle one in either.
        XCTAssertThrowsError(try shellPlan("pipeline: p\nvars: {x: 1}\nstages:\n  s: {kind: shell, params: {run: \"echo ${x}\"}}\n",
                                           overrides: [("x", .string("a\u{0}b"))])) { e in
            XCTAssertEqual("\(e)", "bad parameter override 'x=...': the value holds a NUL character (\\0), which would cut it short")
            XCTAssertTrue((e as? PipelineError)?.isUsageError ?? false)
        }
    }

    func testNonUTF8IsReportedAtTheFirstInvalidByte() throws {
        let dir = NSTemporaryDirectory() + "madpipe-utf8-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var bytes = Data("pipeline: p\nstages:\n  s: {kind: echo, params: {text: \"é".utf8)
        bytes += Data([0xFF, 0x41])
        bytes += Data("\"}}\n".utf8)
        try bytes.write(to: URL(fileURLWithPath: dir + "/p.yaml"))
        XCTAssertThrowsError(try SpecParser.load(path: dir + "/p.yaml")) { e in
            // Line 3; `é` is one column, so the invalid byte is in column 36.
            XCTAssertEqual(e as? PipelineError, .invalidUTF8(SourceLocation(file: dir + "/p.yaml", line: 3, column: 36)))
            XCTAssertTrue("\(e)".hasPrefix(dir + "/p.yaml:3:36: the file is not valid UTF-8"), "\(e)")
        }
    }

    // MARK: include

    func testIncludingAFileThatIsNotAPipelineNamesItAndQuotesNothing() throws {
        let dir = NSTemporaryDirectory() + "madpipe-incl-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let secret = (0..<50).map { "user\($0):x:\($0):\($0):SECRET-\($0):/home/u\($0):/bin/sh" }.joined(separator: "\n") + "\n"
        try secret.write(toFile: dir + "/passwd", atomically: true, encoding: .utf8)
        try "pipeline: p\ninclude: passwd\nstages:\n  s: {kind: echo}\n".write(toFile: dir + "/p.yaml", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try SpecParser.load(path: dir + "/p.yaml")) { e in
            XCTAssertEqual("\(e)", "\(dir)/p.yaml:2:10: invalid 'include': '\(dir)/passwd' is not a pipeline file: it holds a string, not a map of pipeline keys")
        }
        // A file that happens to be a YAML map: its first key is quoted as a short excerpt only.
        try "\(String(repeating: "long-heading-", count: 20)): SECRET\n".write(toFile: dir + "/notes.txt", atomically: true, encoding: .utf8)
        try "pipeline: p\ninclude: notes.txt\nstages:\n  s: {kind: echo}\n".write(toFile: dir + "/p.yaml", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try SpecParser.load(path: dir + "/p.yaml")) { e in
            XCTAssertEqual("\(e)", "\(dir)/notes.txt:1:1: unknown key 'long-heading-long-heading-long-heading-l...' in the pipeline file")
        }
        // The main file itself: the value is quoted as a short excerpt only.
        XCTAssertThrowsError(try SpecParser.load(path: dir + "/passwd")) { e in
            XCTAssertTrue("\(e)".contains("must be a map, not string 'user0:x:0:0:SECRET-0:/home/u0:/bin/sh us...'"), "\(e)")
            XCTAssertFalse("\(e)".contains("SECRET-1"), "\(e)")
        }
    }

    // MARK: outputs

    func testOutputsAreNotTemplatedAndTheirNamesArePlainRelativePaths() throws {
        let head = "pipeline: p\nvars: {n: 1}\nstages:\n  a: {kind: echo}\noutputs:\n"
        let cases: [(String, String)] = [
            ("  \"r-${n}.txt\": a/out.txt\n", "/t/p.yaml:6:3: invalid 'outputs': 'r-${n}.txt' uses '${...}', but outputs are not templated"),
            ("  r.txt: \"a/${n}.txt\"\n", "/t/p.yaml:6:10: invalid 'outputs.r.txt': 'a/${n}.txt' uses '${...}', but outputs are not templated"),
            ("  x/: a/out.txt\n", "/t/p.yaml:6:3: invalid 'outputs': output name 'x/' must be a relative path inside results/p/: it has an empty part"),
            ("  a//b: a/out.txt\n", "/t/p.yaml:6:3: invalid 'outputs': output name 'a//b' must be"),
            ("  .: a/out.txt\n", "/t/p.yaml:6:3: invalid 'outputs': output name '.' must be a relative path inside results/p/: it has a '.' part"),
            ("  ./x: a/out.txt\n", "/t/p.yaml:6:3: invalid 'outputs': output name './x' must be"),
            ("  ..: a/out.txt\n", "/t/p.yaml:6:3: invalid 'outputs': output name '..' must be a relative path inside results/p/: it has a '..' part"),
            ("  \"\": a/out.txt\n", "/t/p.yaml:6:3: invalid 'outputs': output name '' must be a relative path inside results/p/: it is empty"),
            ("  /etc/x: a/out.txt\n", "/t/p.yaml:6:3: invalid 'outputs': output name '/etc/x' must be a relative path inside results/p/: it is absolute"),
            ("  fits: a/\n  fits/x.txt: a/out.txt\n", "/t/p.yaml:7:3: invalid 'outputs': output name 'fits/x.txt' overlaps 'fits': publish each path once"),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try plan(head + text)) { e in
                XCTAssertTrue("\(e)".hasPrefix(expected), "expected '\(expected)' in '\(e)'")
            }
        }
        // Still fine: nested names, and a name with dots inside a part.
        XCTAssertNoThrow(try plan(head + "  fits/all: a/\n  v1..2.txt: a/out.txt\n"))
    }

    // MARK: Usage errors

    func testOverrideErrorsAreUsageErrors() throws {
        XCTAssertThrowsError(try plan("pipeline: p\nvars: {n: 1}\nstages:\n  a: {kind: echo}\n", overrides: [("m", .int(1))])) { e in
            XCTAssertTrue((e as? PipelineError)?.isUsageError ?? false, "\(e)")
        }
        XCTAssertFalse(PipelineError.unknownVariable(SourceLocation(file: "f"), name: "x", suggestion: nil).isUsageError)
    }
}
