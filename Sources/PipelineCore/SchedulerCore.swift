// SchedulerCore: the pure decision logic of a run: which instances are ready, which fit in the
// free CPUs and memory, and what a failure cancels (fail-fast) or skips (keep-going; an instance
// that accepts partial inputs instead runs on the dependencies that succeeded). It does no I/O;
// executors drive it and tests check it directly.

public struct SchedulerCore {
    public enum State: Equatable, Sendable {
        case waiting, queued, running, done, failed, skipped
    }

    public private(set) var states: [Int: State] = [:]
    private var remainingDeps: [Int: Int] = [:]
    private var dependents: [Int: [Int]] = [:]
    /// Ready to launch, in plan order.
    private var queue: [Int] = []
    /// Ready, key not yet checked against the cache; the driver takes them with `takeNewlyReady`.
    private var newlyReady: [Int] = []
    public let cpuCapacity: Int
    public let memoryCapacity: Int
    public private(set) var cpusInUse = 0
    public private(set) var memoryInUse = 0
    public let keepGoing: Bool
    /// Set by a failure without keep-going, or by an interrupt: nothing new starts.
    public private(set) var stopped = false
    /// Instances running now.
    public private(set) var runningCount = 0
    private var demand: [Int: (cpus: Int, memory: Int)] = [:]
    /// Instances that may run with some dependencies failed or skipped (keep-going only).
    private let partial: Set<Int>
    private var dependencyCount: [Int: Int] = [:]
    /// Per instance that will run on partial inputs: the dependencies that failed or were skipped.
    public private(set) var missing: [Int: [Int]] = [:]
    /// Per skipped instance: the failed or skipped dependency it was skipped for.
    public private(set) var skippedFor: [Int: Int] = [:]

    /// `dependencies[i]` lists what instance i reads; only `selected` instances take part. Under
    /// `keepGoing`, an instance in `partial` whose dependencies failed or were skipped still
    /// becomes ready once every dependency has ended, provided at least one succeeded; `missing`
    /// then lists the others.
    public init(dependencies: [[Int]], selected: [Int], resources: (Int) -> Resources,
                cpus: Int, memory: Int, keepGoing: Bool, partial: Set<Int> = []) {
        cpuCapacity = max(1, cpus)
        memoryCapacity = max(1, memory)
        self.keepGoing = keepGoing
        self.partial = keepGoing ? partial : []
        let sel = Set(selected)
        for i in selected.sorted() {
            states[i] = .waiting
            let deps = dependencies[i].filter { sel.contains($0) }
            remainingDeps[i] = deps.count
            dependencyCount[i] = deps.count
            for d in deps { dependents[d, default: []].append(i) }
            let r = resources(i)
            demand[i] = (min(max(1, r.cpus), cpuCapacity), min(r.memory ?? 0, memoryCapacity))
            if deps.isEmpty { states[i] = .queued; newlyReady.append(i) }
        }
    }

    /// Instances that just became ready; the driver checks each against the cache and then calls
    /// `finished` (cached) or `enqueue`.
    public mutating func takeNewlyReady() -> [Int] {
        defer { newlyReady.removeAll() }
        return newlyReady
    }

    /// Marks a ready instance as needing execution.
    public mutating func enqueue(_ i: Int) {
        queue.append(i)
    }

    /// The next queued instance that fits the free resources, now marked running.
    public mutating func nextToLaunch() -> Int? {
        guard !stopped else { return nil }
        for (pos, i) in queue.enumerated() {
            let d = demand[i]!
            let fitsCPU = cpusInUse + d.cpus <= cpuCapacity
            let fitsMem = d.memory == 0 || memoryInUse + d.memory <= memoryCapacity || memoryInUse == 0
            if fitsCPU && fitsMem {
                queue.remove(at: pos)
                states[i] = .running
                runningCount += 1
                cpusInUse += d.cpus
                memoryInUse += d.memory
                return i
            }
        }
        return nil
    }

    /// Records that an instance ended (or was found cached when `wasRunning` is false).
    /// Returns the instances skipped because of a failure.
    @discardableResult
    public mutating func finished(_ i: Int, success: Bool, wasRunning: Bool) -> [Int] {
        if wasRunning {
            let d = demand[i]!
            cpusInUse -= d.cpus
            memoryInUse -= d.memory
            runningCount -= 1
        }
        if success {
            states[i] = .done
            for c in dependents[i] ?? [] {
                remainingDeps[c]! -= 1
                if remainingDeps[c] == 0, states[c] == .waiting {
                    missing[c]?.sort()
                    states[c] = .queued
                    newlyReady.append(c)
                }
            }
            return []
        }
        states[i] = .failed
        if !keepGoing { stopped = true }
        return propagate(from: i)
    }

    /// Marks a ready instance as skipped, although its dependencies ended (the driver found its
    /// partial inputs unusable); its dependents are handled as after a failure. Returns them.
    @discardableResult
    public mutating func skip(_ i: Int) -> [Int] {
        states[i] = .skipped
        missing[i] = nil
        queue.removeAll { $0 == i }
        return propagate(from: i)
    }

    /// After `i` failed or was skipped: every waiting dependent is skipped, transitively, except
    /// those that accept partial inputs: they note `i` as missing and become ready when their
    /// last dependency ends, unless none succeeded.
    private mutating func propagate(from i: Int) -> [Int] {
        var skipped: [Int] = []
        var stack = (dependents[i] ?? []).map { ($0, i) }
        while let (c, cause) = stack.popLast() {
            guard states[c] == .waiting || states[c] == .queued else { continue }
            if partial.contains(c), states[c] == .waiting {
                missing[c, default: []].append(cause)
                remainingDeps[c]! -= 1
                guard remainingDeps[c] == 0 else { continue }
                if missing[c]!.count < dependencyCount[c]! {
                    missing[c]!.sort()
                    states[c] = .queued
                    newlyReady.append(c)
                    continue
                }
                missing[c] = nil
            }
            states[c] = .skipped
            skippedFor[c] = cause
            skipped.append(c)
            queue.removeAll { $0 == c }
            stack += (dependents[c] ?? []).map { ($0, c) }
        }
        return skipped.sorted()
    }

    /// Stops launching (interrupt).
    public mutating func stop() { stopped = true }


    /// True when nothing runs and nothing more can start.
    public var isFinished: Bool {
        if !newlyReady.isEmpty { return false }
        if runningCount > 0 { return false }
        return stopped || queue.isEmpty
    }

    /// Marks everything that never started as skipped (at the end of a stopped run).
    public mutating func skipUnstarted() -> [Int] {
        var out: [Int] = []
        for (i, s) in states where s == .waiting || s == .queued {
            states[i] = .skipped
            out.append(i)
        }
        queue.removeAll()
        return out.sorted()
    }
}
