// PipelineRun: drives a run: walks the plan with the SchedulerCore, checks each ready stage
// against the cache on the control thread, and hands the rest to a launcher (local threads, or
// Slurm jobs). Interrupts stop launching and end running stages; finished work stays cached.

import Foundation
import PipelineCore
import PipelineStore

/// Starts stages somewhere and reports when they end.
public protocol StageLauncher: AnyObject {
    /// Starts instance `index`; calls `done` exactly once, from any thread.
    func launch(_ index: Int, parts: KeyParts, records: [Int: StageRecord],
                progress: @escaping (Double?, String) -> Void,
                done: @escaping (Result<StageOutcome, Error>) -> Void)
    /// Ends everything running (interrupt).
    func cancelAll()
}

/// Runs stages on threads of this process.
public final class LocalLauncher: StageLauncher {
    let runner: StageRunner
    public init(runner: StageRunner) { self.runner = runner }

    public func launch(_ index: Int, parts: KeyParts, records: [Int: StageRecord],
                       progress: @escaping (Double?, String) -> Void,
                       done: @escaping (Result<StageOutcome, Error>) -> Void) {
        let runner = self.runner
        let thread = Thread {
            done(Result { try runner.run(index, parts: parts, records: records, progress: progress) })
        }
        thread.stackSize = 16 << 20
        thread.start()
    }

    public func cancelAll() { runner.terminateChildren() }
}

/// Options of one run.
public struct RunOptions {
    public var jobs: Int = ProcessInfo.processInfo.activeProcessorCount
    public var memory: Int = Int(ProcessInfo.processInfo.physicalMemory)
    public var keepGoing = false
    public init() {}
}

/// A thread-safe flag raised by Ctrl-C.
public final class CancellationFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var raised = false
    public init() {}
    public var isRaised: Bool { lock.lock(); defer { lock.unlock() }; return raised }
    public func raise() { lock.lock(); raised = true; lock.unlock() }
}

public final class PipelineRun {
    public let plan: Plan
    public let store: Store
    let options: RunOptions
    let launcher: StageLauncher
    let observer: RunObserver?
    let cancel: CancellationFlag
    private let cond = NSCondition()
    private var completions: [(Int, Result<StageOutcome, Error>)] = []

    public init(plan: Plan, store: Store, options: RunOptions, launcher: StageLauncher,
                observer: RunObserver?, cancel: CancellationFlag) {
        self.plan = plan
        self.store = store
        self.options = options
        self.launcher = launcher
        self.observer = observer
        self.cancel = cancel
    }

    /// Wakes the control loop (after an interrupt).
    public func wake() {
        cond.lock()
        cond.signal()
        cond.unlock()
    }

    /// For each stage of `ready`: its key parts and, when the store holds the stage complete, its
    /// record (noting it as the stage's latest key). Batches of 256 or more are checked on all
    /// cores: a sweep's no-op re-run is thousands of independent record reads.
    func checkCache(_ ready: [Int], records: [Int: StageRecord]) -> [Result<(KeyParts, StageRecord?), Error>] {
        func check(_ i: Int) -> Result<(KeyParts, StageRecord?), Error> {
            Result {
                let parts = try KeyBuilder.parts(for: plan.instances[i], plan: plan, records: records, store: store)
                let record = store.completeRecord(parts.key)
                if record != nil { try? store.noteLatestIfNeeded(pipeline: plan.spec.name, stage: plan.instances[i].id, key: parts.key) }
                return (parts, record)
            }
        }
        let threads = ProcessInfo.processInfo.activeProcessorCount
        guard ready.count >= 256, threads > 1 else { return ready.map(check) }
        var results = [Result<(KeyParts, StageRecord?), Error>?](repeating: nil, count: ready.count)
        results.withUnsafeMutableBufferPointer { out in
            let slots = out.baseAddress!    // each thread writes its own range
            DispatchQueue.concurrentPerform(iterations: threads) { part in
                for k in (ready.count * part / threads)..<(ready.count * (part + 1) / threads) { slots[k] = check(ready[k]) }
            }
        }
        return results.map { $0! }
    }

    /// Runs `selected` instances (all when nil) and what they depend on.
    public func run(selected: [Int]? = nil) -> RunSummary {
        let t0 = DispatchTime.now()
        let targets = plan.closure(of: selected ?? Array(plan.instances.indices))
        var core = SchedulerCore(dependencies: plan.instances.map(\.dependencies), selected: targets,
                                 resources: { self.plan.instances[$0].resources },
                                 cpus: options.jobs, memory: options.memory, keepGoing: options.keepGoing)
        observer?.runStarted(plan: plan, selected: targets.count)
        var summary = RunSummary()
        var records: [Int: StageRecord] = [:]
        var keys: [Int: String] = [:]
        var partsFor: [Int: KeyParts] = [:]
        var started: [Int: DispatchTime] = [:]
        var status: [Int: (StageStatus, Double)] = [:]

        func end(_ i: Int, _ s: StageStatus, _ seconds: Double, _ error: Error?) {
            status[i] = (s, seconds)
            observer?.stageEnded(plan.instances[i].id, status: s, seconds: seconds, error: error)
        }

        while true {
            if cancel.isRaised && !core.stopped {
                core.stop()
                summary.interrupted = true
                launcher.cancelAll()
            }
            // Check newly ready stages against the cache (in parallel for large batches: the
            // checks only read the store), then update the scheduler on this thread.
            var progressed = true
            while progressed {
                progressed = false
                let ready = core.takeNewlyReady()
                progressed = !ready.isEmpty
                if ready.isEmpty || core.stopped { continue }
                for (i, check) in zip(ready, checkCache(ready, records: records)) {
                    switch check {
                    case let .success((parts, record)):
                        keys[i] = parts.key
                        partsFor[i] = parts
                        if let r = record {
                            records[i] = r
                            core.finished(i, success: true, wasRunning: false)
                            end(i, .cached, 0, nil)
                        } else {
                            core.enqueue(i)
                        }
                    case let .failure(error):
                        summary.errors.append(error)
                        for s in core.finished(i, success: false, wasRunning: false) { end(s, .skipped, 0, nil) }
                        end(i, .failed, 0, error)
                    }
                }
            }
            // Launch what fits.
            while let i = core.nextToLaunch() {
                let id = plan.instances[i].id
                started[i] = DispatchTime.now()
                observer?.stageStarted(id)
                // Only the records this stage reads: passing the whole map would make every
                // later update of it copy all of it while a stage thread still holds it.
                var inputRecords: [Int: StageRecord] = [:]
                for d in plan.instances[i].dependencies { inputRecords[d] = records[d] }
                launcher.launch(i, parts: partsFor[i]!, records: inputRecords,
                                progress: { [weak observer] f, s in observer?.stageProgress(id, fraction: f, status: s) },
                                done: { [weak self] result in
                                    guard let self else { return }
                                    self.cond.lock()
                                    self.completions.append((i, result))
                                    self.cond.signal()
                                    self.cond.unlock()
                                })
            }
            if core.isFinished { break }
            // Wait for a completion (or an interrupt).
            cond.lock()
            while completions.isEmpty && !(cancel.isRaised && !core.stopped) {
                cond.wait(until: Date().addingTimeInterval(0.5))
            }
            let done = completions
            completions.removeAll()
            cond.unlock()
            for (i, result) in done {
                let secs = Double(DispatchTime.now().uptimeNanoseconds - started[i]!.uptimeNanoseconds) / 1e9
                switch result {
                case let .success(.executed(r)):
                    records[i] = r
                    core.finished(i, success: true, wasRunning: true)
                    end(i, .executed, secs, nil)
                case let .success(.cached(r)):
                    records[i] = r
                    core.finished(i, success: true, wasRunning: true)
                    end(i, .cached, secs, nil)
                case let .failure(error):
                    let interrupted: Bool
                    if case PipelineError.interrupted = error { interrupted = true } else { interrupted = false }
                    if !interrupted { summary.errors.append(error) }
                    let skipped = core.finished(i, success: false, wasRunning: true)
                    end(i, interrupted ? .skipped : .failed, secs, interrupted ? nil : error)
                    for s in skipped { end(s, .skipped, 0, nil) }
                }
            }
        }
        for i in core.skipUnstarted() { end(i, .skipped, 0, nil) }
        // The interrupt may have been noticed first as a stage ending early: either way it counts.
        if cancel.isRaised { summary.interrupted = true }
        for i in targets {
            let (s, secs) = status[i] ?? (.skipped, 0)
            switch s {
            case .executed: summary.executed += 1
            case .cached: summary.cached += 1
            case .failed: summary.failed += 1
            case .skipped: summary.skipped += 1
            }
            summary.stages.append((plan.instances[i].id, s, secs, keys[i]))
        }
        store.statCache.save()
        summary.wallSeconds = Double(DispatchTime.now().uptimeNanoseconds - t0.uptimeNanoseconds) / 1e9
        return summary
    }
}

extension Store {
    /// Updates the stage-id index only when it points elsewhere (keeps no-op runs write-free).
    func noteLatestIfNeeded(pipeline: String, stage: String, key: String) throws {
        if latestKey(pipeline: pipeline, stage: stage) != key {
            try noteLatest(pipeline: pipeline, stage: stage, key: key)
        }
    }
}
