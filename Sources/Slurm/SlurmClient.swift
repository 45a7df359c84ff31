// SlurmClient: the side-effecting edge of the Slurm executor: runs sbatch, squeue, sacct and
// scancel as child processes. Everything above it (SlurmLauncher) goes through this protocol.

import Executors
import Foundation

/// The Slurm commands the executor needs.
public protocol SlurmClient: AnyObject {
    /// Submits a job; returns its id.
    func submit(arguments: [String], script: String, stage: String) throws -> String
    /// One batched query; ids missing from the answer are unknown to the controller (long
    /// finished). Throws when the controller cannot be asked at all.
    func states(of ids: [String]) throws -> [String: SlurmJobState]
    /// Final states from accounting (sacct, then `sacct -c`), for ids squeue no longer knows.
    func finalStates(of ids: [String]) -> [String: SlurmJobState]
    /// Ids of the jobs named `name` whose comment is `comment` (for submissions whose id was lost).
    func find(name: String, comment: String) throws -> [String]
    /// Cancels all `ids` with one scancel.
    func cancel(_ ids: [String])
}

/// Output of one finished command.
public struct CommandResult {
    public var code: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs the real commands found on PATH.
public final class SlurmCommandClient: SlurmClient {
    public init() {}

    /// Runs `argv` (looked up on PATH) with `input` on standard input.
    public static func execute(_ argv: [String], input: String? = nil) throws -> CommandResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = input == nil ? FileHandle.nullDevice : inp
        do { try p.run() } catch {
            throw SlurmError.commandNotFound(command: argv.first ?? "", problem: "\(error)")
        }
        if let input {
            inp.fileHandleForWriting.write(Data(input.utf8))
            try? inp.fileHandleForWriting.close()
        }
        // stderr is drained on another thread so that neither pipe can fill up and block the child.
        final class Box: @unchecked Sendable { var data = Data() }
        let errBox = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errBox.data = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        let errData = errBox.data
        p.waitUntilExit()
        if p.terminationStatus == 127 && outData.isEmpty {
            throw SlurmError.commandNotFound(command: argv.first ?? "", problem: String(decoding: errData, as: UTF8.self))
        }
        return CommandResult(code: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                             stderr: String(decoding: errData, as: UTF8.self))
    }

    public func submit(arguments: [String], script: String, stage: String) throws -> String {
        let r = try SlurmCommandClient.execute(["sbatch"] + arguments, input: script)
        // --parsable prints `id` or `id;cluster`.
        let id = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ";").first.map(String.init) ?? ""
        guard r.code == 0, !id.isEmpty, id.allSatisfy(\.isNumber) else {
            throw SlurmError.submitFailed(stage: stage, exitCode: r.code, stderr: r.stderr + r.stdout)
        }
        return id
    }

    public func states(of ids: [String]) throws -> [String: SlurmJobState] {
        if ids.isEmpty { return [:] }
        let r = try SlurmCommandClient.execute(["squeue", "--jobs=" + ids.joined(separator: ","), "--noheader",
                                                "--states=all", "--format=%i|%T|%r"])
        if r.code == 0 { return SlurmJobState.parseSqueue(r.stdout) }
        if SlurmJobState.isUnknownIdsError(r.stderr) { return [:] }
        throw SlurmError.commandNotFound(command: "squeue", problem: "exit \(r.code): \(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
    }

    public func finalStates(of ids: [String]) -> [String: SlurmJobState] {
        if ids.isEmpty { return [:] }
        let base = ["sacct", "--jobs=" + ids.joined(separator: ","), "--noheader", "--parsable2", "--format=JobID,State,ExitCode"]
        var found: [String: SlurmJobState] = [:]
        for extra in [["-X"], ["--completion"]] {
            if let r = try? SlurmCommandClient.execute(base + extra), r.code == 0 {
                for (k, v) in SlurmJobState.parseSacct(r.stdout) where found[k] == nil { found[k] = v }
            }
            if found.count == ids.count { break }
        }
        return found
    }

    public func find(name: String, comment: String) throws -> [String] {
        let r = try SlurmCommandClient.execute(["squeue", "--name=" + name, "--noheader", "--states=all", "--format=%i|%k"])
        guard r.code == 0 else {
            throw SlurmError.commandNotFound(command: "squeue", problem: "exit \(r.code): \(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return r.stdout.split(whereSeparator: \.isNewline).compactMap { line in
            let f = line.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
            guard f.count == 2, f[1].trimmingCharacters(in: .whitespaces) == comment else { return nil }
            let id = f[0].trimmingCharacters(in: .whitespaces)
            return id.allSatisfy(\.isNumber) && !id.isEmpty ? id : nil
        }
    }

    public func cancel(_ ids: [String]) {
        if ids.isEmpty { return }
        _ = try? SlurmCommandClient.execute(["scancel"] + ids)
    }
}
