// StageRunner: executes one stage instance against the store: lock, re-check, run the kind in a
// private temp directory, store outputs as objects, write the record last. Every execution's log
// is kept (an object on success, logs/<key>.log on failure, with a built-in stage's error) and
// noted as its stage id's latest (StageLogIndex); a partial gather gets `missing.csv`.

import BuildInfo
import Base
import Foundation
import PipelineCore
import PipelineStore
#if canImport(Glibc)
import Glibc
#endif

/// The engine's version, recorded in every stage record and bundle (defined once, in BuildInfo).
public let engineVersion = BuildInfo.version

/// The outcome of asking for one stage.
public enum StageOutcome {
    /// Computed by this process.
    case executed(StageRecord)
    /// Found complete (possibly computed meanwhile by another process).
    case cached(StageRecord)
}

/// Runs single stages. Shared by the local executor and `madpipe exec-stage`.
public final class StageRunner: @unchecked Sendable {
    public let store: Store
    public let plan: Plan
    let cancelled: () -> Bool
    private let childLock = NSLock()
    private var children: Set<Int32> = []
    public var executorName = "local"
    /// Called when an execution's live log is created (stage id, path): the display tails it.
    public var logOpened: ((String, String) -> Void)?
    /// Stages running at least this long are flushed to disk before their record is written.
    public static let durableAfterSeconds = 0.5

    public init(store: Store, plan: Plan, isCancelled: @escaping () -> Bool) {
        self.store = store
        self.plan = plan
        self.cancelled = isCancelled
    }

    /// Terminates every running child process group (on interrupt).
    public func terminateChildren() {
        childLock.lock()
        let c = children
        childLock.unlock()
        // A supervisor ends its command's group itself (SIGTERM, then SIGKILL after
        // Supervisor.grace seconds); SIGKILL follows here only if the group outlives that well.
        for pid in c { ChildProcess.terminateGroup(pid, grace: Supervisor.grace + 5) }
    }

    /// Inputs as the stage sees them: the producers' checked output directories, or for a kind
    /// that runs an external program, private copies of them under `privateRoot` (a command that
    /// writes into `${inputs.x}` changes its own copy, never a stored object).
    /// With `partial`, producers without a record (failed or skipped) are left out.
    func artifacts(_ instance: StageInstance, records: [Int: StageRecord], privateRoot: String, partial: Bool = false) throws -> [String: [InputArtifact]] {
        var out: [String: [InputArtifact]] = [:]
        for b in instance.inputs {
            let producers = partial ? b.producers.filter { records[$0] != nil } : b.producers
            out[b.name] = try producers.enumerated().map { n, i in
                let rec = records[i]!
                let dir = try store.outputDirectory(of: rec)
                var path = b.subpath.isEmpty ? dir : dir + "/" + b.subpath
                if instance.kind.runsExternalProgram {
                    let copy = privateRoot + "/\(b.name).\(n)"
                    try FileSystem.makeDirectory(copy)
                    let target = b.subpath.isEmpty ? copy + "/out" : copy + "/" + (b.subpath as NSString).lastPathComponent
                    try FileSystem.copyTree(path, to: target)
                    path = target
                }
                return InputArtifact(stageId: plan.instances[i].id, assignment: plan.instances[i].assignment,
                                     path: path, digest: rec.output)
            }
        }
        return out
    }

    /// Runs instance `index` with key `parts.key` unless it is complete. Blocks while another
    /// process holds the key's lock, then uses that process's result.
    /// `missing` (a partial gather's inputs that failed or were skipped) is written to the
    /// output as `missing.csv` (stage, reason); `records` then lacks them.
    public func run(_ index: Int, parts: KeyParts, records: [Int: StageRecord], missing: [MissingInput] = [],
                    progress: @escaping (Double?, String) -> Void) throws -> StageOutcome {
        let instance = plan.instances[index]
        let key = parts.key
        if let r = store.completeRecord(key) { return .cached(r) }
        let lock = FileLock(path: store.lockPath(key))
        if try !lock.tryLock() {
            progress(nil, "waiting for another madpipe process")
            try lock.lock()
        }
        defer { lock.unlock() }
        if let r = store.completeRecord(key) { return .cached(r) }

        let started = Date()
        let t0 = DispatchTime.now()
        let tmp = try store.makeTemporaryDirectory(key)
        defer { FileSystem.remove(tmp) }
        let outDir = tmp + "/out", scratch = tmp + "/scratch", logPath = tmp + "/log.txt"
        try FileSystem.makeDirectory(outDir)
        let work = store.workPath(key)
        let logFD = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard logFD >= 0 else { throw PosixError(path: logPath, operation: "create log") }
        func noteLog(_ state: StageLogEntry.State, path: String?, digest: String? = nil) {
            try? store.noteLog(StageLogEntry(stage: instance.id, pipeline: plan.spec.name, key: key, state: state,
                                             path: path, digest: digest, started: StageRecord.timestamp(started)))
        }
        noteLog(.running, path: logPath)
        logOpened?(instance.id, logPath)
        let logLock = NSLock()
        var logOpen = true
        func closeLog() {
            logLock.lock()
            if logOpen { close(logFD); logOpen = false }
            logLock.unlock()
        }
        func log(_ line: String) {
            logLock.lock()
            defer { logLock.unlock() }
            guard logOpen else { return }
            let bytes = Array((line + "\n").utf8)
            _ = bytes.withUnsafeBytes { Glibc.write(logFD, $0.baseAddress, $0.count) }
        }
        var paths: [String: String] = [:]
        for (name, path, _) in KeyBuilder.paths(of: instance, pipelineDirectory: plan.spec.directory) { paths[name] = path }
        let tree: TreeInfo
        do {
            let context = StageContext(
                stageId: instance.id, params: instance.params, inputs: try artifacts(instance, records: records, privateRoot: tmp + "/inputs", partial: !missing.isEmpty), paths: paths,
                outputDirectory: outDir, workDirectory: work, scratchDirectory: scratch, logPath: logPath,
                pipelineDirectory: plan.spec.directory, cpus: max(1, instance.resources.cpus),
                log: log, progress: progress, isCancelled: cancelled,
                registerChild: { [weak self] pid in
                    self?.childLock.lock()
                    self?.children.insert(pid)
                    self?.childLock.unlock()
                })
            try instance.kind.execute(context)
            try context.checkCancelled()
            if !missing.isEmpty { try StageRunner.writeMissing(missing, to: outDir + "/missing.csv") }
            closeLog()
            // Storing the outputs can fail too (a symlink among them): that error is logged as well.
            tree = try store.tree(outDir, store: true)
        } catch {
            let interrupted: Bool
            if case PipelineError.interrupted = error { interrupted = true } else { interrupted = false }
            let reason = (error as? StageError)?.message ?? "\(error)"
            closeLog()
            StageRunner.append(interrupted ? "madpipe: interrupted" : "madpipe: stage \(instance.id) failed: \(reason)", to: logPath)
            let kept = store.failedLogPath(key)
            unlink(kept)
            _ = Glibc.rename(logPath, kept)
            noteLog(interrupted ? .interrupted : .failed, path: kept)
            if interrupted { throw error }
            throw PipelineError.stageFailed(stage: instance.id, reason: reason, logTail: ChildProcess.tail(kept), logPath: kept)
        }
        let logDigest = try store.put(FileSystem.read(logPath) ?? Data())
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0.uptimeNanoseconds) / 1e9
        let record = StageRecord(key: key, stage: instance.id, pipeline: plan.spec.name, parts: parts, output: tree.digest,
                                 objects: tree.objects + [logDigest], size: tree.size, log: logDigest, started: StageRecord.timestamp(started),
                                 seconds: seconds, host: ProcessInfo.processInfo.hostName, engine: engineVersion,
                                 executor: executorName, environment: .current)
        try store.adoptOutput(outDir, key: key)
        // Stages that took a while are committed durably (flushed to disk); cheap ones are
        // crash-consistent through atomic renames alone and simply recompute after a power loss.
        try store.write(record, durable: seconds >= StageRunner.durableAfterSeconds)
        noteLog(.succeeded, path: nil, digest: logDigest)
        FileSystem.remove(work)
        return .executed(record)
    }

    /// Appends a line to a closed log.
    static func append(_ line: String, to path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    /// Writes a partial gather's `missing.csv`: one row per input instance it ran without.
    static func writeMissing(_ missing: [MissingInput], to path: String) throws {
        func field(_ s: String) -> String {
            let flat = s.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
            return flat.contains(where: { $0 == "," || $0 == "\"" }) ? "\"" + flat.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : flat
        }
        let text = "stage,reason\n" + missing.map { field($0.stage) + "," + field($0.reason) + "\n" }.joined()
        try FileSystem.writeAtomically(Data(text.utf8), to: path)
    }
}
