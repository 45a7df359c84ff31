// Supervisor: the small process between madpipe and a stage's command, so that no command
// outlives the run that started it. madpipe starts itself again (/proc/self/exe, so a rebuilt or
// deleted binary does not matter) with a hidden first argument, and main.swift hands such a
// process here before anything else. The supervisor:
//   - dies with its runner: PR_SET_PDEATHSIG sends it SIGTERM when the thread that started it
//     ends (a stage's thread lives until its command has ended), and getppid() closes the race
//     of a runner that died before that was set;
//   - starts the command in a new process group and, being a child subreaper, inherits every
//     process the command leaves behind, even one that left the group (setsid);
//   - on SIGTERM, SIGINT, SIGHUP or SIGQUIT (or its runner's death) sends SIGTERM to the
//     command's group, and SIGKILL `grace` seconds later;
//   - once the command's shell has exited, ends whatever it left behind (SIGTERM, grace,
//     SIGKILL) and waits until none of it is left, so a stage's outputs are hashed only when
//     nothing the command started can still write them;
//   - then exits as the shell did (same exit code, or killed by the same signal).
// The descriptor madpipe hands it as 3 (the lock on the stage's `${work}`) passes on to the
// command and everything it starts, so a process that somehow survives still holds that lock.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum Supervisor {
    /// The hidden first argument that makes madpipe act as a supervisor.
    public static let entryPoint = "__madpipe-supervise"
    /// Seconds a command gets between SIGTERM and SIGKILL.
    public static let grace: Double = 3

    /// Starts `argv` (e.g. `[shell, "-c", line]`) under a supervisor, in `directory` with
    /// `environment`, output appended to `logPath`; `inheriting` (a lock) is descriptor 3 of the
    /// command and of all it starts. Returns the supervisor's pid (also its process group id).
    public static func spawn(_ argv: [String], directory: String, environment: [String: String], logPath: String,
                             inheriting: Int32? = nil) throws -> pid_t {
        try ChildProcess.spawn(["madpipe", entryPoint, String(getpid())] + argv, executable: "/proc/self/exe",
                               directory: directory, environment: environment, logPath: logPath, inheriting: inheriting)
    }

    /// If this process was started as a supervisor, supervises its command and exits; otherwise
    /// returns at once. Call it first thing in main.
    public static func runIfRequested() {
        let args = CommandLine.arguments
        guard args.count >= 2, args[1] == entryPoint else { return }
        guard args.count >= 4, let parent = pid_t(args[2]) else {
            fputs("madpipe: \(entryPoint) is internal to madpipe (arguments: PARENT-PID COMMAND...)\n", stderr)
            exit(2)
        }
        exitLike(supervise(parent: parent, argv: Array(args[3...])))
    }

    // MARK: The supervisor process

    static let terminationSignals = [SIGTERM, SIGINT, SIGHUP, SIGQUIT]

    /// The termination signal received, if any.
    nonisolated(unsafe) static var terminationRequested: Int32 = 0
    /// Write end of the self-pipe that wakes the loop when a signal arrives. Signals are handled,
    /// not blocked and waited for: libraries may start threads before main runs, and a signal
    /// may be delivered to any thread that does not block it.
    nonisolated(unsafe) static var wakeWrite: Int32 = -1
    nonisolated(unsafe) static var wakeRead: Int32 = -1

    static func supervise(parent: pid_t, argv: [String]) -> ChildProcess.Termination {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { return .exited(127) }
        for fd in ends {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        (wakeRead, wakeWrite) = (ends[0], ends[1])
        terminationRequested = 0
        for s in terminationSignals {
            signal(s) { sig in
                Supervisor.terminationRequested = sig
                var b: UInt8 = 1
                _ = write(Supervisor.wakeWrite, &b, 1)
            }
        }
        signal(SIGCHLD) { _ in
            var b: UInt8 = 0
            _ = write(Supervisor.wakeWrite, &b, 1)
        }
        _ = prctl(PR_SET_PDEATHSIG, UInt(SIGTERM))
        if getppid() != parent { return .signalled(SIGTERM) }   // the runner died before we watched it
        _ = prctl(PR_SET_CHILD_SUBREAPER, 1)
        let shell: pid_t
        do {
            shell = try ChildProcess.spawn(argv, executable: nil, fileActions: nil, environment: nil)
        } catch {
            fputs("madpipe: cannot start the command: \(error)\n", stderr)
            return .exited(127)
        }
        var status: ChildProcess.Termination?
        var termSent: Double?
        while true {
            if terminationRequested != 0 && termSent == nil {
                kill(-shell, SIGTERM)
                termSent = now()
            }
            if let s = reapAll(watching: shell) { status = s }
            if let status {
                endLeftovers(group: shell)
                return status
            }
            if let t = termSent, now() - t >= grace { kill(-shell, SIGKILL) }
            awaitSignal(seconds: termSent == nil ? 1 : 0.1)
        }
    }

    /// Ends every process the command left (its group, and every descendant, which as orphans
    /// become this subreaper's children): SIGTERM, then SIGKILL after `grace`; returns when none
    /// is left (or after `grace + 10` s, for a process that not even SIGKILL ends).
    static func endLeftovers(group: pid_t) {
        let start = now()
        var termed = Set<pid_t>()
        var groupTermed = false
        while true {
            _ = reapAll(watching: -1)
            if waitpid(-1, nil, WNOHANG) < 0 && errno == ECHILD { return }   // no descendant is left
            let elapsed = now() - start
            if elapsed > grace + 10 { return }
            let kids = children()
            if elapsed < grace {
                if !groupTermed { kill(-group, SIGTERM); groupTermed = true }
                for k in kids where !termed.contains(k) { kill(k, SIGTERM); termed.insert(k) }
            } else {
                kill(-group, SIGKILL)
                for k in kids { kill(k, SIGKILL) }
            }
            awaitSignal(seconds: 0.05)
        }
    }

    /// Reaps every child that has ended; the status of `watching` if it was among them.
    static func reapAll(watching: pid_t) -> ChildProcess.Termination? {
        var found: ChildProcess.Termination?
        var status: Int32 = 0
        while true {
            let w = waitpid(-1, &status, WNOHANG)
            if w > 0 {
                if w == watching { found = ChildProcess.termination(status) }
                continue
            }
            if w < 0 && errno == EINTR { continue }
            return found
        }
    }

    /// This process's children, from /proc/self/task/*/children (scanning /proc where the
    /// kernel lacks that file).
    static func children() -> [pid_t] {
        let tasks = FileSystem.list("/proc/self/task")
        var out: [pid_t] = []
        var found = false
        for t in tasks {
            guard let text = readProc("/proc/self/task/\(t)/children") else { continue }
            found = true
            out += text.split(separator: " ").compactMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        if found { return out }
        let me = getpid()
        for name in FileSystem.list("/proc") {
            guard let pid = pid_t(name), let stat = readProc("/proc/\(name)/stat"),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, pid_t(fields[1]) == me { out.append(pid) }
        }
        return out
    }

    static func readProc(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &buf, buf.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            bytes += buf[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Waits up to `seconds` for a signal (SIGCHLD or a termination signal) to arrive.
    static func awaitSignal(seconds: Double) {
        var p = pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)
        _ = poll(&p, 1, Int32(seconds * 1000))
        var buf = [UInt8](repeating: 0, count: 64)
        while read(wakeRead, &buf, buf.count) > 0 {}
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Exits with the command's code, or dies of the same signal (without a core dump).
    static func exitLike(_ t: ChildProcess.Termination) -> Never {
        switch t {
        case let .exited(code):
            exit(code)
        case let .signalled(sig):
            var none = rlimit(rlim_cur: 0, rlim_max: 0)
            setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &none)
            signal(sig, SIG_DFL)
            raise(sig)
            exit(128 + sig)
        }
    }

    // prctl(2) is variadic in C, which Swift cannot call; its arguments are plain integers.
    static let PR_SET_PDEATHSIG: Int32 = 1
    static let PR_SET_CHILD_SUBREAPER: Int32 = 36
    typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
    static let prctlFunction: Prctl? = {
        guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "prctl") else { return nil }
        return unsafeBitCast(sym, to: Prctl.self)
    }()
    static func prctl(_ option: Int32, _ arg: UInt) -> Int32 {
        prctlFunction?(option, arg, 0, 0, 0) ?? -1
    }
}
