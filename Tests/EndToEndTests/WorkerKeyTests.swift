// WorkerKeyTests: the hf-* kinds' default `worker` (madpipe's own madpipe_torch package) enters
// the cache key as the symbolic `builtin`, resolved to the package only to digest and run it, so
// two checkouts of madpipe in different directories give the same keys.

import Executors
import PipelineCore
import Stages
import XCTest

final class WorkerKeyTests: XCTestCase {
    func testTheDefaultWorkerIsSymbolicInTheKeyAndResolvedForDigestAndRun() throws {
        let spec = try SpecParser.parse("""
        pipeline: w
        stages:
          data:
            kind: quirky-dataset
            params: {task: addition, examples: 40}
          outs:
            kind: hf-outputs
            inputs: {data: data}
            params: {hub: "org/model@\(String(repeating: "a", count: 40))", splits: [test]}
        """, file: "/somewhere/w.yaml")
        let plan = try Planner.plan(spec, registry: BuiltinKinds.registry)
        let outs = plan.instances[try XCTUnwrap(plan.index["outs"])]
        XCTAssertEqual(outs.params["worker"], .string("builtin"), "the key's params name no directory")
        let worker = try XCTUnwrap(KeyBuilder.paths(of: outs, pipelineDirectory: "/somewhere").first { $0.0 == "worker" }?.1)
        XCTAssertTrue(worker.hasPrefix("/") && FileManager.default.fileExists(atPath: worker + "/__main__.py"), worker)
        // A worker given as a path is an ordinary path, relative to the pipeline file.
        var mine = outs
        mine.params = Params(mine.params.values.map { $0.0 == "worker" ? ($0.0, .string("tools/worker")) : $0 })
        XCTAssertEqual(KeyBuilder.paths(of: mine, pipelineDirectory: "/somewhere").first { $0.0 == "worker" }?.1, "/somewhere/tools/worker")
    }
}
