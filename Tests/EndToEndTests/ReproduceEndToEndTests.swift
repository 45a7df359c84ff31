// ReproduceEndToEndTests: the madpipe binary: `--version` names the commit; a run's records and
// manifest carry the code and numeric environment; `reproduce` of an exported bundle (a dataset, command stages,
// a table and a tiny pretraining) re-runs it from an empty cache or from a stage and matches
// exactly; a bundle whose published table its pipeline no longer makes (an undeclared input
// changed) is a mismatch naming file, row and column unless a tolerance covers it; bundles in a
// newer record or bundle format are refused naming the format.

import BuildInfo
import Executors
import Foundation
import XCTest

final class ReproduceEndToEndTests: XCTestCase {
    /// A quirky dataset, a command counting its rows per split, a table of them, a command reading
    /// `extra` (an undeclared input: outside the pipeline's deps) and a tiny pretraining.
    func pipeline(extra: String) -> String {
        """
        pipeline: repro
        matrix:
          split: [trusted, test]
        stages:
          data:
            kind: quirky-dataset
            params: {task: addition, examples: 300, seed: 1, test_cap: 24, template: short}
          count:
            kind: command
            over: [split]
            inputs: {d: data}
            run: "n=$$(cat ${inputs.d}/${split}.jsonl | wc -l); printf 'split,rows,value\\n${split},%s,%s\\n' $$n $$(cat \(extra)) > count.csv"
            outs: [count.csv]
          table:
            kind: concat
            inputs: {c: count}
            params: {source: count.csv, file: table.csv, header: true}
          pt:
            kind: pretrain
            params: {family: llama, d_model: 16, layers: 1, heads: 2, d_ff: 32, max_seq: 32, examples: 400, batch: 4, steps: 40, lr: 0.01}
          report:
            kind: report
            params: {title: repro}
        outputs:
          table.csv: table/table.csv
          history.csv: pt/history.csv
          checkpoint: pt/checkpoint
          report: report
        """
    }

    func exported(_ s: Sandbox, extra: String = "0.5") throws -> String {
        try s.write("extra.txt", extra + "\n")
        try s.write("proj/p.yaml", pipeline(extra: s.dir + "/extra.txt"))
        let run = try s.run("run", "proj/p.yaml", "-q")
        XCTAssertEqual(run.code, 0, run.stderr)
        let export = try s.run("bundle", "export", "proj/p.yaml", "-o", "b.tar.zst")
        XCTAssertEqual(export.code, 0, export.stderr)
        return s.dir + "/b.tar.zst"
    }

    func testVersionNamesTheCommit() throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        try XCTSkipUnless(FileManager.default.fileExists(atPath: repo + "/.git"), "built outside a git checkout: the commit is unknown")
        let s = try Sandbox("version")
        let r = try s.run("--version")
        XCTAssertEqual(r.code, 0, r.stderr)
        let line = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertNotNil(line.range(of: #"^\d+\.\d+\.\d+ \(commit [0-9a-f]{40}, (clean|dirty)\)$"#, options: .regularExpression), line)
    }

    func testReproduceMatchesExactlyFromScratchAndFromAStage() throws {
        let s = try Sandbox("repro")
        let bundle = try exported(s)
        // Every record names the code and the numeric environment it ran with.
        let records = try s.records()
        XCTAssertEqual(records.count, 6)
        for r in records {
            XCTAssertEqual(r["format"] as? Int, 2)
            let env = try XCTUnwrap(r["environment"] as? [String: String], "\(r["stage"] ?? "?")")
            for k in ["version", "commit", "dirty", "blas", "blasCore", "blasThreads", "cpu", "os", "swift"] { XCTAssertNotNil(env[k], k) }
            XCTAssertTrue(env["os"]!.hasPrefix("Linux"), env["os"]!)
        }

        // So does the run's manifest.
        let runs = try FileManager.default.contentsOfDirectory(atPath: s.dir + "/cache/runs").filter { $0.hasSuffix(".json") }
        XCTAssertEqual(runs.count, 1)
        let run = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: s.dir + "/cache/runs/" + runs[0]))) as? [String: Any])
        let runEnv = try XCTUnwrap(run["environment"] as? [String: String])
        XCTAssertEqual(runEnv.keys.sorted(), ["blas", "blasCore", "blasThreads", "commit", "cpu", "dirty", "os", "swift", "version"])

        let full = try s.run("reproduce", bundle, "--dir", "r1")
        XCTAssertEqual(full.code, 0, full.stdout + full.stderr)
        XCTAssertTrue(full.stdout.contains("re-run: 6 stage instance(s) computed, 0 reused"), full.stdout)
        for f in ["table.csv", "history.csv", "checkpoint/", "report/report/index.html"] { XCTAssertTrue(full.stdout.contains("ok       \(f)"), full.stdout) }
        XCTAssertTrue(full.stdout.contains("reproduced: all "), full.stdout)
        let report = try XCTUnwrap(s.read("r1/reproduce-report.txt"))
        XCTAssertTrue(report.contains("ok       table.csv: identical"), report)
        XCTAssertEqual(s.read("r1/results/repro/table.csv"), s.read("results/repro/table.csv"))
        XCTAssertEqual(s.read("r1/bundle/repro/table.csv"), s.read("results/repro/table.csv"))

        let partial = try s.run("reproduce", bundle, "--dir", "r2", "--from", "count")
        XCTAssertEqual(partial.code, 0, partial.stdout + partial.stderr)
        XCTAssertTrue(partial.stdout.contains("re-run: 3 stage instance(s) computed, 3 reused from the bundle"), partial.stdout)

        // The scratch directory must be new.
        XCTAssertEqual(try s.run("reproduce", bundle, "--dir", "r2").code, 2)
    }

    /// A stage's bytes do not follow `--jobs`: every stage runs BLAS on one thread (the key names
    /// no thread count), so a `--jobs 1` run trains the same model as a `--jobs 2` run. Before,
    /// `--jobs 1` gave BLAS every core, whose sums differ (docs/bundles.md).
    func testJobsDoNotChangeAStagesBytes() throws {
        try XCTSkipIf(ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] != nil,
                      "OPENBLAS_NUM_THREADS is set, so it, not madpipe, picks the thread count")
        let s = try Sandbox("repro-jobs")
        // Shapes large enough for OpenBLAS to split its sgemms among threads when it may.
        try s.write("p.yaml", """
            pipeline: jobs
            stages:
              pt:
                kind: pretrain
                params: {family: llama, d_model: 64, layers: 2, heads: 4, d_ff: 256, max_seq: 48, examples: 3000, batch: 32, steps: 20, lr: 0.003}
            """)
        var outputs: [String] = []
        for jobs in ["1", "2"] {
            let r = try s.run("run", "p.yaml", "-q", "--jobs", jobs, "--cache", "c" + jobs)
            XCTAssertEqual(r.code, 0, r.stderr)
            let records = try s.records(cache: "c" + jobs)
            XCTAssertEqual(records.count, 1)
            let record = try XCTUnwrap(records.first)
            XCTAssertEqual((record["environment"] as? [String: String])?["blasThreads"], "1", "--jobs \(jobs)")
            outputs.append(try XCTUnwrap(record["output"] as? String))
        }
        XCTAssertEqual(outputs[0], outputs[1], "the same key stored different bytes under --jobs 1 and --jobs 2")
    }

    func testAChangedResultIsAMismatchNamingFileRowAndColumn() throws {
        let s = try Sandbox("repro-mismatch")
        let bundle = try exported(s)
        // The pipeline now makes another value: its command reads a file it does not declare.
        try s.write("extra.txt", "0.5000001\n")
        let r = try s.run("reproduce", bundle, "--dir", "r1")
        XCTAssertEqual(r.code, 1, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("MISMATCH table.csv"), r.stdout)
        XCTAssertTrue(r.stdout.contains("table.csv row 1, column value: bundle 0.5, re-run 0.5000001"), r.stdout)
        XCTAssertTrue(r.stdout.contains("table.csv row 2, column value: bundle 0.5, re-run 0.5000001"), r.stdout)
        XCTAssertTrue(r.stdout.contains("ok       history.csv: identical"), r.stdout)
        XCTAssertTrue(r.stdout.contains("NOT reproduced: 1 of "), r.stdout)
        XCTAssertTrue(try XCTUnwrap(s.read("r1/reproduce-report.txt")).contains("MISMATCH table.csv"))

        // A tolerance for that column accepts it, and says how large the difference was.
        let tolerant = try s.run("reproduce", bundle, "--dir", "r2", "--tolerance", "table.csv:value=1e-6")
        XCTAssertEqual(tolerant.code, 0, tolerant.stdout + tolerant.stderr)
        XCTAssertTrue(tolerant.stdout.contains("ok       table.csv: within tolerance"), tolerant.stdout)
        XCTAssertTrue(tolerant.stdout.contains("largest difference row 1, column value"), tolerant.stdout)
        // A tolerance for another column does not.
        XCTAssertEqual(try s.run("reproduce", bundle, "--dir", "r3", "--tolerance", "rows=1").code, 1)
        XCTAssertEqual(try s.run("reproduce", bundle, "--dir", "r4", "--tolerance", "value=-1").code, 2)
    }

    /// The bundle with MANIFEST.json rewritten by `edit`, repacked with tar in the manifest's order.
    /// (The text is edited, not re-encoded, so the records' key parts keep their exact spelling.)
    func repacked(_ s: Sandbox, _ bundle: String, _ name: String, edit: (String) -> String) throws -> String {
        let dir = s.dir + "/unpack-" + name
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        XCTAssertEqual(try shell(["tar", "--zstd", "-xf", bundle, "-C", dir]), 0)
        let text = try String(contentsOfFile: dir + "/MANIFEST.json", encoding: .utf8)
        try edit(text).write(toFile: dir + "/MANIFEST.json", atomically: true, encoding: .utf8)
        let m = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let entries = (m["entries"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
        let out = s.dir + "/" + name
        XCTAssertEqual(try shell(["tar", "--zstd", "-cf", out, "-C", dir, "MANIFEST.json"] + entries), 0)
        return out
    }

    func shell(_ args: [String]) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }

    func testNewerFormatsAreRefusedNamingTheVersion() throws {
        let s = try Sandbox("repro-format")
        let bundle = try exported(s)
        let same = try repacked(s, bundle, "same.tar.zst") { $0 }
        XCTAssertEqual(try s.run("bundle", "verify", same).code, 0, "the repacking itself is accepted")

        let newerRecord = try repacked(s, bundle, "record.tar.zst") { text in
            let r = try! XCTUnwrap(text.range(of: "\"format\": 2,", range: text.range(of: "\"records\"")!.upperBound..<text.endIndex))
            return text.replacingCharacters(in: r, with: "\"format\": 3,")
        }
        let r = try s.run("reproduce", newerRecord, "--dir", "r1")
        XCTAssertEqual(r.code, 1, r.stdout)
        XCTAssertTrue(r.stderr.contains("record format 3"), r.stderr)
        XCTAssertTrue(r.stderr.contains("needs a newer madpipe"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: s.dir + "/r1"), "nothing was run or left behind")

        let newerBundle = try repacked(s, bundle, "bundle.tar.zst") { $0.replacingOccurrences(of: "\"formatVersion\": 2", with: "\"formatVersion\": 3") }
        let b = try s.run("reproduce", newerBundle, "--dir", "r2")
        XCTAssertEqual(b.code, 1, b.stdout)
        XCTAssertTrue(b.stderr.contains("unknown bundle format version 3"), b.stderr)
    }

    func testAReportFromAnotherBuildDiffersOnlyInItsBuildLine() throws {
        let s = try Sandbox("repro-report")
        try s.write("p.yaml", "pipeline: rep\nstages:\n  report:\n    kind: report\n    params: {title: t}\noutputs:\n  report: report\n")
        XCTAssertEqual(try s.run("run", "p.yaml", "-q").code, 0)
        let html = try XCTUnwrap(s.read("results/rep/report/report/index.html"))
        let footer = try XCTUnwrap(html.components(separatedBy: "\n").first { $0.contains(ResultComparison.buildLineMarker) })
        XCTAssertTrue(footer.contains("madpipe \(BuildInfo.version) (commit \(BuildInfo.commit), "), footer)
        for field in ["blas ", "blasCore ", "blasThreads ", "cpu ", "os Linux", "swift "] { XCTAssertTrue(footer.contains(field), footer) }

        // The same report from another commit matches, noting the build; any other change does not.
        try FileManager.default.copyItem(atPath: s.dir + "/results/rep", toPath: s.dir + "/other")
        try s.write("other/report/report/index.html", html.replacingOccurrences(of: BuildInfo.commit, with: String(repeating: "0", count: 40)))
        let same = ResultComparison.compare(expected: s.dir + "/results/rep", found: s.dir + "/other", tolerances: ToleranceRules())
        XCTAssertEqual(same.map(\.state), [.withinTolerance, .identical], "\(same)")
        XCTAssertTrue(same[0].detail.contains("differs only in the line naming the madpipe build"), same[0].detail)
        try s.write("other/report/report/index.html", html.replacingOccurrences(of: "<h1>", with: "<h1>x"))
        let changed = ResultComparison.compare(expected: s.dir + "/results/rep", found: s.dir + "/other", tolerances: ToleranceRules())
        XCTAssertEqual(changed.map(\.state), [.differs, .identical])
    }
}
