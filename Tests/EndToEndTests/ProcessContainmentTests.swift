// ProcessContainmentTests: the madpipe binary keeps the processes of `command` stages contained:
// they die with the run (even after SIGKILL), never run twice at once in one `${work}`, leave
// nothing behind that could write a stage's outputs after they are hashed; `cache gc` never
// deletes under a run in flight; a FIFO or device in `deps` is refused instead of hanging; and
// SIGTERM always stops madpipe. Every wait is bounded, so a regression fails instead of hanging.

import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class ProcessContainmentTests: XCTestCase {
    // MARK: Helpers

    /// Runs madpipe, killing it (SIGKILL) if it has not ended after `timeout` seconds.
    func runBounded(_ s: Sandbox, _ args: [String], timeout: Double = 30) throws -> (result: CLIResult, timedOut: Bool) {
        let (p, out, err) = s.process(args)
        try p.run()
        let o = Collected(), e = Collected()
        let readers = DispatchGroup()
        DispatchQueue.global().async(group: readers) { o.data = out.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: readers) { e.data = err.fileHandleForReading.readDataToEndOfFile() }
        let timedOut = !waitForExit(p, within: timeout)
        if timedOut {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
        _ = readers.wait(timeout: .now() + 10)
        return (CLIResult(code: p.terminationStatus, stdout: String(decoding: o.data, as: UTF8.self),
                          stderr: String(decoding: e.data, as: UTF8.self)), timedOut)
    }

    /// Bytes one reader thread collects (read after the group is waited for).
    final class Collected: @unchecked Sendable { var data = Data() }

    func waitForExit(_ p: Process, within seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        return !p.isRunning
    }

    /// The exit status once `p` has ended, or nil (and `p` SIGKILLed) after `seconds`.
    func exitStatus(_ p: Process, within seconds: Double) -> Int32? {
        if waitForExit(p, within: seconds) { return p.terminationStatus }
        kill(p.processIdentifier, SIGKILL)
        return nil
    }

    /// Polls `condition` every 20 ms for up to `seconds`; its last value.
    @discardableResult
    func eventually(within seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            if Date() >= deadline { return false }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return true
    }

    func pid(_ s: Sandbox, _ name: String) -> pid_t? {
        s.read(name).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// True while a process with this pid exists (a zombie counts as gone).
    func alive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        guard let close = stat.lastIndex(of: ")") else { return false }
        return !stat[stat.index(after: close)...].hasPrefix(" Z")
    }

    /// Ends a process the test started or found, if a failed assertion left it running.
    func cleanUp(_ pids: [pid_t?]) {
        for case let p? in pids where alive(p) { kill(p, SIGKILL) }
    }

    // MARK: Item 1: children die with the runner; one execution per ${work}

    func testCommandDiesWithAKilledRunAndTheNextRunDoesNotOverlapIt() throws {
        let s = try Sandbox("orphan")
        let trace = s.dir + "/trace.txt"
        try s.write("p.yaml", """
        pipeline: orphan
        stages:
          slow:
            kind: command
            run: "echo start-$$$$ >> \(trace); echo $$$$ > \(s.dir)/shell.pid; sleep 4; echo end-$$$$ >> \(trace); echo ok > out.txt"
            outs: [out.txt]
        """)
        let (p, _, _) = s.process(["run", "p.yaml", "--quiet"])
        try p.run()
        XCTAssertTrue(eventually(within: 30) { pid(s, "shell.pid") != nil }, "the command started")
        let shell = pid(s, "shell.pid")
        defer { cleanUp([shell]) }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        let gone = eventually(within: 2.5) { shell.map { !alive($0) } ?? true }
        XCTAssertTrue(gone, "the command of a SIGKILLed run was ended (it would have lived 4 s more)")

        let (r, timedOut) = try runBounded(s, ["run", "p.yaml", "--quiet"], timeout: 30)
        XCTAssertFalse(timedOut)
        XCTAssertEqual(r.code, 0, r.stderr)
        Thread.sleep(forTimeInterval: 0.3)
        let lines = s.lines("trace.txt")
        XCTAssertEqual(lines.count, 3, "started, killed, started again and finished once: \(lines)")
        XCTAssertEqual(lines.filter { $0.hasPrefix("end-") }.count, 1, "only the second execution reached its end: \(lines)")
        XCTAssertTrue(lines.last?.hasPrefix("end-") == true, "no execution ran beside another: \(lines)")
        XCTAssertEqual(try s.run("cache", "verify").code, 0)
    }

    func testADoubleInterruptEndsEvenACommandThatIgnoresSIGTERM() throws {
        // The first Ctrl-C asks the command to end (SIGTERM, which it ignores); the second makes
        // madpipe exit at once. The SIGKILL that follows the grace period must still come.
        let s = try Sandbox("double-int")
        try s.write("p.yaml", """
        pipeline: stubborn
        stages:
          slow:
            kind: command
            run: "trap '' TERM; echo $$$$ > \(s.dir)/shell.pid; sleep 8; echo ok > out.txt"
            outs: [out.txt]
        """)
        let (p, _, _) = s.process(["run", "p.yaml", "--quiet"])
        try p.run()
        XCTAssertTrue(eventually(within: 30) { pid(s, "shell.pid") != nil }, "the command started")
        let shell = pid(s, "shell.pid")
        defer { cleanUp([shell]) }
        kill(p.processIdentifier, SIGINT)
        Thread.sleep(forTimeInterval: 0.2)
        kill(p.processIdentifier, SIGINT)
        XCTAssertEqual(exitStatus(p, within: 5), 130, "a second Ctrl-C exits at once")
        let gone = eventually(within: Double(5)) { shell.map { !alive($0) } ?? true }
        XCTAssertTrue(gone, "the command was killed after the grace period although madpipe had exited")
    }

    func testAProcessThatSurvivesItsRunKeepsTheNextExecutionOutOfWork() throws {
        // A process that left the command's group (setsid) and whose supervisor was SIGKILLed
        // along with the run is out of madpipe's reach; it still holds the ${work} lock, so the
        // next execution waits for it instead of running beside it.
        let s = try Sandbox("worklock")
        let trace = s.dir + "/trace.txt"
        try s.write("p.yaml", """
        pipeline: worklock
        stages:
          slow:
            kind: command
            run: "echo $PPID > \(s.dir)/sup.pid; setsid sh -c 'echo $$$$ > \(s.dir)/escaped.pid; sleep 3; echo escaped-end >> \(trace)' & echo start >> \(trace); sleep 3; echo end >> \(trace); echo ok > out.txt"
            outs: [out.txt]
        """)
        let (p, _, _) = s.process(["run", "p.yaml", "--quiet"])
        try p.run()
        XCTAssertTrue(eventually(within: 30) { pid(s, "sup.pid") != nil && pid(s, "escaped.pid") != nil }, "the command started")
        let supervisor = pid(s, "sup.pid"), escaped = pid(s, "escaped.pid")
        defer { cleanUp([escaped]) }
        if let supervisor { kill(supervisor, SIGKILL) }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        XCTAssertTrue(escaped.map(alive) ?? false, "the escaped process outlived its run (the situation under test)")

        let (r, timedOut) = try runBounded(s, ["run", "p.yaml", "--quiet"], timeout: 30)
        XCTAssertFalse(timedOut)
        XCTAssertEqual(r.code, 0, r.stderr)
        let lines = s.lines("trace.txt")
        XCTAssertEqual(lines.filter { $0 == "start" }.count, 2, "\(lines)")
        if let second = lines.lastIndex(of: "start"), let escapedEnd = lines.firstIndex(of: "escaped-end") {
            XCTAssertGreaterThan(second, escapedEnd, "the second execution started only after the survivor ended: \(lines)")
        } else {
            XCTFail("trace lacks a line: \(lines)")
        }
        XCTAssertEqual(try s.run("cache", "verify").code, 0)
    }

    // MARK: Item 2: nothing the command left behind runs while its outputs are hashed

    func testProcessesLeftBehindAreEndedBeforeOutputsAreHashed() throws {
        let s = try Sandbox("leftover")
        let bg = s.dir + "/bg.pid"
        // The background writer holds out.txt open and appends to it 1 s after the shell exits.
        try s.write("p.yaml", """
        pipeline: leftover
        stages:
          w:
            kind: command
            run: "sh -c 'echo $$$$ > \(bg); sleep 1; echo late' >> out.txt & while [ ! -s \(bg) ]; do sleep 0.02; done; echo early > out.txt; sleep 20 &"
            outs: [out.txt]
        outputs:
          out.txt: w/out.txt
        """)
        let (r, timedOut) = try runBounded(s, ["run", "p.yaml", "--quiet"], timeout: 15)
        XCTAssertFalse(timedOut, "a `sleep 20 &` left behind does not keep the stage running")
        XCTAssertEqual(r.code, 0, r.stderr)
        let writer = pid(s, "bg.pid")
        defer { cleanUp([writer]) }
        XCTAssertNotNil(writer)
        XCTAssertFalse(writer.map(alive) ?? true, "the background writer is dead when the run has finished")
        Thread.sleep(forTimeInterval: 1.5)  // when the writer, had it lived, would have written
        XCTAssertEqual(s.read("results/leftover/out.txt"), "early\n")
        let verify = try s.run("cache", "verify")
        XCTAssertEqual(verify.code, 0, "every stored object still has the bytes its digest names: \(verify.stdout)")
        let out = try FileManager.default.contentsOfDirectory(atPath: s.dir + "/cache/out")
        XCTAssertEqual(out.count, 1)
        XCTAssertEqual(s.read("cache/out/\(out.first ?? "")/out.txt"), "early\n")
    }

    // MARK: Item 3: cache gc and runs in flight

    func slowPipeline(_ s: Sandbox) throws {
        try s.write("p.yaml", """
        pipeline: slow
        stages:
          a:
            kind: command
            run: "echo from-a > a.txt"
            outs: [a.txt]
          b:
            kind: command
            inputs: {a: a}
            run: "sleep 2.5; cat ${inputs.a}/a.txt > b.txt"
            outs: [b.txt]
        outputs:
          a.txt: a/a.txt
          b.txt: b/b.txt
        """)
        try s.write("other.yaml", """
        pipeline: other
        stages:
          w:
            kind: write
            params: {text: other}
        """)
    }

    /// Starts `madpipe run p.yaml` on slowPipeline's pipeline and returns once stage a is recorded,
    /// while b runs. The caller kills the run if it is still going when the test ends.
    func startSlowRun(_ s: Sandbox) throws -> Process {
        let (p, _, _) = s.process(["run", "p.yaml", "--quiet"])
        try p.run()
        XCTAssertTrue(eventually(within: 30) { s.recordCount >= 1 }, "stage a finished; b is running")
        return p
    }

    func testGCRefusesWhileARunIsInFlightAndTheRunStaysIntact() throws {
        let s = try Sandbox("gc-busy")
        try slowPipeline(s)
        let p = try startSlowRun(s)
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        // gc keeping only another pipeline would delete a's fresh result under the running b.
        let (gc, gcTimedOut) = try runBounded(s, ["cache", "gc", "other.yaml"], timeout: 20)
        XCTAssertFalse(gcTimedOut)
        XCTAssertEqual(gc.code, 1, gc.stdout + gc.stderr)
        XCTAssertTrue(gc.stderr.contains("in progress"), gc.stderr)
        XCTAssertTrue(gc.stderr.contains("--wait"), gc.stderr)
        XCTAssertEqual(exitStatus(p, within: 30), 0)
        XCTAssertEqual(s.recordCount, 2, "gc removed nothing")
        XCTAssertEqual(s.read("results/slow/a.txt"), "from-a\n")
        XCTAssertEqual(s.read("results/slow/b.txt"), "from-a\n")
        XCTAssertEqual(try s.run("cache", "verify").code, 0)
        let (again, c) = try s.runJSON(["p.yaml"])
        XCTAssertEqual(again.code, 0)
        XCTAssertEqual(c["cached"], 2)
    }

    func testGCWaitWaitsForTheRunInFlight() throws {
        let s = try Sandbox("gc-wait")
        try slowPipeline(s)
        let p = try startSlowRun(s)
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        let (gc, gcTimedOut) = try runBounded(s, ["cache", "gc", "other.yaml", "--wait"], timeout: 30)
        XCTAssertFalse(gcTimedOut)
        XCTAssertEqual(gc.code, 0, gc.stderr)
        XCTAssertTrue(gc.stderr.contains("waiting for the runs in flight"), gc.stderr)
        XCTAssertTrue(gc.stdout.contains("removed: 2 record(s)"), "gc ran after the run, on its finished results: \(gc.stdout)")
        XCTAssertEqual(exitStatus(p, within: 10), 0, "the run finished undisturbed")
        XCTAssertEqual(s.read("results/slow/b.txt"), "from-a\n")
        XCTAssertEqual(try s.run("cache", "verify").code, 0)
    }

    /// `cache verify --repair` deletes records and objects, so it refuses, like gc, while a run
    /// holds the cache, and repairs once the run has ended (fails on 7edb3a2: it repaired under
    /// the running stage).
    func testRepairRefusesWhileARunIsInFlight() throws {
        let s = try Sandbox("repair-busy")
        try slowPipeline(s)
        // A corrupt object, so there is something to repair: bytes that do not hash to its name.
        let bogus = String(repeating: "ab", count: 32)
        try s.write("cache/objects/ab/" + bogus.dropFirst(2), "not what the name says\n")
        let p = try startSlowRun(s)
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        let (busy, timedOut) = try runBounded(s, ["cache", "verify", "--repair"], timeout: 20)
        XCTAssertFalse(timedOut)
        XCTAssertNotEqual(busy.code, 0, busy.stdout + busy.stderr)
        XCTAssertTrue(busy.stderr.contains("in progress"), busy.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: s.dir + "/cache/objects/ab/" + bogus.dropFirst(2)), "nothing removed")
        XCTAssertEqual(exitStatus(p, within: 30), 0)
        let after = try s.run("cache", "verify", "--repair")
        XCTAssertEqual(after.code, 0, after.stdout + after.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: s.dir + "/cache/objects/ab/" + bogus.dropFirst(2)))
        XCTAssertEqual(s.read("results/slow/b.txt"), "from-a\n")
    }

    // MARK: Item 4: FIFOs and devices in deps; SIGTERM

    func testDepsNamingAFIFOOrADeviceAreRefusedWithoutHanging() throws {
        let s = try Sandbox("fifo")
        XCTAssertEqual(mkfifo(s.dir + "/pipe", 0o644), 0)
        try FileManager.default.createDirectory(atPath: s.dir + "/dir", withIntermediateDirectories: true)
        XCTAssertEqual(mkfifo(s.dir + "/dir/inner", 0o644), 0)
        for (dep, path, what) in [("f", "pipe", "FIFO"), ("z", "/dev/zero", "character device"), ("d", "dir", "inner")] {
            try s.write("p.yaml", """
            pipeline: fifo
            stages:
              reader:
                kind: command
                deps: {\(dep): \(path)}
                run: "echo hi > x"
                outs: [x]
            """)
            let (r, timedOut) = try runBounded(s, ["run", "p.yaml"], timeout: 20)
            XCTAssertFalse(timedOut, "\(path) in deps must not hang the run")
            XCTAssertEqual(r.code, 1, r.stderr)
            let full = path.hasPrefix("/") ? path : s.dir + "/" + path
            XCTAssertTrue(r.stderr.contains("reader"), "names the stage: \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("deps.\(dep)"), "names the dep: \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(full), "names the path: \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(what), r.stderr)
        }
    }

    func testSIGTERMStopsARunBlockedOnALock() throws {
        let s = try Sandbox("sigterm")
        try s.write("p.yaml", """
        pipeline: term
        stages:
          a:
            kind: command
            run: "echo a > a.txt"
            outs: [a.txt]
        """)
        let status = try s.run("status", "p.yaml", "--json")
        let obj = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
        let key = try XCTUnwrap(((obj?["stages"] as? [[String: Any]])?.first?["key"]) as? String)
        // Another process holds the stage's lock (as a second runner would); this run waits on it.
        let fd = open(s.dir + "/cache/locks/\(key).lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        XCTAssertGreaterThanOrEqual(fd, 0)
        XCTAssertEqual(flock(fd, LOCK_EX), 0)
        var held = true
        defer { if held { close(fd) } }
        let (p, _, _) = s.process(["run", "p.yaml", "--quiet"])
        try p.run()
        Thread.sleep(forTimeInterval: 1)
        let t0 = Date()
        kill(p.processIdentifier, SIGTERM)
        XCTAssertEqual(exitStatus(p, within: 10), 143, "SIGTERM stopped a run whose stage waits on a lock")
        XCTAssertLessThan(Date().timeIntervalSince(t0), 10)
        close(fd)
        held = false
        XCTAssertEqual(try s.run("cache", "verify").code, 0)
        let (r, c) = try s.runJSON(["p.yaml"])
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(c["executed"], 1)
    }
}
