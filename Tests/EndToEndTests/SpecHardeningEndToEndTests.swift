// SpecHardeningEndToEndTests: the madpipe binary given hostile or careless input: a `-p` value
// with shell syntax reaches its command as one verbatim argument, paths with spaces work,
// `${raw:...}` pastes shell syntax on purpose, malformed `-p` is a usage error (exit 2), and a
// huge matrix or a non-pipeline include is refused at once with a short, located message.

import Foundation
import XCTest

final class SpecHardeningEndToEndTests: XCTestCase {
    /// One command stage printing `${x}` (one argument per line) to out.txt, published as out.txt.
    func printPipeline(run: String = "printf '%s\\n' ${x} > out.txt", vars: String = "{x: hello}") -> String {
        """
        pipeline: p
        vars: \(vars)
        stages:
          a:
            kind: command
            run: "\(run)"
            outs: [out.txt]
        outputs:
          out.txt: a/out.txt
        """
    }

    func testShellSyntaxInAParamValueIsOneVerbatimArgument() throws {
        let s = try Sandbox("inject")
        try s.write("p.yaml", printPipeline())
        let value = "a; touch \(s.dir)/pwned1 $(touch \(s.dir)/pwned2) `touch \(s.dir)/pwned3` | touch \(s.dir)/pwned4\nline2 'q' \"dq\" ${HOME} *"
        let r = try s.run("run", "p.yaml", "-p", "x=" + value)
        XCTAssertEqual(r.code, 0, r.stderr)
        for i in 1...4 {
            XCTAssertFalse(FileManager.default.fileExists(atPath: s.dir + "/pwned\(i)"), "the value ran a command (pwned\(i))")
        }
        // printf printed exactly one argument: the value, byte for byte.
        XCTAssertEqual(s.read("results/p/out.txt"), value + "\n")
    }

    func testValuesAndPathsWithSpacesStayOneArgument() throws {
        let s = try Sandbox("spaces")
        try s.write("my data/in put.txt", "contents\n")
        try s.write("p.yaml", """
        pipeline: p
        vars: {src: "\(s.dir)/my data/in put.txt"}
        matrix:
          label: ["two words", plain]
        stages:
          a:
            kind: command
            over: [label]
            deps: {same: "my data/in put.txt"}
            run: "cat ${src} ${deps.same} > out.txt && printf '[%s]\\n' ${label} >> out.txt"
            outs: [out.txt]
        outputs:
          spaced.txt: "a[label=two words]/out.txt"
          plain.txt: "a[label=plain]/out.txt"
        """)
        let r = try s.run("run", "p.yaml")
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(s.read("results/p/spaced.txt"), "contents\ncontents\n[two words]\n")
        XCTAssertEqual(s.read("results/p/plain.txt"), "contents\ncontents\n[plain]\n")
    }

    func testEnvironmentValuesHoldPathsVerbatim() throws {
        // No shell reads an env value, so a dep path with a space arrives as the path itself.
        let s = try Sandbox("envpath")
        try s.write("my data/in put.txt", "contents\n")
        try s.write("p.yaml", """
        pipeline: p
        stages:
          a:
            kind: command
            deps: {src: "my data/in put.txt"}
            env: {SRC: "${deps.src}"}
            run: "cat \\"$SRC\\" > out.txt"
            outs: [out.txt]
        outputs:
          out.txt: a/out.txt
        """)
        let r = try s.run("run", "p.yaml")
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(s.read("results/p/out.txt"), "contents\n")
    }

    func testRawFormPastesShellSyntaxOnPurpose() throws {
        let s = try Sandbox("raw")
        try s.write("p.yaml", printPipeline(run: "{ ${raw:x}; } > out.txt", vars: "{x: \"echo one; echo two\"}"))
        let r = try s.run("run", "p.yaml")
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(s.read("results/p/out.txt"), "one\ntwo\n")
    }

    func testMalformedParamOverrideIsAUsageError() throws {
        let s = try Sandbox("usage")
        try s.write("p.yaml", printPipeline())
        for (args, message) in [(["run", "p.yaml", "-p", "noequals"], "bad parameter override 'noequals': expected name=value"),
                                (["validate", "p.yaml", "-p", "=1"], "bad parameter override '=1': expected name=value"),
                                (["status", "p.yaml", "-p", "y=1"], "the pipeline has no var 'y'")] {
            let r = try s.run(args)
            XCTAssertEqual(r.code, 2, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
        }
        // A pipeline that is invalid is still exit 1.
        try s.write("bad.yaml", "pipeline: p\nstages:\n  a: {kind: nope}\n")
        XCTAssertEqual(try s.run("validate", "bad.yaml").code, 1)
    }

    func testHugeMatrixAndNonPipelineIncludeAreRefusedWithShortLocatedErrors() throws {
        let s = try Sandbox("limits")
        let values = (0..<100).map(String.init).joined(separator: ", ")
        try s.write("big.yaml", "pipeline: p\nmatrix:\n  a: &v [\(values)]\n  b: *v\n  c: *v\n  d: *v\nstages:\n  fit: {kind: write, over: [a, b, c, d], params: {text: x}}\n")
        let start = Date()
        let big = try s.run("validate", "big.yaml")
        XCTAssertEqual(big.code, 1)
        XCTAssertTrue(big.stderr.contains("big.yaml:8:3: stage 'fit' expands to 100000000 instances"), big.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)

        let secret = (0..<200).map { "user\($0):x:\($0):\($0):SECRET-\($0):/home/u\($0):/bin/sh" }.joined(separator: "\n") + "\n"
        try s.write("passwd", secret)
        try s.write("inc.yaml", "pipeline: p\ninclude: passwd\nstages:\n  a: {kind: write, params: {text: x}}\n")
        let inc = try s.run("validate", "inc.yaml")
        XCTAssertEqual(inc.code, 1)
        XCTAssertTrue(inc.stderr.contains("inc.yaml:2:10: invalid 'include': '\(s.dir)/passwd' is not a pipeline file"), inc.stderr)
        XCTAssertFalse(inc.stderr.contains("SECRET"), inc.stderr)
        XCTAssertLessThan(inc.stderr.count, 300)
    }
}
