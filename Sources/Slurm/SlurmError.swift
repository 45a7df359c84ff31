// SlurmError: what can go wrong when talking to Slurm (sbatch, squeue, scancel) or reading the
// `executor:` settings, with the command, field or file that the user needs to look at.

import Executors
import Foundation

/// A failure of the Slurm executor itself (not of a stage).
public enum SlurmError: Error, CustomStringConvertible, Equatable {
    /// `executor.<field>` in `file` has a bad value.
    case badSetting(file: String, field: String, problem: String)
    /// A Slurm command could not be started at all (not installed, not on PATH).
    case commandNotFound(command: String, problem: String)
    /// `sbatch` failed or printed no job id.
    case submitFailed(stage: String, exitCode: Int32, stderr: String)
    /// A file of the executor's own under the cache could not be written.
    case cacheWrite(path: String, problem: String)

    public var description: String {
        switch self {
        case let .badSetting(file, field, problem):
            return "\(file): executor.\(field): \(problem)"
        case let .commandNotFound(command, problem):
            return "cannot run '\(command)': \(problem) (is Slurm's client installed and on PATH?)"
        case let .submitFailed(stage, code, stderr):
            let msg = stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            return "sbatch failed for stage \(stage) (exit \(code))" + (msg.isEmpty ? "" : ": \(msg)")
        case let .cacheWrite(path, problem):
            return "cannot write '\(path)': \(problem)"
        }
    }
}
