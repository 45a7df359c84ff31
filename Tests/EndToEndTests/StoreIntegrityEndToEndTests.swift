// StoreIntegrityEndToEndTests: the madpipe binary against stages that try (by accident or not) to
// change what the store holds: hard links to outside files, writes into inputs, edits of out/,
// corrupt objects and what was derived from them, executable outputs, umask, sparse outputs.

import Foundation
import XCTest

final class StoreIntegrityEndToEndTests: XCTestCase {
    /// The record (as JSON) of the only stage whose id is `stage`.
    func record(_ s: Sandbox, stage: String) throws -> [String: Any] {
        for obj in try s.records() where obj["stage"] as? String == stage { return obj }
        XCTFail("no record for \(stage)")
        return [:]
    }

    /// The store path of every object the stage's record names.
    func objectFiles(_ s: Sandbox, stage: String) throws -> [String] {
        ((try record(s, stage: stage))["objects"] as? [String] ?? []).map { s.dir + "/cache/objects/" + $0.prefix(2) + "/" + $0.dropFirst(2) }
    }

    func key(_ s: Sandbox, stage: String) throws -> String { (try record(s, stage: stage))["key"] as? String ?? "" }

    func fileStat(_ path: String) -> stat {
        var st = stat()
        XCTAssertEqual(lstat(path, &st), 0, path)
        return st
    }

    /// Appends to a file the way a careless process would (root ignores 0444, so no chmod needed
    /// there; others need the write bit back first).
    func scribble(_ path: String, _ text: String) throws {
        chmod(path, 0o644)
        let h = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        h.seekToEndOfFile()
        h.write(Data(text.utf8))
        h.closeFile()
    }

    func testHardLinkToAnOutsideFileDoesNotBecomeTheObject() throws {
        let s = try Sandbox("hardlink")
        try s.write("secret.txt", "private\n")
        chmod(s.dir + "/secret.txt", 0o640)
        try s.write("p.yaml", """
        pipeline: hardlink
        stages:
          a:
            kind: command
            run: "ln \(s.dir)/secret.txt h"
            outs: [h]
        outputs:
          h: a/h
        """)
        let r = try s.run("run", "p.yaml")
        XCTAssertEqual(r.code, 0, r.stderr)
        let secret = fileStat(s.dir + "/secret.txt")
        XCTAssertEqual(secret.st_mode & 0o777, 0o640, "the outside file's mode is untouched")
        XCTAssertEqual(secret.st_nlink, 1, "nothing in the store shares the outside file's inode")
        try scribble(s.dir + "/secret.txt", "later edit\n")
        XCTAssertEqual(try s.run("cache", "verify").code, 0, "a later write to the outside file does not touch the cache")
        XCTAssertEqual(try s.run("run", "p.yaml").code, 0)
        XCTAssertEqual(s.read("results/hardlink/h"), "private\n")
    }

    func testAStageWritingIntoItsInputChangesOnlyItsOwnCopy() throws {
        let s = try Sandbox("writeinput")
        try s.write("p.yaml", """
        pipeline: writeinput
        stages:
          a:
            kind: command
            run: "echo original > out.txt"
            outs: [out.txt]
          b:
            kind: command
            inputs: {a: a}
            run: "chmod u+w ${inputs.a}/out.txt; echo tampered >> ${inputs.a}/out.txt; cat ${inputs.a}/out.txt > b.txt"
            outs: [b.txt]
          c:
            kind: command
            inputs: {a: a, b: b}
            run: "cat ${inputs.a}/out.txt > c.txt"
            outs: [c.txt]
        outputs:
          a.txt: a/out.txt
          c.txt: c/c.txt
        """)
        let r = try s.run("run", "p.yaml", "--jobs", "1")
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(s.read("results/writeinput/a.txt"), "original\n")
        XCTAssertEqual(s.read("results/writeinput/c.txt"), "original\n", "a later reader sees the stored bytes")
        let verify = try s.run("cache", "verify")
        XCTAssertEqual(verify.code, 0, verify.stdout)
    }

    func testAChangedObjectIsNoticedBeforeUseAndRecomputed() throws {
        let s = try Sandbox("changed")
        try s.write("p.yaml", """
        pipeline: changed
        stages:
          a:
            kind: command
            run: "echo original > out.txt && echo a >> \(s.dir)/runs.txt"
            outs: [out.txt]
          b:
            kind: command
            inputs: {a: a}
            run: "cat ${inputs.a}/out.txt > b.txt && echo b >> b.txt"
            outs: [b.txt]
        outputs:
          b.txt: b/b.txt
        """)
        XCTAssertEqual(try s.run("run", "p.yaml").code, 0)
        // A process outside madpipe (or a background one a command left) writes a stored object.
        try scribble(s.dir + "/cache/out/" + (try key(s, stage: "a")) + "/out.txt", "garbage\n")
        let status = try s.run("status", "p.yaml")
        XCTAssertFalse(status.stdout.contains("cached   a"), "status does not call a changed result cached: \(status.stdout)")
        let (r, c) = try s.runJSON(["p.yaml"])
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(c["executed"], 1, "a ran again; b's inputs are the same bytes, so it stays cached")
        XCTAssertEqual(s.lines("runs.txt").count, 2)
        XCTAssertEqual(s.read("results/changed/b.txt"), "original\nb\n")
        XCTAssertEqual(try s.run("cache", "verify").code, 0)
    }

    func testIdenticalOutputsShareOneObjectThatVerifyCovers() throws {
        let s = try Sandbox("identical")
        try s.write("p.yaml", """
        pipeline: identical
        matrix: {n: [1, 2]}
        stages:
          a:
            kind: command
            over: [n]
            run: "echo same > out.txt # ${n}"
            outs: [out.txt]
        """)
        XCTAssertEqual(try s.run("run", "p.yaml").code, 0)
        let one = fileStat(s.dir + "/cache/out/" + (try key(s, stage: "a[n=1]")) + "/out.txt")
        let two = fileStat(s.dir + "/cache/out/" + (try key(s, stage: "a[n=2]")) + "/out.txt")
        XCTAssertEqual(one.st_ino, two.st_ino, "both outputs are views of one object")
        try scribble(s.dir + "/cache/out/" + (try key(s, stage: "a[n=2]")) + "/out.txt", "x")
        let verify = try s.run("cache", "verify")
        XCTAssertEqual(verify.code, 1, "the change is found by verify: \(verify.stdout)")
        XCTAssertTrue(verify.stdout.contains("corrupt"), verify.stdout)
    }

    func testRepairRemovesEveryRecordDerivedFromACorruptObject() throws {
        let s = try Sandbox("repair")
        try s.write("p.yaml", """
        pipeline: repair
        stages:
          a:
            kind: command
            run: "echo one > out.txt"
            outs: [out.txt]
          b:
            kind: command
            inputs: {a: a}
            run: "cat ${inputs.a}/out.txt > out.txt; echo two >> out.txt"
            outs: [out.txt]
          c:
            kind: command
            inputs: {b: b}
            run: "cat ${inputs.b}/out.txt > out.txt; echo three >> out.txt"
            outs: [out.txt]
          other:
            kind: command
            run: "echo unrelated > out.txt"
            outs: [out.txt]
        """)
        XCTAssertEqual(try s.run("run", "p.yaml").code, 0)
        XCTAssertEqual(s.recordCount, 4)
        let objects = try objectFiles(s, stage: "a").filter { (try? String(contentsOfFile: $0, encoding: .utf8)) == "one\n" }
        XCTAssertEqual(objects.count, 1)
        try scribble(objects[0], "bad")
        let repair = try s.run("cache", "verify", "--repair")
        XCTAssertEqual(repair.code, 0, repair.stdout)
        XCTAssertTrue(repair.stdout.contains("removed 3 record(s)"), "a, and b and c derived from it: \(repair.stdout)")
        XCTAssertEqual(s.recordCount, 1, "only the unrelated stage's record is left")
        let (r, c) = try s.runJSON(["p.yaml"])
        XCTAssertEqual(r.code, 0)
        XCTAssertEqual(c["executed"], 3)
    }

    func testExecutableOutputsStayExecutable() throws {
        let s = try Sandbox("exec")
        try s.write("p.yaml", """
        pipeline: exec
        stages:
          tool:
            kind: command
            run: "printf '#!/bin/sh\\\\necho ran\\\\n' > tool.sh && chmod 755 tool.sh"
            outs: [tool.sh]
          use:
            kind: command
            inputs: {t: tool}
            run: "${inputs.t}/tool.sh > out.txt"
            outs: [out.txt]
        outputs:
          out.txt: use/out.txt
          tool.sh: tool/tool.sh
        """)
        let r = try s.run("run", "p.yaml")
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(s.read("results/exec/out.txt"), "ran\n")
        XCTAssertNotEqual(fileStat(s.dir + "/results/exec/tool.sh").st_mode & 0o100, 0, "the published tool is executable")
        XCTAssertNotEqual(fileStat(s.dir + "/cache/out/" + (try key(s, stage: "tool")) + "/tool.sh").st_mode & 0o100, 0)
        XCTAssertEqual(try s.run("cache", "verify").code, 0)
    }

    /// Runs madpipe under `umask 077` in the sandbox.
    func runUnderUmask077(_ s: Sandbox, _ args: [String]) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "umask 077 && exec \"$0\" \"$@\"", Sandbox.binary] + args
        p.currentDirectoryURL = URL(fileURLWithPath: s.dir)
        var env = ProcessInfo.processInfo.environment
        env["MADPIPE_CACHE"] = s.dir + "/cache"
        p.environment = env
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }

    func testBundleImportRespectsTheUmask() throws {
        let a = try Sandbox("umask-export")
        try a.write("proj/tool.sh", "#!/bin/sh\necho hi\n")
        chmod(a.dir + "/proj/tool.sh", 0o755)
        try a.write("proj/p.yaml", """
        pipeline: umaskb
        stages:
          a:
            kind: command
            deps: {tool: tool.sh}
            run: "${deps.tool} > out.txt"
            outs: [out.txt]
        outputs:
          out.txt: a/out.txt
        """)
        XCTAssertEqual(try a.run("run", "proj/p.yaml").code, 0)
        XCTAssertEqual(try a.run("bundle", "export", "proj/p.yaml", "-o", "b.tar.zst").code, 0)
        let b = try Sandbox("umask-import")
        XCTAssertEqual(try runUnderUmask077(b, ["bundle", "import", a.dir + "/b.tar.zst", "--pipeline-dir", "proj"]), 0)
        XCTAssertEqual(fileStat(b.dir + "/proj/results/umaskb/out.txt").st_mode & 0o777, 0o600)
        XCTAssertEqual(fileStat(b.dir + "/proj/tool.sh").st_mode & 0o777, 0o700)
    }

    func testUmaskIsRespectedInResults() throws {
        let s = try Sandbox("umask")
        try s.write("p.yaml", """
        pipeline: umask
        stages:
          a:
            kind: command
            run: "echo x > out.txt && printf '#!/bin/sh\\\\n' > t.sh && chmod 755 t.sh"
            outs: [out.txt, t.sh]
        outputs:
          out.txt: a/out.txt
          t.sh: a/t.sh
        """)
        XCTAssertEqual(try runUnderUmask077(s, ["run", "p.yaml", "--quiet"]), 0)
        XCTAssertEqual(fileStat(s.dir + "/results/umask/out.txt").st_mode & 0o777, 0o600)
        XCTAssertEqual(fileStat(s.dir + "/results/umask/t.sh").st_mode & 0o777, 0o700)
    }

    func testSparseOutputsArePublishedSparse() throws {
        let s = try Sandbox("sparse")
        let size = 256 << 20
        try s.write("p.yaml", """
        pipeline: sparse
        stages:
          a:
            kind: command
            run: "truncate -s \(size) big.bin && printf end >> big.bin"
            outs: [big.bin]
        outputs:
          big.bin: a/big.bin
        """)
        let r = try s.run("run", "p.yaml")
        XCTAssertEqual(r.code, 0, r.stderr)
        let st = fileStat(s.dir + "/results/sparse/big.bin")
        XCTAssertEqual(Int(st.st_size), size + 3)
        XCTAssertLessThan(Int(st.st_blocks) * 512, 16 << 20, "the published copy keeps the holes")
        let h = try XCTUnwrap(FileHandle(forReadingAtPath: s.dir + "/results/sparse/big.bin"))
        h.seek(toFileOffset: UInt64(size))
        XCTAssertEqual(String(decoding: h.readDataToEndOfFile(), as: UTF8.self), "end")
        h.seek(toFileOffset: UInt64(size / 2))
        XCTAssertEqual(h.readData(ofLength: 4), Data([0, 0, 0, 0]))
    }
}
