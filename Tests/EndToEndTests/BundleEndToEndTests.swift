// BundleEndToEndTests: the madpipe binary: run a pipeline of command stages, export a bundle,
// import it into a fresh cache and project directory, run again -> zero stages executed and the
// same published outputs; exporting twice gives identical bytes; verify, inspect and refusals,
// including a bundle rewritten to escape --pipeline-dir and a second bundle appended to the file.

import Foundation
import Bundles
import PipelineStore
import XCTest

final class BundleEndToEndTests: XCTestCase {
    /// Two detectors scored on a dependency file, gathered into a results table. Each command logs
    /// its execution to `runs.txt` in the first sandbox, so re-executions would be visible.
    func pipeline(_ log: String) -> String {
        """
        pipeline: shared
        vars: {offset: 3}
        matrix:
          detector: [maha, sae]
        stages:
          data:
            kind: command
            deps: {input: data/input.txt}
            run: "sort ${deps.input} > rows.txt && echo data >> \(log)"
            outs: [rows.txt]
          score:
            kind: command
            over: [detector]
            inputs: {rows: data}
            run: "n=$$(wc -l < ${inputs.rows}/rows.txt); [ ${detector} = sae ] && m=${offset} || m=7; echo ${detector},0.$$m$$n > score.csv && echo score-${detector} >> \(log)"
            outs: [score.csv]
          table:
            kind: concat
            inputs: {s: score}
            params: {source: score.csv, file: auroc.csv}
        outputs:
          auroc.csv: table/auroc.csv
        """
    }

    func testExportImportRunIsANoOpAndExportIsReproducible() throws {
        let a = try Sandbox("bundle-a")
        try a.write("proj/data/input.txt", "b\na\nc\n")
        try a.write("proj/p.yaml", pipeline(a.dir + "/runs.txt"))
        let (first, c1) = try a.runJSON(["proj/p.yaml"])
        XCTAssertEqual(first.code, 0, first.stderr)
        XCTAssertEqual(c1["executed"], 4)
        let published = try XCTUnwrap(a.read("results/shared/auroc.csv"))
        XCTAssertEqual(published, "maha,0.73\nsae,0.33\n")

        let e1 = try a.run("bundle", "export", "proj/p.yaml", "-o", "one.tar.zst", "--note", "for the paper")
        XCTAssertEqual(e1.code, 0, e1.stderr)
        let e2 = try a.run("bundle", "export", "proj/p.yaml", "-o", "two.tar.zst", "--note", "for the paper")
        XCTAssertEqual(e2.code, 0, e2.stderr)
        let one = try XCTUnwrap(FileManager.default.contents(atPath: a.dir + "/one.tar.zst"))
        XCTAssertEqual(one, FileManager.default.contents(atPath: a.dir + "/two.tar.zst"), "export twice -> identical bytes")
        XCTAssertEqual(String(e1.stdout.prefix(64)), String(e2.stdout.prefix(64)))
        XCTAssertTrue(e1.stdout.hasSuffix("  one.tar.zst\n"), e1.stdout)

        let verify = try a.run("bundle", "verify", "one.tar.zst")
        XCTAssertEqual(verify.code, 0, verify.stderr)
        XCTAssertTrue(verify.stdout.hasPrefix("ok:"), verify.stdout)

        let inspect = try a.run("bundle", "inspect", "one.tar.zst", "--json")
        XCTAssertEqual(inspect.code, 0, inspect.stderr)
        let info = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(info["pipeline"] as? String, "shared")
        XCTAssertEqual(info["note"] as? String, "for the paper")
        XCTAssertEqual((info["stages"] as? [Any])?.count, 4)
        let metrics = try XCTUnwrap((info["metrics"] as? [String: Any])?["auroc.csv"] as? [String: Any])
        XCTAssertNotNil(metrics["rows"])
        let provenance = try XCTUnwrap(info["provenance"] as? [String: Any])
        for k in ["engine", "created", "os", "cpu", "blasCore", "swift", "commit"] { XCTAssertNotNil(provenance[k], k) }
        XCTAssertTrue((provenance["os"] as? String ?? "").hasPrefix("Linux"))

        // A colleague: fresh cache, fresh directory.
        let b = try Sandbox("bundle-b")
        let imp = try b.run("bundle", "import", a.dir + "/one.tar.zst", "--pipeline-dir", "proj")
        XCTAssertEqual(imp.code, 0, imp.stderr)
        XCTAssertEqual(b.read("proj/p.yaml"), a.read("proj/p.yaml"))
        XCTAssertEqual(b.read("proj/data/input.txt"), "b\na\nc\n", "the dependency file came along")
        XCTAssertEqual(b.read("proj/results/shared/auroc.csv"), published)
        let status = try b.run("status", "proj/p.yaml")
        XCTAssertTrue(status.stdout.contains("4 of 4 cached"), status.stdout)
        let (rerun, c2) = try b.runJSON(["proj/p.yaml"])
        XCTAssertEqual(rerun.code, 0, rerun.stderr)
        XCTAssertEqual(c2["executed"], 0, "run after import executes nothing")
        XCTAssertEqual(c2["cached"], 4)
        XCTAssertEqual(b.read("results/shared/auroc.csv"), published, "identical published outputs")
        XCTAssertEqual(a.lines("runs.txt").count, 3, "no command ran again")
        XCTAssertEqual(try b.run("cache", "verify").code, 0)

        // Re-exporting from the colleague's cache gives the same bytes (same results, same machine).
        let e3 = try b.run("bundle", "export", "proj/p.yaml", "-o", "three.tar.zst", "--note", "for the paper")
        XCTAssertEqual(e3.code, 0, e3.stderr)
        XCTAssertEqual(String(e3.stdout.prefix(64)), String(e1.stdout.prefix(64)))
    }

    func testOnlyCorruptionAndNotCachedErrors() throws {
        let a = try Sandbox("bundle-only")
        try a.write("proj/data/input.txt", "x\n")
        try a.write("proj/p.yaml", pipeline(a.dir + "/runs.txt"))
        let early = try a.run("bundle", "export", "proj/p.yaml", "-o", "x.tar.zst")
        XCTAssertEqual(early.code, 1)
        XCTAssertTrue(early.stderr.contains("not cached"), early.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: a.dir + "/x.tar.zst"))

        XCTAssertEqual(try a.run("run", "proj/p.yaml").code, 0)
        let only = try a.run("bundle", "export", "proj/p.yaml", "--only", "score[detector=sae]", "-o", "sae.tar.zst")
        XCTAssertEqual(only.code, 0, only.stderr)
        let b = try Sandbox("bundle-only-b")
        XCTAssertEqual(try b.run("bundle", "import", a.dir + "/sae.tar.zst", "--pipeline-dir", "proj").code, 0)
        let (r, c) = try b.runJSON(["proj/p.yaml", "--only", "score[detector=sae]"])
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(c["executed"], 0, "the selected instance and its upstream came along")
        XCTAssertEqual(c["cached"], 2)
        let status = try b.run("status", "proj/p.yaml")
        XCTAssertTrue(status.stdout.contains("2 of 4 cached"), status.stdout)

        // --with-intermediates also carries results of other settings still in the cache.
        XCTAssertEqual(try a.run("run", "proj/p.yaml", "-p", "offset=4").code, 0)
        XCTAssertEqual(try a.run("run", "proj/p.yaml").code, 0)
        XCTAssertEqual(try a.run("bundle", "export", "proj/p.yaml", "--with-intermediates", "-o", "hist.tar.zst").code, 0)
        let hist = try a.run("bundle", "inspect", "hist.tar.zst")
        XCTAssertTrue(hist.stdout.contains("stages     7 record(s), 4 current"), hist.stdout)
        let h = try Sandbox("bundle-hist")
        XCTAssertEqual(try h.run("bundle", "import", a.dir + "/hist.tar.zst", "--pipeline-dir", "proj").code, 0)
        XCTAssertEqual(try h.runJSON(["proj/p.yaml"]).1["executed"], 0)
        XCTAssertEqual(try h.runJSON(["proj/p.yaml", "-p", "offset=4"]).1["executed"], 0, "the other setting's results came along")

        // Corrupt one byte in the middle: verify exits 1 and names the problem; import changes nothing.
        XCTAssertEqual(try a.run("bundle", "export", "proj/p.yaml", "-o", "all.tar.zst").code, 0)
        var bytes = [UInt8](FileManager.default.contents(atPath: a.dir + "/all.tar.zst")!)
        bytes[bytes.count / 2] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: a.dir + "/bad.tar.zst"))
        let v = try a.run("bundle", "verify", "bad.tar.zst")
        XCTAssertEqual(v.code, 1)
        XCTAssertTrue(v.stderr.contains("bad.tar.zst"), v.stderr)
        let c3 = try Sandbox("bundle-bad")
        let imp = try c3.run("bundle", "import", a.dir + "/bad.tar.zst", "--pipeline-dir", "proj")
        XCTAssertEqual(imp.code, 1)
        XCTAssertEqual(c3.recordCount, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: c3.dir + "/proj"))
    }

    /// The attack of issue 19: a real bundle whose manifest says the pipeline is named
    /// `../../../madpipe-escape-<id>` (every entry still valid) would have import write the published
    /// outputs beside the sandbox. verify and import refuse it, naming the field; nothing is written.
    /// A second bundle appended to a good one is refused as trailing data.
    func testHostilePipelineNameAndAppendedBundleAreRefused() throws {
        let a = try Sandbox("bundle-hostile")
        try a.write("proj/data/input.txt", "b\na\n")
        try a.write("proj/p.yaml", pipeline(a.dir + "/runs.txt"))
        XCTAssertEqual(try a.run("run", "proj/p.yaml").code, 0)
        XCTAssertEqual(try a.run("bundle", "export", "proj/p.yaml", "-o", "good.tar.zst").code, 0)
        let good = a.dir + "/good.tar.zst"

        // Rebuild the bundle with the same entries and a hostile pipeline name.
        try FileManager.default.createDirectory(atPath: a.dir + "/x", withIntermediateDirectories: true)
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        tar.arguments = ["tar", "--zstd", "-xf", good, "-C", a.dir + "/x"]
        try tar.run()
        tar.waitUntilExit()
        XCTAssertEqual(tar.terminationStatus, 0)
        var m = try BundleReader.read(path: good).manifest
        let escape = "madpipe-escape-\(UUID().uuidString.prefix(8))"
        m.pipeline = "../../../" + escape
        let outside = ((a.dir as NSString).deletingLastPathComponent as NSString).appendingPathComponent(escape)
        defer { try? FileManager.default.removeItem(atPath: outside) }
        _ = try BundleWriter.write(to: a.dir + "/evil.tar.zst", entries: [("MANIFEST.json", false, .bytes(m.json))]
            + m.entries.map { ($0.path, $0.exec, .file(a.dir + "/x/" + $0.path)) })

        let b = try Sandbox("bundle-hostile-b")
        let verify = try b.run("bundle", "verify", a.dir + "/evil.tar.zst")
        XCTAssertEqual(verify.code, 1, verify.stdout)
        XCTAssertTrue(verify.stderr.contains("field 'pipeline' is '../../../\(escape)'"), verify.stderr)
        let imp = try b.run("bundle", "import", a.dir + "/evil.tar.zst", "--pipeline-dir", "proj")
        XCTAssertEqual(imp.code, 1, imp.stdout)
        XCTAssertTrue(imp.stderr.contains("field 'pipeline'"), imp.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: outside), "nothing written outside --pipeline-dir")
        XCTAssertFalse(FileManager.default.fileExists(atPath: b.dir + "/proj"))
        XCTAssertEqual(b.recordCount, 0)

        // The command import suggests quotes each word from the bundle for the shell.
        m.pipeline = "shared"
        m.overrides = ["offset=4; touch pwned"]
        m.note = "see \u{1b}]0;owned\u{7}\u{1b}[2J"
        _ = try BundleWriter.write(to: a.dir + "/quoted.tar.zst", entries: [("MANIFEST.json", false, .bytes(m.json))]
            + m.entries.map { ($0.path, $0.exec, .file(a.dir + "/x/" + $0.path)) })
        let q = try Sandbox("bundle-quoted")
        let quoted = try q.run("bundle", "import", a.dir + "/quoted.tar.zst", "--pipeline-dir", "my proj")
        XCTAssertEqual(quoted.code, 0, quoted.stderr)
        XCTAssertTrue(quoted.stdout.contains("run: madpipe run 'my proj/p.yaml' -p 'offset=4; touch pwned'"), quoted.stdout)
        // inspect shows the bundle's text with terminal escapes written out, not sent to the terminal.
        let shown = try q.run("bundle", "inspect", a.dir + "/quoted.tar.zst")
        XCTAssertEqual(shown.code, 0, shown.stderr)
        XCTAssertFalse(shown.stdout.contains("\u{1b}"), shown.stdout)
        XCTAssertTrue(shown.stdout.contains("note       see \\u{1b}]0;owned\\u{7}\\u{1b}[2J"), shown.stdout)

        // A second bundle appended to the first.
        let bytes = try XCTUnwrap(FileManager.default.contents(atPath: good))
        try (bytes + bytes).write(to: URL(fileURLWithPath: a.dir + "/twice.tar.zst"))
        let twice = try b.run("bundle", "verify", a.dir + "/twice.tar.zst")
        XCTAssertEqual(twice.code, 1, twice.stdout)
        XCTAssertTrue(twice.stderr.contains("data after the end of the archive"), twice.stderr)
        XCTAssertEqual(try b.run("bundle", "import", a.dir + "/twice.tar.zst", "--pipeline-dir", "proj").code, 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: b.dir + "/proj"))
        XCTAssertEqual(b.recordCount, 0)
        XCTAssertEqual(try b.run("bundle", "verify", good).code, 0, "the bundle itself is fine")
    }
}
