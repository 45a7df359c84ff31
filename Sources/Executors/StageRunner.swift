// StageRunner: executes one stage instance against the store: lock, re-check, run the kind in a
// private temp directory, store outputs as objects, write the record last.

import Foundation
import PipelineCore
import PipelineStore
#if canImport(Glibc)
import Glibc
#endif

/// The engine's version, recorded in every stage record and bundle.
public let engineVersion = "0.1.0"

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
        for pid in c { ChildProcess.terminateGroup(pid) }
    }

    /// Inputs as the stage sees them: the producers' checked output directories, or for a kind
    /// that runs an external program, private copies of them under `privateRoot` (a command that
    /// writes into `${inputs.x}` changes its own copy, never a stored object).
    func artifacts(_ instance: StageInstance, records: [Int: StageRecord], privateRoot: String) throws -> [String: [InputArtifact]] {
        var out: [String: [InputArtifact]] = [:]
        for b in instance.inputs {
            out[b.name] = try b.producers.enumerated().map { n, i in
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
    public func run(_ index: Int, parts: KeyParts, records: [Int: StageRecord],
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
        let context = StageContext(
            stageId: instance.id, params: instance.params, inputs: try artifacts(instance, records: records, privateRoot: tmp + "/inputs"), paths: paths,
            outputDirectory: outDir, workDirectory: work, scratchDirectory: scratch, logPath: logPath,
            pipelineDirectory: plan.spec.directory, cpus: max(1, instance.resources.cpus),
            log: log, progress: progress, isCancelled: cancelled,
            registerChild: { [weak self] pid in
                self?.childLock.lock()
                self?.children.insert(pid)
                self?.childLock.unlock()
            })
        do {
            try instance.kind.execute(context)
            try context.checkCancelled()
        } catch {
            closeLog()
            let kept = store.failedLogPath(key)
            unlink(kept)
            _ = Glibc.rename(logPath, kept)
            if case PipelineError.interrupted = error { throw error }
            let reason = (error as? StageError)?.message ?? "\(error)"
            throw PipelineError.stageFailed(stage: instance.id, reason: reason, logTail: ChildProcess.tail(kept), logPath: kept)
        }
        closeLog()
        let tree = try store.tree(outDir, store: true)
        let logDigest = try store.put(FileSystem.read(logPath) ?? Data())
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0.uptimeNanoseconds) / 1e9
        let record = StageRecord(key: key, stage: instance.id, pipeline: plan.spec.name, parts: parts, output: tree.digest,
                                 objects: tree.objects + [logDigest], size: tree.size, log: logDigest, started: StageRecord.timestamp(started),
                                 seconds: seconds, host: ProcessInfo.processInfo.hostName, engine: engineVersion,
                                 executor: executorName)
        try store.adoptOutput(outDir, key: key)
        // Stages that took a while are committed durably (flushed to disk); cheap ones are
        // crash-consistent through atomic renames alone and simply recompute after a power loss.
        try store.write(record, durable: seconds >= StageRunner.durableAfterSeconds)
        FileSystem.remove(work)
        return .executed(record)
    }
}
