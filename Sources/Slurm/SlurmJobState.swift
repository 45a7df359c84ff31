// SlurmJobState: Slurm's job states as squeue/sacct print them, whether each is final, and the
// parsers for the batched status answers (`squeue --format='%i|%T|%r'`, `sacct --parsable2`).

import Executors
import Foundation

/// A job's state and, when known, the reason or exit code that goes with it.
public struct SlurmJobState: Equatable {
    /// `PENDING`, `RUNNING`, `COMPLETED`, `FAILED`, ... (sacct's `CANCELLED by 0` is cut to `CANCELLED`).
    public var state: String
    /// squeue's reason (`Resources`, `NonZeroExitCode`) or sacct's exit code (`1:0`).
    public var detail: String

    public init(state: String, detail: String = "") {
        self.state = state
        self.detail = detail
    }

    /// States after which the job will never run again by itself.
    public static let finalStates: Set<String> = [
        "COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "PREEMPTED", "OUT_OF_MEMORY",
        "BOOT_FAIL", "DEADLINE", "REVOKED", "SPECIAL_EXIT",
    ]

    /// True when the job has ended (it may still be requeued by an admin, which we ignore).
    public var isFinal: Bool { SlurmJobState.finalStates.contains(state) }

    /// `RUNNING`, `FAILED (NonZeroExitCode)`.
    public var summary: String {
        detail.isEmpty || detail == "None" ? state : "\(state) (\(detail))"
    }

    /// Parses `squeue --noheader --format='%i|%T|%r'` lines into id -> state. Lines that do not
    /// parse (and array or het-job sub ids) are ignored.
    public static func parseSqueue(_ text: String) -> [String: SlurmJobState] {
        var out: [String: SlurmJobState] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let f = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard f.count >= 2, !f[0].isEmpty, f[0].allSatisfy(\.isNumber), !f[1].isEmpty else { continue }
            out[f[0]] = SlurmJobState(state: f[1], detail: f.count > 2 ? f[2] : "")
        }
        return out
    }

    /// Parses `sacct --noheader --parsable2 --format=JobID,State,ExitCode` lines; step lines
    /// (`12.batch`) are skipped and the last line for an id wins (a requeued job's latest run).
    public static func parseSacct(_ text: String) -> [String: SlurmJobState] {
        var out: [String: SlurmJobState] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let f = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 3, !f[0].isEmpty, f[0].allSatisfy(\.isNumber) else { continue }
            let state = f[1].split(separator: " ").first.map(String.init) ?? f[1]
            guard !state.isEmpty else { continue }
            out[f[0]] = SlurmJobState(state: state, detail: "exit " + f[2])
        }
        return out
    }

    /// True for squeue's answer to a list in which no id is known any more.
    public static func isUnknownIdsError(_ stderr: String) -> Bool {
        stderr.contains("Invalid job id specified")
    }
}
