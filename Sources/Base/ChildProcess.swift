// ChildProcess: waits for and stops child processes (such as the supervisors PipelineStore's
// Supervisor starts for a stage's command), and reads the tail of their logs.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum ChildProcess {
    /// How a child ended.
    public enum Termination: Equatable {
        case exited(Int32)
        case signalled(Int32)
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

    /// Asks a process group to end (SIGTERM); SIGKILL follows if the group still exists after
    /// `grace` seconds.
    public static func terminateGroup(_ pgid: pid_t, grace: Double) {
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
