// ExplainEndToEndTests: `madpipe explain` and `status` say in words why a stage is stale (which
// param changed from what to what, which input's upstream stage was re-computed, which file's
// content changed) and never print a bare digest; every command's --help fits 100 columns.

import Foundation
import XCTest

final class ExplainEndToEndTests: XCTestCase {
    /// A 64-hex run (a cache key or content digest) anywhere in `text`.
    func digest(in text: String) -> String? {
        text.range(of: "[0-9a-f]{64}", options: .regularExpression).map { String(text[$0]) }
    }

    static let pipeline = """
    pipeline: ex
    vars: {n: 1, tag: x}
    matrix: {part: [p0, p1]}
    stages:
      a: {kind: write, params: {text: "${n}"}}
      b: {kind: concat, inputs: {s: a}, params: {append: "${tag}"}}
      parts: {kind: write, over: [part], params: {text: "${part} ${n}"}}
      all: {kind: concat, inputs: {p: parts}}
      dep:
        kind: command
        deps: {input: data/input.txt}
        run: "wc -l < ${deps.input} > n.txt"
        outs: [n.txt]
    """

    func testExplainNamesTheParamTheUpstreamStageAndTheFileInWords() throws {
        let s = try Sandbox("explain")
        try s.write("data/input.txt", "one\n")
        try s.write("p.yaml", Self.pipeline)
        XCTAssertEqual(try s.run("run", "p.yaml").code, 0)

        // A param changed: from what to what.
        let param = try s.run("explain", "p.yaml", "b", "-p", "tag=y")
        XCTAssertTrue(param.stdout.contains("b: stale"), param.stdout)
        XCTAssertTrue(param.stdout.contains("param 'append' changed: x -> y"), param.stdout)

        // An upstream stage re-computed with a different output: the input and the stage named.
        XCTAssertEqual(try s.run("run", "p.yaml", "-p", "n=2", "--only", "a", "--only", "parts*").code, 0)
        let up = try s.run("explain", "p.yaml", "b", "-p", "n=2")
        XCTAssertTrue(up.stdout.contains("input 's' changed: upstream stage 'a' was re-computed with different output"), up.stdout)
        let gathered = try s.run("explain", "p.yaml", "all", "-p", "n=2")
        XCTAssertTrue(gathered.stdout.contains("input 'p' changed: upstream stages 'parts[part=p0]', 'parts[part=p1]' were re-computed with different output"),
                      gathered.stdout)

        // A dependency file's content changed: the file named by its path.
        try s.write("data/input.txt", "one\ntwo\n")
        let file = try s.run("explain", "p.yaml", "dep")
        XCTAssertTrue(file.stdout.contains("file 'deps.input' changed: the content of data/input.txt differs from the last run's"), file.stdout)

        // A cached stage says so; status and explain print no digest anywhere.
        let cached = try s.run("explain", "p.yaml", "a")
        XCTAssertTrue(cached.stdout.contains("a: cached"), cached.stdout)
        let status = try s.run("status", "p.yaml", "-p", "n=2")
        XCTAssertTrue(status.stdout.contains("input 's' changed: upstream stage 'a'"), status.stdout)
        for out in [param, up, gathered, file, cached, status] {
            XCTAssertNil(digest(in: out.stdout + out.stderr), out.stdout)
        }
    }

    /// Every command's --help (each subcommand, found from its parent's SUBCOMMANDS list) keeps
    /// its lines within 100 columns and wraps cleanly at ArgumentParser's 80: no prose line cut
    /// short by a hard line break in mid-sentence, no example command wrapped onto the next line.
    func testHelpTextFitsAndWrapsCleanly() throws {
        let s = try Sandbox("help")
        var queue: [[String]] = [[]], seen = 0
        func firstWord(_ line: Substring) -> Int { line.split(separator: " ").first?.count ?? 0 }
        while let args = queue.popLast() {
            let h = try s.run(args + ["--help"])
            XCTAssertEqual(h.code, 0, "\(args): \(h.stderr)")
            seen += 1
            let command = "madpipe " + args.joined(separator: " ") + " --help"
            let lines = h.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            var inSubcommands = false
            for (i, line) in lines.enumerated() {
                if line.count > 100 { XCTFail("\(command): \(line.count) columns: \(line)") }
                let next = i + 1 < lines.count ? lines[i + 1] : ""
                if !line.isEmpty, !next.isEmpty, !line.hasPrefix(" "), !next.hasPrefix(" "),
                   !".:!?".contains(line.last!), next.first!.isLowercase, line.count + 1 + firstWord(next) <= 76 {
                    XCTFail("\(command): a hard line break in mid-sentence: '\(line)' / '\(next)'")
                }
                if line.hasPrefix("  "), !next.isEmpty, !next.hasPrefix(" "), line.count + 1 + firstWord(next) > 80 {
                    XCTFail("\(command): an example wrapped onto the next line: '\(line)' / '\(next)'")
                }
                if line.hasPrefix("SUBCOMMANDS:") { inSubcommands = true; continue }
                if inSubcommands, line.hasPrefix("  "), !line.dropFirst(2).hasPrefix(" ") {
                    let name = line.dropFirst(2).prefix { $0 != " " }
                    if !name.isEmpty, name != "help" { queue.append(args + [String(name)]) }
                } else if inSubcommands, !line.hasPrefix(" ") {
                    inSubcommands = false
                }
            }
        }
        XCTAssertGreaterThanOrEqual(seen, 12, "madpipe and its commands")
    }
}
