// PipelineRun: drives a run: walks the plan with the SchedulerCore, checks each ready stage
// against the cache on the control thread, and hands the rest to a launcher (local threads, or
// Slurm jobs). Interrupts stop launching and end running stages; finished work stays cached.
// Under keep-going, a gathering stage whose kind accepts partial inputs runs on the instances
// that succeeded, with the missing ones (and why) passed to it.

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
    /// True when `launch` can run a gathering stage on partial inputs (`missing` non-empty).
    var supportsPartialGather: Bool { get }
    /// `launch` for a gathering stage some of whose inputs failed or were skipped: `missing`
    /// names them (stage id, reason), and `records` holds only those that succeeded.
    func launch(_ index: Int, parts: KeyParts, records: [Int: StageRecord], missing: [MissingInput],
                progress: @escaping (Double?, String) -> Void,
                done: @escaping (Result<StageOutcome, Error>) -> Void)
}

extension StageLauncher {
    public var supportsPartialGather: Bool { false }
    public func launch(_ index: Int, parts: KeyParts, records: [Int: StageRecord], missing: [MissingInput],
                       progress: @escaping (Double?, String) -> Void,
                       done: @escaping (Result<StageOutcome, Error>) -> Void) {
        launch(index, parts: parts, records: records, progress: progress, done: done)
    }
}

/// An input instance a partial gather runs without, and why it is missing.
public struct MissingInput: Sendable, Equatable {
    public var stage: String
    public var reason: String
    public init(stage: String, reason: String) {
        self.stage = stage
        self.reason = reason
    }
}

/// Runs stages on threads of this process.
public final class LocalLauncher: StageLauncher {
    let runner: StageRunner
    public init(runner: StageRunner) { self.runner = runner }

    public func launch(_ index: Int, parts: KeyParts, records: [Int: StageRecord],
                       progress: @escaping (Double?, String) -> Void,
                       done: @escaping (Result<StageOutcome, Error>) -> Void) {
        launch(index, parts: parts, records: records, missing: [], progress: progress, done: done)
    }

    public var supportsPartialGather: Bool { true }

    public func launch(_ index: Int, parts: KeyParts, records: [Int: StageRecord], missing: [MissingInput],
                       progress: @escaping (Double?, String) -> Void,
                       done: @escaping (Result<StageOutcome, Error>) -> Void) {
        let runner = self.runner
        let thread = Thread {
            done(Result { try runner.run(index, parts: parts, records: records, missing: missing, progress: progress) })
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
    func checkCache(_ ready: [Int], records: [Int: StageRecord], reduced: [Int: StageInstance]) -> [Result<(KeyParts, StageRecord?), Error>] {
        func check(_ i: Int) -> Result<(KeyParts, StageRecord?), Error> {
            Result {
                let (parts, record) = try KeyBuilder.lookup(reduced[i] ?? plan.instances[i], plan: plan, records: records, store: store)
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
        let partial = launcher.supportsPartialGather
            ? Set(targets.filter { i in plan.instances[i].kind.acceptsPartialGather && plan.instances[i].inputs.contains(where: \.gathers) })
            : []
        var core = SchedulerCore(dependencies: plan.instances.map(\.dependencies), selected: targets,
                                 resources: { self.plan.instances[$0].resources },
                                 cpus: options.jobs, memory: options.memory, keepGoing: options.keepGoing, partial: partial)
        observer?.runStarted(plan: plan, selected: targets.count)
        var summary = RunSummary()
        var records: [Int: StageRecord] = [:]
        var keys: [Int: String] = [:]
        var partsFor: [Int: KeyParts] = [:]
        var started: [Int: DispatchTime] = [:]
        var status: [Int: (StageStatus, Double)] = [:]
        /// Why a failed instance failed (one line), for what gathers without it.
        var failure: [Int: String] = [:]
        /// Partial gathers ready to run: the instance without its missing producers.
        var reduced: [Int: StageInstance] = [:]
        var missingInputs: [Int: [MissingInput]] = [:]

        func end(_ i: Int, _ s: StageStatus, _ seconds: Double, _ error: Error?) {
            status[i] = (s, seconds)
            if s == .failed { failure[i] = error.map(PipelineRun.oneLine) ?? "failed" }
            observer?.stageEnded(plan.instances[i].id, status: s, seconds: seconds, error: error)
        }
        /// Why instance `i` did not succeed: its own failure, or the failure it was skipped for.
        func reason(_ i: Int) -> String {
            var j = i, chain: [String] = []
            while let cause = core.skippedFor[j], chain.count < 100 {
                chain.append(plan.instances[cause].id)
                j = cause
            }
            let root = failure[j].map { "failed: \($0)" } ?? "not run"
            return chain.isEmpty ? root : "skipped: needs \(chain.last!), which \(root)"
        }
        /// For a partial gather that just became ready: the instance reduced to its producers that
        /// succeeded, or nil when an input would be left with none (it is skipped then).
        func reduce(_ i: Int, missing: [Int]) -> StageInstance? {
            let gone = Set(missing)
            var inst = plan.instances[i]
            for (n, b) in inst.inputs.enumerated() {
                let left = b.producers.filter { !gone.contains($0) }
                if left.isEmpty || (!b.gathers && left.count != b.producers.count) { return nil }
                inst.inputs[n].producers = left
            }
            inst.dependencies = inst.dependencies.filter { !gone.contains($0) }
            return inst
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
                var ready = core.takeNewlyReady()
                progressed = !ready.isEmpty
                if ready.isEmpty || core.stopped { continue }
                ready = ready.filter { i in
                    guard let missing = core.missing[i] else { return true }
                    guard let inst = reduce(i, missing: missing) else {
                        for s in core.skip(i) { end(s, .skipped, 0, nil) }
                        end(i, .skipped, 0, nil)
                        return false
                    }
                    reduced[i] = inst
                    missingInputs[i] = missing.map { MissingInput(stage: plan.instances[$0].id, reason: reason($0)) }
                    return true
                }
                for (i, check) in zip(ready, checkCache(ready, records: records, reduced: reduced)) {
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
                for d in (reduced[i] ?? plan.instances[i]).dependencies { inputRecords[d] = records[d] }
                launcher.launch(i, parts: partsFor[i]!, records: inputRecords, missing: missingInputs[i] ?? [],
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
            if let m = missingInputs[i], s == .executed || s == .cached {
                summary.partial.append((plan.instances[i].id, m))
            }
        }
        store.statCache.save()
        summary.wallSeconds = Double(DispatchTime.now().uptimeNanoseconds - t0.uptimeNanoseconds) / 1e9
        return summary
    }
}

extension PipelineRun {
    /// The first line of an error's message (a failure's reason in `missing.csv`).
    static func oneLine(_ error: Error) -> String {
        if case let PipelineError.stageFailed(_, reason, _, _) = error { return reason }
        return String("\(error)".prefix { $0 != "\n" })
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
