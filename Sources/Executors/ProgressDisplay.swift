// ProgressDisplay: shows a run as it happens. On a terminal: a live block of counts and running
// stages with their own progress, elapsed time and the last line of their log (what a command
// prints), redrawn in place. Otherwise: plain log lines. Quiet: errors only.

import Foundation
import PipelineCore
#if canImport(Glibc)
import Glibc
#endif

public final class ProgressDisplay: RunObserver {
    public enum Mode { case live, plain, quiet }

    struct Running {
        var started: Date
        var fraction: Double?
        var status: String
        var lastPrinted: Date
        /// The execution's live log, once it exists.
        var log: String?
    }

    let mode: Mode
    let lock = NSLock()
    var total = 0
    var counts: [StageStatus: Int] = [:]
    var running: [String: Running] = [:]
    var order: [String] = []
    var drawnLines = 0
    var timer: DispatchSourceTimer?
    let out = FileHandle.standardError

    public init(mode: Mode) { self.mode = mode }

    /// Live on a terminal, plain otherwise.
    public static func automatic(quiet: Bool) -> ProgressDisplay {
        if quiet { return ProgressDisplay(mode: .quiet) }
        return ProgressDisplay(mode: isatty(2) != 0 && ProcessInfo.processInfo.environment["TERM"] != "dumb" ? .live : .plain)
    }

    func write(_ s: String) { out.write(Data(s.utf8)) }

    public func runStarted(plan: Plan, selected: Int) {
        lock.lock()
        total = selected
        lock.unlock()
        if mode == .plain { write("madpipe: \(plan.spec.name): \(selected) stage instance(s)\n") }
        if mode == .live {
            let t = DispatchSource.makeTimerSource(queue: .global())
            t.schedule(deadline: .now() + 0.1, repeating: 0.1)
            t.setEventHandler { [weak self] in self?.redraw() }
            t.resume()
            timer = t
        }
    }

    public func stageStarted(_ id: String) {
        lock.lock()
        running[id] = Running(started: Date(), fraction: nil, status: "", lastPrinted: Date(), log: nil)
        order.append(id)
        lock.unlock()
        if mode == .plain { write("  start    \(id)\n") }
    }

    public func stageProgress(_ id: String, fraction: Double?, status: String) {
        lock.lock()
        defer { lock.unlock() }
        guard var r = running[id] else { return }
        r.fraction = fraction
        r.status = status
        if mode == .plain, Date().timeIntervalSince(r.lastPrinted) >= 10 {
            r.lastPrinted = Date()
            let pct = fraction.map { String(format: " %3.0f%%", $0 * 100) } ?? ""
            write("  progress \(id)\(pct) \(status)\n")
        }
        running[id] = r
    }

    /// The live log of a running stage: the live block shows its last line.
    public func stageLog(_ id: String, path: String) {
        lock.lock()
        running[id]?.log = path
        lock.unlock()
    }

    /// The last non-empty line of a file's last 4 KiB, without control characters.
    static func lastLine(of path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let size = lseek(fd, 0, SEEK_END)
        guard size > 0 else { return nil }
        let n = Int(min(size, 4096))
        var buf = [UInt8](repeating: 0, count: n)
        let got = pread(fd, &buf, n, size - off_t(n))
        guard got > 0 else { return nil }
        let text = String(decoding: buf[0..<got], as: UTF8.self)
        guard let line = text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).last(where: { !$0.allSatisfy(\.isWhitespace) }) else { return nil }
        return String(line.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.map(Character.init))
    }

    public func stageEnded(_ id: String, status: StageStatus, seconds: Double, error: Error?) {
        lock.lock()
        counts[status, default: 0] += 1
        running[id] = nil
        order.removeAll { $0 == id }
        var line: String?
        switch (mode, status) {
        case (.quiet, .failed): line = "\(error.map { "\($0)" } ?? id)\n"
        case (.quiet, _): line = nil
        case (_, .executed): line = String(format: "  done     %@ (%.1fs)\n", id, seconds)
        case (_, .failed): line = "  FAILED   \(id)\n" + (error.map { "\($0)\n" } ?? "")
        case (.plain, .skipped): line = "  skipped  \(id)\n"
        default: line = nil
        }
        if let line {
            if mode == .live { clearBlock() }
            write(line)
            if mode == .live { drawBlock() }
        }
        lock.unlock()
    }

    public func runEnded(_ summary: RunSummary) {
        timer?.cancel()
        timer = nil
        lock.lock()
        if mode == .live { clearBlock() }
        lock.unlock()
        guard mode != .quiet else { return }
        var s = String(format: "madpipe: %d executed, %d cached, %d failed, %d skipped in %.2fs",
                       summary.executed, summary.cached, summary.failed, summary.skipped, summary.wallSeconds)
        if summary.interrupted { s += " (interrupted; finished stages are cached)" }
        for p in summary.partial {
            s += "\n  partial  \(p.id) ran without \(p.missing.count) input(s) (listed in its missing.csv):"
            for m in p.missing { s += "\n             \(m.stage): \(m.reason)" }
        }
        for name in summary.unpublished { s += "\n  not published: \(name) (not every stage it needs succeeded in this run)" }
        if let id = summary.runId { s += "\n  run \(id)" }
        write(s + "\n")
    }

    private func redraw() {
        lock.lock()
        clearBlock()
        drawBlock()
        lock.unlock()
    }

    private func clearBlock() {
        if drawnLines > 0 { write("\u{1B}[\(drawnLines)A\u{1B}[J") }
        drawnLines = 0
    }

    private func drawBlock() {
        let done = counts[.executed, default: 0], cached = counts[.cached, default: 0]
        let failed = counts[.failed, default: 0], skipped = counts[.skipped, default: 0]
        var lines = ["[\(done + cached + failed + skipped)/\(total)] \(done) done, \(cached) cached, \(running.count) running, \(failed) failed"]
        let now = Date()
        for id in order.prefix(8) {
            guard let r = running[id] else { continue }
            let el = Int(now.timeIntervalSince(r.started))
            let bar = r.fraction.map { f -> String in
                let n = Int((max(0, min(1, f)) * 20).rounded())
                return "[" + String(repeating: "#", count: n) + String(repeating: ".", count: 20 - n) + "] "
            } ?? ""
            var line = String(format: "  %@ %@%d:%02d %@", id, bar, el / 60, el % 60, r.status)
            if line.count > 150 { line = String(line.prefix(147)) + "..." }
            lines.append(line)
            if let log = r.log, let last = ProgressDisplay.lastLine(of: log) {
                lines.append("    > " + (last.count > 140 ? String(last.prefix(137)) + "..." : last))
            }
        }
        if order.count > 8 { lines.append("  ... and \(order.count - 8) more running") }
        write(lines.joined(separator: "\n") + "\n")
        drawnLines = lines.count
    }
}
