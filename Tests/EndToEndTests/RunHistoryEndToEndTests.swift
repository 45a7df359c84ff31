// RunHistoryEndToEndTests: partial results under -k (published outputs, a gather on the instances
// that succeeded with missing.csv), logs kept for every execution (`madpipe log`, -f, the live
// display's last output line), run manifests (`runs`, `compare`, `publish RUN`), matrix overrides
// (-m) and the cache found from the project root rather than the current directory.
import Foundation
import XCTest

final class RunHistoryEndToEndTests: XCTestCase {
    /// Three seeds of a command, seed 1 failing, gathered by `concat`.
    static let failingSweep = """
    pipeline: demo
    matrix:
      seed: [0, 1, 2]
    stages:
      data:
        kind: command
        over: [seed]
        run: "echo output of ${seed}; test ${seed} != 1 && echo v,${seed} > m.csv"
        outs: [m.csv]
      all:
        kind: concat
        inputs: {rows: data}
        params: {file: m.csv}
    outputs:
      all: all
      d0: "data[seed=0]"
      d1: "data[seed=1]"
    """

    func testKeepGoingPublishesWhatSucceededAndGathersThePartialSweep() throws {
        let s = try Sandbox("partial")
        try s.write("p.yaml", Self.failingSweep)
        let r = try s.run("run", "p.yaml", "-k", "--json")
        XCTAssertEqual(r.code, 1, "a failure still fails the run: " + r.stderr)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout)
        XCTAssertEqual(summary["failed"] as? Int, 1)
        XCTAssertEqual(summary["executed"] as? Int, 3, "data[seed=0], data[seed=2] and the partial gather")
        XCTAssertEqual(s.read("results/demo/d0/m.csv"), "v,0\n", "an output whose producer succeeded is published")
        XCTAssertNil(s.read("results/demo/d1/m.csv"))
        XCTAssertEqual(summary["unpublished"] as? [String], ["d1"])
        XCTAssertEqual(s.lines("results/demo/all/m.csv"), ["v,0", "v,2"], "the gather ran on the seeds that succeeded")
        let missing = s.lines("results/demo/all/missing.csv")
        XCTAssertEqual(missing.first, "stage,reason")
        XCTAssertEqual(missing.count, 2, "\(missing)")
        XCTAssertTrue(missing.last?.hasPrefix("data[seed=1],failed: command exited with status 1") == true, "\(missing)")
        let partial = try XCTUnwrap(summary["partial"] as? [[String: Any]])
        XCTAssertEqual(partial.first?["id"] as? String, "all")
        // Every execution's log is kept: the failure's, and the successes'.
        let failed = try s.run("log", "data[seed=1]")
        XCTAssertEqual(failed.code, 0, failed.stderr)
        XCTAssertTrue(failed.stdout.contains("output of 1"), failed.stdout)
        let ok = try s.run("log", "data[seed=2]")
        XCTAssertTrue(ok.stdout.contains("output of 2"), ok.stdout + ok.stderr)
        let unknown = try s.run("log", "data[seed=7]")
        XCTAssertEqual(unknown.code, 1)
        XCTAssertTrue(unknown.stderr.contains("no execution of stage 'data[seed=7]'"), unknown.stderr)
    }

    func testFailedBuiltinStageKeepsItsErrorInItsLog() throws {
        let s = try Sandbox("builtin-log")
        try s.write("p.yaml", """
        pipeline: q
        stages:
          m:
            kind: write
            params: {file: m.json, text: '{"x": 1}'}
          t:
            kind: table
            inputs: {m: m}
            params: {source: nope.json, file: q.csv}
        """)
        let r = try s.run("run", "p.yaml")
        XCTAssertEqual(r.code, 1)
        let logs = try FileManager.default.contentsOfDirectory(atPath: s.dir + "/cache/logs").filter { $0.hasSuffix(".log") }
        XCTAssertEqual(logs.count, 1)
        let text = try XCTUnwrap(s.read("cache/logs/" + logs[0]))
        XCTAssertTrue(text.contains("nope.json"), "the failed stage's log holds its error, not 0 bytes: '\(text)'")
        let shown = try s.run("log", "t")
        XCTAssertTrue(shown.stdout.contains("has no 'nope.json'"), shown.stdout + shown.stderr)
        XCTAssertTrue(shown.stderr.contains("failed"), shown.stderr)
    }

    func testLogFollowsARunningStageAndTheLiveDisplayShowsItsLastLine() throws {
        let s = try Sandbox("follow")
        try s.write("p.yaml", """
        pipeline: f
        stages:
          slow:
            kind: command
            run: "echo first-marker; sleep 2; echo second-marker; touch done"
            outs: [done]
        """)
        // Under a pseudo-terminal (script(1)) the display is live.
        let script = Process()
        script.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        script.arguments = ["-qfec", "\(Sandbox.binary) run p.yaml", "/dev/null"]
        script.currentDirectoryURL = URL(fileURLWithPath: s.dir)
        var env = ProcessInfo.processInfo.environment
        env["MADPIPE_CACHE"] = s.dir + "/cache"
        env["TERM"] = "xterm"
        script.environment = env
        let out = Pipe()
        script.standardOutput = out
        script.standardError = out
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { throw XCTSkip("script(1) is not installed") }
        try script.run()
        // Wait until the stage is running, then follow it to its end.
        var running = false
        for _ in 0..<100 where !running {
            usleep(50_000)
            let l = try s.run("log", "slow")
            running = l.code == 0 && l.stderr.contains("running")
        }
        XCTAssertTrue(running, "`madpipe log` sees the running stage")
        let followed = try s.run("log", "slow", "-f")
        XCTAssertEqual(followed.code, 0, followed.stderr)
        XCTAssertTrue(followed.stdout.contains("first-marker\n") && followed.stdout.contains("second-marker\n"), followed.stdout)
        XCTAssertTrue(followed.stderr.contains("succeeded"), followed.stderr)
        let terminal = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        script.waitUntilExit()
        XCTAssertEqual(script.terminationStatus, 0, terminal)
        XCTAssertTrue(terminal.contains("> first-marker"), "the live block shows the command's last output line: \(terminal)")
    }

    static let seedTable = """
    pipeline: seeds
    matrix:
      seed: [0, 1]
      task: [add, sub]
    stages:
      metric:
        kind: write
        over: [seed, task]
        params: {file: m.json, text: '{"acc": 1${seed}, "n": 5}'}
      t:
        kind: table
        inputs: {m: metric}
        params: {source: m.json, file: t.csv}
    outputs:
      t.csv: t/t.csv
    """

    func runId(_ r: CLIResult) throws -> String {
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout + r.stderr)
        return try XCTUnwrap(summary["run"] as? String, r.stdout)
    }

    func testMatrixOverridesRunHistoryCompareAndPublish() throws {
        let s = try Sandbox("history")
        try s.write("p.yaml", Self.seedTable)
        let a = try s.run("run", "p.yaml", "-m", "seed=0", "--json")
        XCTAssertEqual(a.code, 0, a.stderr)
        let idA = try runId(a)
        let tableA = s.read("results/seeds/t.csv") ?? ""
        XCTAssertTrue(tableA.contains("10") && !tableA.contains("11"), "-m seed=0 runs seed 0 only: \(tableA)")
        let b = try s.run("run", "p.yaml", "-m", "seed=1", "--json")
        XCTAssertEqual(b.code, 0, b.stderr)
        let idB = try runId(b)
        XCTAssertNotEqual(idA, idB)
        XCTAssertTrue((s.read("results/seeds/t.csv") ?? "").contains("11"))

        let manifest = try XCTUnwrap(JSONSerialization.jsonObject(with: Data((s.read("cache/runs/\(idA).json") ?? "").utf8)) as? [String: Any])
        XCTAssertEqual(manifest["matrix"] as? [String], ["seed=0"])
        XCTAssertEqual(manifest["status"] as? String, "succeeded")
        XCTAssertEqual((manifest["stages"] as? [Any])?.count, 3)
        XCTAssertEqual((manifest["digest"] as? String)?.count, 64)

        let runs = try s.run("runs")
        XCTAssertEqual(runs.code, 0, runs.stderr)
        XCTAssertTrue(runs.stdout.contains(idA) && runs.stdout.contains(idB) && runs.stdout.contains("-m seed=1"), runs.stdout)

        let c = try s.run("compare", idA, idB)
        XCTAssertEqual(c.code, 0, c.stderr)
        XCTAssertTrue(c.stdout.contains("matched on task"), c.stdout)
        let rows = c.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        let add = try XCTUnwrap(rows.first { $0.contains("add") }, c.stdout)
        XCTAssertEqual(add.first, "*", "a changed row is marked: \(add)")
        XCTAssertTrue(add.contains("10") && add.contains("11") && add.contains("+1"), "acc of seed 0 beside seed 1 with the difference: \(add)")
        XCTAssertNotNil(rows.first { $0.contains("sub") && $0.contains("10") && $0.contains("11") }, c.stdout)

        // Both seeds against one: task alone no longer tells rows apart, so the seed joins the key.
        let both = try s.run("run", "p.yaml", "--json")
        let c2 = try s.run("compare", try runId(both), idB)
        XCTAssertTrue(c2.stdout.contains("matched on seed, task; 0 differ, 2 in one run only"), c2.stdout)
        XCTAssertTrue(c2.stdout.split(separator: "\n").contains { $0.hasPrefix("-  0     add   10") }, c2.stdout)

        let before = s.recordCount
        XCTAssertEqual(before, 5, "per run: the two tasks' metric (one key) and the table; the third run adds a table")
        let p = try s.run("publish", idA)
        XCTAssertEqual(p.code, 0, p.stderr)
        XCTAssertEqual(s.read("results/seeds/t.csv"), tableA, "publish RUN restores run A's table from the cache")
        XCTAssertEqual(s.recordCount, before, "nothing was computed")
    }

    /// gc removes the manifests of runs whose published results it deleted (they could be neither
    /// published nor compared) and the log index entries of removed keys; the current run stays.
    func testGCPrunesRunsWhoseResultsItRemoved() throws {
        let s = try Sandbox("history-gc")
        try s.write("p.yaml", Self.seedTable)
        let a = try s.run("run", "p.yaml", "-m", "seed=0", "--json")
        let idA = try runId(a)
        let both = try s.run("run", "p.yaml", "--json")
        let idBoth = try runId(both)
        let lastlogBefore = (try? FileManager.default.contentsOfDirectory(atPath: s.dir + "/cache/lastlog"))?.count ?? 0
        let gc = try s.run("cache", "gc", "p.yaml")
        XCTAssertEqual(gc.code, 0, gc.stderr)
        XCTAssertTrue(gc.stdout.contains("1 run manifest(s)"), gc.stdout)
        XCTAssertNil(s.read("cache/runs/\(idA).json"), "run A's table object is gone, so is its manifest")
        XCTAssertNotNil(s.read("cache/runs/\(idBoth).json"))
        let runs = try s.run("runs")
        XCTAssertFalse(runs.stdout.contains(idA), runs.stdout)
        XCTAssertTrue(runs.stdout.contains(idBoth), runs.stdout)
        XCTAssertEqual(try s.run("publish", idBoth).code, 0)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: s.dir + "/cache/lastlog")) ?? [] {
            let entry = try XCTUnwrap(JSONSerialization.jsonObject(with: Data((s.read("cache/lastlog/" + name) ?? "").utf8)) as? [String: Any])
            let key = try XCTUnwrap(entry["key"] as? String)
            XCTAssertNotNil(s.read("cache/stages/\(key).json"), "a log index entry names a kept record: \(entry)")
        }
        XCTAssertGreaterThan(lastlogBefore, 0)
        XCTAssertEqual(try s.run("cache", "verify").code, 0)
    }

    func testUnknownMatrixAxisIsAUsageErrorWithASuggestion() throws {
        let s = try Sandbox("matrix-override")
        try s.write("p.yaml", Self.seedTable)
        for command in ["run", "status", "validate", "dag"] {
            let r = try s.run(command, "p.yaml", "-m", "sede=0")
            XCTAssertEqual(r.code, 2, command + ": " + r.stderr)
            XCTAssertTrue(r.stderr.contains("did you mean 'seed'"), command + ": " + r.stderr)
        }
        let dag = try s.run("dag", "p.yaml", "-m", "task=sub")
        XCTAssertEqual(dag.code, 0, dag.stderr)
        XCTAssertTrue(dag.stdout.contains("task=sub") && !dag.stdout.contains("task=add"), dag.stdout)
    }

    func testCacheIsFoundFromTheProjectNotTheCurrentDirectory() throws {
        let s = try Sandbox("project-root")
        try s.write("sub/p.yaml", """
        pipeline: rooted
        stages:
          m:
            kind: write
            params: {file: m.txt, text: hi}
        outputs:
          m.txt: m/m.txt
        """)
        func run(_ args: [String], in dir: String) throws -> CLIResult {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Sandbox.binary)
            p.arguments = args
            p.currentDirectoryURL = URL(fileURLWithPath: dir)
            var env = ProcessInfo.processInfo.environment
            env["MADPIPE_CACHE"] = nil
            p.environment = env
            let out = Pipe(), err = Pipe()
            p.standardOutput = out
            p.standardError = err
            try p.run()
            let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return CLIResult(code: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
        }
        let r = try run(["run", "p.yaml"], in: s.dir + "/sub")
        XCTAssertEqual(r.code, 0, r.stderr)
        let status = try run(["status", "sub/p.yaml"], in: s.dir)
        XCTAssertEqual(status.code, 0, status.stderr)
        XCTAssertTrue(status.stdout.contains("1 of 1 cached"), "the same cache from the parent directory: \(status.stdout)")
        let explain = try run(["explain", "sub/p.yaml", "m"], in: s.dir)
        XCTAssertTrue(explain.stdout.contains("m: cached"), explain.stdout + explain.stderr)
        XCTAssertEqual(s.read("sub/results/rooted/m.txt"), "hi\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: s.dir + "/cache"), "no second cache in the current directory")
        // A marker above the pipeline makes that directory the project root, from anywhere.
        try s.write("other/madpipe.yaml", "")
        try s.write("other/pipelines/p.yaml", s.read("sub/p.yaml")!)
        try FileManager.default.createDirectory(atPath: s.dir + "/elsewhere", withIntermediateDirectories: true)
        let marked = try run(["run", s.dir + "/other/pipelines/p.yaml"], in: s.dir + "/elsewhere")
        XCTAssertEqual(marked.code, 0, marked.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: s.dir + "/other/cache/stages"), "cache/ beside madpipe.yaml")
        XCTAssertEqual(s.read("other/results/rooted/m.txt"), "hi\n")
    }

    /// The check: the 2-seed x 3-detector sweep run with -m seed=0 and with -m seed=1;
    /// compare lines up auroc.csv and best-layer.csv on detector, layer and subset.
    func testCompareLinesUpTwoSeedsOfADetectorSweep() throws {
        let s = try Sandbox("compare-sweep")
        try DetectorPipelineTests.writeActivations(to: s.dir + "/acts")
        try s.write("p.yaml", SweepProvenanceEndToEndTests.pipeline)
        let a = try s.run("run", "p.yaml", "-m", "seed=0", "--json")
        XCTAssertEqual(a.code, 0, a.stderr)
        let b = try s.run("run", "p.yaml", "-m", "seed=1", "--json")
        XCTAssertEqual(b.code, 0, b.stderr)
        let c = try s.run("compare", try runId(a), try runId(b), "--table", "eval/")
        XCTAssertEqual(c.code, 0, c.stderr)
        XCTAssertTrue(c.stdout.contains("eval/auroc.csv: 36 row(s), matched on model, dataset, detector, layer, subset; "), c.stdout)
        XCTAssertTrue(c.stdout.contains("eval/best-layer.csv: 3 row(s), matched on model, dataset, detector; "), c.stdout)
        XCTAssertEqual(c.stdout.components(separatedBy: ", 0 in one run only").count, 3, "every row of both tables has its partner: \(c.stdout)")
        let rows = c.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        XCTAssertNotNil(rows.first { $0.contains("flow-prior") && $0.contains("aggregate") && $0.contains("all") }, c.stdout)
    }

    func testAnInterruptedRunIsRecorded() throws {
        let s = try Sandbox("interrupted")
        try s.write("p.yaml", """
        pipeline: int
        stages:
          slow:
            kind: command
            run: "echo started; sleep 30; touch x"
            outs: [x]
        """)
        let (p, out, _) = s.process(["run", "p.yaml", "--json"])
        try p.run()
        var running = false
        for _ in 0..<100 where !running {
            usleep(50_000)
            running = (try? s.run("log", "slow"))?.stderr.contains("running") == true
        }
        XCTAssertTrue(running)
        p.interrupt()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 130)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: o) as? [String: Any])
        let id = try XCTUnwrap(summary["run"] as? String)
        let manifest = try XCTUnwrap(JSONSerialization.jsonObject(with: Data((s.read("cache/runs/\(id).json") ?? "").utf8)) as? [String: Any])
        XCTAssertEqual(manifest["status"] as? String, "interrupted")
        let log = try s.run("log", "slow")
        XCTAssertTrue(log.stdout.contains("started") && log.stderr.contains("interrupted"), log.stdout + log.stderr)
    }

    /// evaluate gathers the scores of two activation sources; one source is broken, so its fit and
    /// score are skipped: under -k evaluate still tables the other, and missing.csv says why.
    func testEvaluateRunsOnTheScoresThatSucceeded() throws {
        let s = try Sandbox("partial-eval")
        try DetectorPipelineTests.writeActivations(to: s.dir + "/good")
        try s.write("bad/README", "not activations")
        try s.write("p.yaml", """
        pipeline: pe
        matrix:
          src: [good, bad]
        stages:
          acts:
            kind: load-activations
            over: [src]
            params: {path: "${src}"}
          fit:
            kind: fit-detector
            over: [src]
            inputs: {activations: acts}
            params: {detector: mahalanobis}
          score:
            kind: score
            over: [src]
            inputs: {detector: fit, activations: acts}
          eval:
            kind: evaluate
            inputs: {scores: score}
            params: {resamples: 10}
        outputs:
          eval: eval
        """)
        let r = try s.run("run", "p.yaml", "-k")
        XCTAssertEqual(r.code, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("partial  eval ran without 1 input(s)"), r.stderr)
        let auroc = DetectorPipelineTests.table(s.read("results/pe/eval/auroc.csv"))
        XCTAssertFalse(auroc.rows.isEmpty, "auroc.csv of the good source is published")
        let missing = s.lines("results/pe/eval/missing.csv")
        XCTAssertEqual(missing.count, 2, "\(missing)")
        XCTAssertTrue(missing.last?.hasPrefix("score[src=bad],\"skipped: needs acts[src=bad], which failed: ") == true, "\(missing)")
    }
}
