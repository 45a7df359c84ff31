// ChildProcess: starts external programs in their own process group (posix_spawn), waits for
// them and stops them. Commands of stages are not started here directly but under a Supervisor
// (Supervisor.swift), which makes them die with the run.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum ChildProcess {
    /// glibc's posix_spawn_file_actions_addchdir_np (2.29+), which Swift's Glibc module hides.
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    static let addChdir: AddChdir? = {
        guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addchdir_np") else { return nil }
        return unsafeBitCast(sym, to: AddChdir.self)
    }()

    /// How a child ended.
    public enum Termination: Equatable {
        case exited(Int32)
        case signalled(Int32)
    }

    /// glibc's posix_spawn_file_actions_addclosefrom_np (2.34+).
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    static let addCloseFrom: AddCloseFrom? = {
        guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(sym, to: AddCloseFrom.self)
    }()

    /// Starts `argv` in `directory` with `environment`, output appended to `logPath`, in a new
    /// process group. `executable` is the file run (default: `argv[0]`, looked up in PATH).
    /// The child gets descriptors 0 (/dev/null), 1 and 2 (the log) and, when `inheriting` is
    /// given, that descriptor as 3 (it is close-on-exec here, so no child another thread starts
    /// meanwhile gets it); every other descriptor this process has is closed in the child.
    /// Returns the pid, which is also the process group id.
    public static func spawn(_ argv: [String], executable: String? = nil, directory: String, environment: [String: String],
                             logPath: String, inheriting: Int32? = nil) throws -> pid_t {
        var fa = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fa)
        defer { posix_spawn_file_actions_destroy(&fa) }
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&fa, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&fa, 1, 2)
        // dup2 onto another number clears close-on-exec; onto itself it does too (glibc 2.29+).
        if let fd = inheriting { posix_spawn_file_actions_adddup2(&fa, fd, 3) }
        let firstClosed: Int32 = inheriting == nil ? 3 : 4
        if let closeFrom = addCloseFrom {
            _ = closeFrom(&fa, firstClosed)
        } else {
            for name in FileSystem.list("/proc/self/fd") {
                if let fd = Int32(name), fd >= firstClosed { posix_spawn_file_actions_addclose(&fa, fd) }
            }
        }
        guard let addchdir = addChdir else {
            throw PosixError(path: directory, operation: "posix_spawn_file_actions_addchdir_np unavailable; chdir", code: ENOSYS)
        }
        _ = addchdir(&fa, directory)
        let cenv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in cenv { free(p) } }
        return try spawn(argv, executable: executable, fileActions: &fa, environment: cenv)
    }

    /// posix_spawn in a new process group with default signal handling and an empty signal
    /// mask; `environment` nil keeps this process's environment.
    static func spawn(_ argv: [String], executable: String?, fileActions: UnsafeMutablePointer<posix_spawn_file_actions_t>?,
                      environment: [UnsafeMutablePointer<CChar>?]?) throws -> pid_t {
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        posix_spawnattr_setpgroup(&attr, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for sig in [SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGQUIT, SIGCHLD] { sigaddset(&defaults, sig) }
        posix_spawnattr_setsigdefault(&attr, &defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let cargs = argv.map { strdup($0) } + [nil]
        defer { for p in cargs { free(p) } }
        var pid: pid_t = 0
        let file = executable ?? argv[0]
        let rc = environment.map { env in env.withUnsafeBufferPointer { posix_spawnp(&pid, file, fileActions, &attr, cargs, $0.baseAddress) } }
            ?? posix_spawnp(&pid, file, fileActions, &attr, cargs, environ)
        guard rc == 0 else { throw PosixError(path: file, operation: "spawn", code: rc) }
        return pid
    }

    /// Waits for a child to end.
    public static func wait(_ pid: pid_t) -> Termination {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return .exited(-1) }
        }
        return termination(status)
    }

    /// Decodes a waitpid status.
    static func termination(_ status: Int32) -> Termination {
        status & 0x7f == 0 ? .exited((status >> 8) & 0xff) : .signalled(status & 0x7f)
    }

    /// Asks a process group to end (SIGTERM). A supervisor's group ends its command's group
    /// itself (SIGTERM, then SIGKILL after Supervisor.grace seconds); SIGKILL follows here only
    /// if the group still exists well after that.
    public static func terminateGroup(_ pgid: pid_t, grace: Double = Supervisor.grace + 5) {
        kill(-pgid, SIGTERM)
        DispatchQueue.global().asyncAfter(deadline: .now() + grace) {
            if kill(-pgid, 0) == 0 { kill(-pgid, SIGKILL) }
        }
    }

    /// The last `lines` lines of a file.
    public static func tail(_ path: String, lines: Int = 20) -> String {
        guard let data = FileSystem.read(path) else { return "" }
        let tailBytes = data.suffix(16_384)
        let text = String(decoding: tailBytes, as: UTF8.self)
        var all = text.split(separator: "\n", omittingEmptySubsequences: false)
        if all.last == "" { all.removeLast() }
        return all.suffix(lines).joined(separator: "\n")
    }
}
