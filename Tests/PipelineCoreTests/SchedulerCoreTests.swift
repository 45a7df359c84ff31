// SchedulerCoreTests: resource limits, dependency order, fail-fast and keep-going, and partial
// gathers (an instance that runs on the dependencies that succeeded).

import PipelineCore
import XCTest

final class SchedulerCoreTests: XCTestCase {
    // 0 -> 2, 1 -> 2, 2 -> 3, 4 independent
    let deps: [[Int]] = [[], [], [0, 1], [2], []]

    func make(cpus: Int, keepGoing: Bool = false, res: [Int: Resources] = [:]) -> SchedulerCore {
        var c = SchedulerCore(dependencies: deps, selected: Array(0..<5), resources: { res[$0] ?? Resources() },
                              cpus: cpus, memory: 1 << 30, keepGoing: keepGoing)
        for i in c.takeNewlyReady() { c.enqueue(i) }
        return c
    }

    func testRespectsCPUsAndDependencies() {
        var c = make(cpus: 2)
        XCTAssertEqual(c.nextToLaunch(), 0)
        XCTAssertEqual(c.nextToLaunch(), 1)
        XCTAssertNil(c.nextToLaunch(), "two CPUs in use")
        c.finished(0, success: true, wasRunning: true)
        XCTAssertEqual(c.takeNewlyReady(), [])
        XCTAssertEqual(c.nextToLaunch(), 4)
        c.finished(1, success: true, wasRunning: true)
        XCTAssertEqual(c.takeNewlyReady(), [2])
    }

    func testBigStageWaitsForFreeCPUsAndIsClampedToCapacity() {
        var c = make(cpus: 2, res: [0: Resources(cpus: 8), 1: Resources(cpus: 1)])
        XCTAssertEqual(c.nextToLaunch(), 0, "a stage asking for more than the machine runs alone")
        XCTAssertNil(c.nextToLaunch())
        c.finished(0, success: true, wasRunning: true)
        XCTAssertEqual(c.nextToLaunch(), 1)
    }

    func testMemoryLimit() {
        var c = SchedulerCore(dependencies: [[], []], selected: [0, 1], resources: { _ in Resources(cpus: 1, memory: 600) },
                              cpus: 4, memory: 1000, keepGoing: false)
        for i in c.takeNewlyReady() { c.enqueue(i) }
        XCTAssertEqual(c.nextToLaunch(), 0)
        XCTAssertNil(c.nextToLaunch(), "600 + 600 > 1000")
        c.finished(0, success: true, wasRunning: true)
        XCTAssertEqual(c.nextToLaunch(), 1)
    }

    func testFailFastStopsLaunching() {
        var c = make(cpus: 1)
        XCTAssertEqual(c.nextToLaunch(), 0)
        let skipped = c.finished(0, success: false, wasRunning: true)
        XCTAssertEqual(skipped, [2, 3])
        XCTAssertNil(c.nextToLaunch())
        XCTAssertTrue(c.isFinished)
        XCTAssertEqual(c.skipUnstarted(), [1, 4])
    }

    func testKeepGoingRunsIndependentStages() {
        var c = make(cpus: 1, keepGoing: true)
        XCTAssertEqual(c.nextToLaunch(), 0)
        XCTAssertEqual(c.finished(0, success: false, wasRunning: true), [2, 3])
        XCTAssertEqual(c.nextToLaunch(), 1)
        c.finished(1, success: true, wasRunning: true)
        XCTAssertEqual(c.takeNewlyReady(), [], "2 was skipped")
        XCTAssertEqual(c.nextToLaunch(), 4)
        c.finished(4, success: true, wasRunning: true)
        XCTAssertTrue(c.isFinished)
        XCTAssertEqual(c.states[3], .skipped)
    }

    // Partial gathers. 0, 1 -> 2 (gathers, accepts partial) -> 3; 0 -> 5 -> 2 as well.
    func makePartial(keepGoing: Bool = true) -> SchedulerCore {
        var c = SchedulerCore(dependencies: [[], [], [0, 1, 5], [2], [], [0]], selected: Array(0..<6),
                              resources: { _ in Resources() }, cpus: 8, memory: 1 << 30, keepGoing: keepGoing, partial: [2])
        for i in c.takeNewlyReady() { c.enqueue(i) }
        return c
    }

    func testPartialGatherRunsOnTheDependenciesThatSucceeded() {
        var c = makePartial()
        XCTAssertEqual(c.nextToLaunch(), 0)
        XCTAssertEqual(c.nextToLaunch(), 1)
        XCTAssertEqual(c.finished(0, success: false, wasRunning: true), [5], "5 needs 0; 2 waits for its last dependency")
        XCTAssertEqual(c.skippedFor[5], 0)
        XCTAssertEqual(c.states[2], .waiting)
        XCTAssertEqual(c.takeNewlyReady(), [])
        c.finished(1, success: true, wasRunning: true)
        XCTAssertEqual(c.takeNewlyReady(), [2], "2 runs on 1 alone")
        XCTAssertEqual(c.missing[2], [0, 5])
        c.enqueue(2)
        XCTAssertEqual(c.nextToLaunch(), 4)
        XCTAssertEqual(c.nextToLaunch(), 2)
        c.finished(2, success: true, wasRunning: true)
        XCTAssertEqual(c.takeNewlyReady(), [3], "what reads the partial gather runs too")
    }

    func testPartialGatherWithNothingSucceededIsSkipped() {
        var c = makePartial()
        _ = c.nextToLaunch(); _ = c.nextToLaunch()
        c.finished(0, success: false, wasRunning: true)
        XCTAssertEqual(c.finished(1, success: false, wasRunning: true), [2, 3])
        XCTAssertNil(c.missing[2])
        XCTAssertEqual(c.skippedFor[3], 2)
    }

    func testPartialGatherNeedsKeepGoing() {
        var c = makePartial(keepGoing: false)
        _ = c.nextToLaunch()
        XCTAssertEqual(c.finished(0, success: false, wasRunning: true), [2, 3, 5], "fail-fast skips the gather as before")
        XCTAssertTrue(c.stopped)
    }

    func testSkipOfAReadyPartialGatherSkipsItsDependents() {
        var c = makePartial()
        _ = c.nextToLaunch(); _ = c.nextToLaunch()
        c.finished(0, success: false, wasRunning: true)
        c.finished(1, success: true, wasRunning: true)
        XCTAssertEqual(c.takeNewlyReady(), [2])
        XCTAssertEqual(c.skip(2), [3])
        XCTAssertEqual(c.states[2], .skipped)
        XCTAssertNil(c.missing[2])
        _ = c.nextToLaunch()
        c.finished(4, success: true, wasRunning: true)
        XCTAssertTrue(c.isFinished)
    }
}
