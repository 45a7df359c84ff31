// Supervisor: starts a stage's command so that it never outlives the run that started it. The
// supervising process is forked from madpipe and runs only the async-signal-safe C of
// Sources/CSupervisor (one fork, where starting madpipe again cost 20-40 ms a stage); supervisor.c
// says what it guarantees: it dies with its runner (PR_SET_PDEATHSIG), ends everything the command
// left behind before the stage's outputs are hashed (it is a child subreaper), passes the `${work}`
// lock to every process of the execution, and exits as the command's shell did.

import CSupervisor
import Base
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum Supervisor {
    /// Seconds a command gets between SIGTERM and SIGKILL.
    public static let grace: Double = 3

    /// Starts `argv` (e.g. `[shell, "-c", line]`) under a supervisor, in `directory` with
    /// `environment`, output appended to `logPath`; `inheriting` (a lock) is descriptor 3 of the
    /// command and of all it starts. Returns the supervisor's pid (also its process group id).
    public static func spawn(_ argv: [String], directory: String, environment: [String: String], logPath: String,
                             inheriting: Int32? = nil) throws -> pid_t {
        guard let program = argv.first, let path = resolve(program, in: environment["PATH"] ?? "/usr/bin:/bin") else {
            throw PosixError(path: argv.first ?? "", operation: "find the program to run (not on PATH)", code: ENOENT)
        }
        // Everything the forked supervisor needs, prepared here: it may not allocate.
        let cargs = argv.map { strdup($0) } + [nil]
        let cenv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in cargs { free(p) }
            for p in cenv { free(p) }
        }
        let pid = cargs.withUnsafeBufferPointer { a in
            cenv.withUnsafeBufferPointer { e in
                madpipe_supervise(path, a.baseAddress, e.baseAddress, directory, logPath, inheriting ?? -1, getpid(),
                                  Int32(grace * 1000))
            }
        }
        guard pid > 0 else { throw PosixError(path: program, operation: "fork a supervisor for") }
        return pid
    }

    /// The executable `program` names: itself when it holds a `/`, else the first match on `path`.
    static func resolve(_ program: String, in path: String) -> String? {
        if program.contains("/") { return program }
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/\(program)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}
