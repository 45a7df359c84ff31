// SlurmLauncher: runs each launched stage as one Slurm job (`sbatch` of `madpipe exec-stage`).
// A single poller thread claims new stages (cache check, adopt a recorded job, or submit under
// the key's lock), asks Slurm about all tracked jobs with one query per round (backing off while
// nothing changes), and reports a job done only once its stage record is in the store.

import Base
import Executors
import Foundation
import PipelineCore
import PipelineStore

public final class SlurmLauncher: StageLauncher {
    /// A stage handed to the launcher and not yet reported done.
    final class Entry {
        let index: Int
        let key: String
        let stageId: String
        let resources: Resources
        let progress: (Double?, String) -> Void
        let done: (Result<StageOutcome, Error>) -> Void
        /// The job tracked for this stage.
        var jobId = ""
        /// The job was found in a job file (a previous head's), not submitted by this launcher.
        var adopted = false
        /// A recorded job found to have ended without a record; never adopt it again.
        var staleJob: String? = nil
        var lastState = ""
        /// When the job was first seen ended without a record (the record may still be in flight).
        var endedAt: Date? = nil

        init(index: Int, key: String, stageId: String, resources: Resources,
             progress: @escaping (Double?, String) -> Void, done: @escaping (Result<StageOutcome, Error>) -> Void) {
            self.index = index
            self.key = key
            self.stageId = stageId
            self.resources = resources
            self.progress = progress
            self.done = done
        }
    }

    let plan: Plan
    let store: Store
    let settings: SlurmSettings
    let client: SlurmClient
    /// How long a job that ended successfully may go without its record appearing (shared
    /// filesystems can show a file late) before it counts as failed.
    public var recordGrace = 5.0
    /// How long a pending job file (sbatch in flight, id not yet recorded) is waited for before
    /// the stage is submitted anew.
    public var pendingGrace = 15.0

    private let cond = NSCondition()
    private var wanted: [Entry] = []
    /// Job id -> the stages waiting for it (two instances with one key share a job).
    private var tracked: [String: [Entry]] = [:]
    private var cancelled = false
    private var started = false
    private var counters = (submitted: 0, adopted: 0, queries: 0)
    private let head = "\(ProcessInfo.processInfo.hostName):\(getpid())"

    public init(plan: Plan, store: Store, settings: SlurmSettings, client: SlurmClient = SlurmCommandClient()) {
        self.plan = plan
        self.store = store
        self.settings = settings
        self.client = client
    }

    /// Jobs submitted, jobs adopted from job files, and status queries made so far.
    public var statistics: (submitted: Int, adopted: Int, queries: Int) {
        cond.lock(); defer { cond.unlock() }
        return counters
    }

    public func launch(_ index: Int, parts: KeyParts, records: [Int: StageRecord],
                       progress: @escaping (Double?, String) -> Void,
                       done: @escaping (Result<StageOutcome, Error>) -> Void) {
        let inst = plan.instances[index]
        let e = Entry(index: index, key: parts.key, stageId: inst.id, resources: inst.resources, progress: progress, done: done)
        cond.lock()
        if cancelled {
            cond.unlock()
            done(.failure(PipelineError.interrupted))
            return
        }
        wanted.append(e)
        if !started {
            started = true
            let t = Thread { [weak self] in self?.pollLoop() }
            t.name = "madpipe-slurm-poller"
            t.start()
        }
        cond.signal()
        cond.unlock()
    }

    public func cancelAll() {
        cond.lock()
        if cancelled { cond.unlock(); return }
        cancelled = true
        let entries = tracked.values.flatMap { $0 } + wanted
        tracked.removeAll()
        wanted.removeAll()
        cond.signal()
        cond.unlock()
        client.cancel(Set(entries.map(\.jobId).filter { !$0.isEmpty }).sorted())
        for e in entries { e.done(.failure(PipelineError.interrupted)) }
    }

    /// 16 random hex digits (the submission token).
    static func token() -> String {
        String(UInt64.random(in: 0...UInt64.max), radix: 16).leftPadded(to: 16)
    }

    private var isCancelled: Bool {
        cond.lock(); defer { cond.unlock() }
        return cancelled
    }

    // MARK: Poller

    private func pollLoop() {
        var interval = settings.minPoll
        while true {
            cond.lock()
            while !cancelled && wanted.isEmpty && tracked.isEmpty { cond.wait() }
            if cancelled { cond.unlock(); return }
            let claims = wanted
            wanted.removeAll()
            cond.unlock()

            var changed = false
            var busy: [Entry] = []
            for e in claims {
                if isCancelled { e.done(.failure(PipelineError.interrupted)); continue }
                if claim(e) { changed = true } else { busy.append(e) }
            }
            if pollTracked() { changed = true }

            cond.lock()
            if cancelled {
                cond.unlock()
                for e in busy { e.done(.failure(PipelineError.interrupted)) }
                return
            }
            wanted.append(contentsOf: busy)
            interval = changed ? settings.minPoll : min(settings.maxPoll, interval * 1.5)
            if wanted.count == busy.count {
                // Sleep unless new stages arrived meanwhile; a launch or cancel wakes us early.
                _ = cond.wait(until: Date().addingTimeInterval(interval))
            }
            cond.unlock()
        }
    }

    /// Takes a new stage: cached -> done; a job recorded for its key -> tracked (adopted);
    /// otherwise submits under the key's lock. False when another process holds the lock and
    /// no job is recorded yet (try again next round).
    private func claim(_ e: Entry) -> Bool {
        if let r = store.completeRecord(e.key) { e.done(.success(.cached(r))); return true }
        let lock = FileLock(path: store.lockPath(e.key))
        let locked: Bool
        do { locked = try lock.tryLock() } catch { e.done(.failure(error)); return true }
        defer { lock.unlock() }
        if let r = store.completeRecord(e.key) { e.done(.success(.cached(r))); return true }
        if let job = SlurmJobFile.read(root: store.root, key: e.key) {
            var id = job.jobId
            if job.isPending {
                // A submission whose head died (or is still waiting for sbatch): find its job by
                // name and token; give an orphaned sbatch `pendingGrace` seconds to finish.
                let name = SlurmJobSpec.jobName(pipeline: plan.spec.name, stage: e.stageId, key: e.key)
                do { id = try client.find(name: name, comment: job.comment).max { $0.count != $1.count ? $0.count < $1.count : $0 < $1 } ?? "" } catch {
                    e.progress(nil, "cannot query Slurm (will retry): \(error)")
                    return false
                }
                if id.isEmpty && Date().timeIntervalSince(job.submitted) < pendingGrace {
                    e.progress(nil, "waiting for a submission of another madpipe process")
                    return false
                }
                if !id.isEmpty {
                    var found = job
                    found.jobId = id
                    try? found.write(root: store.root)
                }
            }
            if !id.isEmpty && id != e.staleJob {
                e.jobId = id
                e.adopted = true
                e.progress(nil, "adopted Slurm job \(id)")
                track(e, adopted: true)
                return true
            }
        }
        guard locked else {
            e.progress(nil, "waiting for another madpipe process")
            return false
        }
        let log = SlurmJobFile.logPath(root: store.root, key: e.key)
        do {
            try FileSystem.makeDirectory((log as NSString).deletingLastPathComponent)
            // Intent first: a head killed during sbatch leaves this pending file, and the next
            // head finds the job by its token instead of submitting a second one.
            var file = SlurmJobFile(jobId: "", token: SlurmLauncher.token(), key: e.key, pipeline: plan.spec.name,
                                    stage: e.stageId, submitted: Date(), head: head)
            try file.write(root: store.root)
            let spec = SlurmJobSpec(stageId: e.stageId, key: e.key, pipelineName: plan.spec.name,
                                    resources: e.resources, settings: settings, logPath: log, comment: file.comment)
            let id = try client.submit(arguments: spec.arguments, script: spec.script, stage: e.stageId)
            e.jobId = id
            e.adopted = false
            file.jobId = id
            try file.write(root: store.root)
            e.progress(nil, "submitted Slurm job \(id)")
            track(e, adopted: false)
        } catch {
            if !e.jobId.isEmpty { client.cancel([e.jobId]) }
            e.done(.failure(error))
        }
        return true
    }

    private func track(_ e: Entry, adopted: Bool) {
        cond.lock()
        if cancelled {
            cond.unlock()
            client.cancel([e.jobId])
            e.done(.failure(PipelineError.interrupted))
            return
        }
        tracked[e.jobId, default: []].append(e)
        if adopted { counters.adopted += 1 } else { counters.submitted += 1 }
        cond.unlock()
    }

    /// Removes `id` from tracking; its entries if it was still tracked (so `done` runs once).
    private func untrack(_ id: String) -> [Entry] {
        cond.lock(); defer { cond.unlock() }
        return tracked.removeValue(forKey: id) ?? []
    }

    /// One batched status query for every tracked job; true when anything changed.
    private func pollTracked() -> Bool {
        cond.lock()
        let ids = tracked.keys.sorted { $0.count != $1.count ? $0.count < $1.count : $0 < $1 }
        let entries = tracked
        if !ids.isEmpty { counters.queries += 1 }
        cond.unlock()
        if ids.isEmpty { return false }
        let states: [String: SlurmJobState]
        do { states = try client.states(of: ids) } catch {
            for e in entries.values.joined() { e.progress(nil, "cannot query Slurm (will retry): \(error)") }
            return false
        }
        let missing = ids.filter { states[$0] == nil }
        let accounted = missing.isEmpty ? [:] : client.finalStates(of: missing)
        var changed = false
        for id in ids {
            guard let e = entries[id]?.first else { continue }
            let st = states[id] ?? accounted[id]
            if let st, !st.isFinal {
                if st.summary != e.lastState {
                    e.lastState = st.summary
                    for w in entries[id] ?? [] { w.progress(nil, "Slurm job \(id): \(st.summary)") }
                    changed = true
                }
                continue
            }
            // Ended (or long gone): the store decides.
            if let r = store.completeRecord(e.key) {
                for w in untrack(id) { w.done(.success(.executed(r))) }
                changed = true
                continue
            }
            let stateText = st?.summary ?? "(no longer known to Slurm)"
            if st == nil || st?.state == "COMPLETED" {
                let first = e.endedAt ?? Date()
                e.endedAt = first
                if Date().timeIntervalSince(first) < recordGrace { continue }
            }
            changed = true
            for w in untrack(id) {
                if w.adopted {
                    // A previous head's job that ended without a record: submit the stage again.
                    w.progress(nil, "Slurm job \(id) ended \(stateText) without a record; resubmitting")
                    w.staleJob = id
                    w.adopted = false
                    w.jobId = ""
                    w.endedAt = nil
                    w.lastState = ""
                    cond.lock()
                    if cancelled { cond.unlock(); w.done(.failure(PipelineError.interrupted)) } else { wanted.append(w); cond.unlock() }
                    continue
                }
                let log = SlurmJobFile.logPath(root: store.root, key: w.key)
                w.done(.failure(PipelineError.stageFailed(
                    stage: w.stageId, reason: "Slurm job \(id) ended \(stateText) without writing its stage record",
                    logTail: ChildProcess.tail(log), logPath: log)))
            }
        }
        return changed
    }
}

extension String {
    func leftPadded(to n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
