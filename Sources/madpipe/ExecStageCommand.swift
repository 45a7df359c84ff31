// ExecStageCommand: `madpipe exec-stage PIPELINE ID`: runs one stage instance whose inputs are
// all cached. Used by the Slurm executor on compute nodes; handy for debugging a single stage.

import ArgumentParser
import Executors
import Foundation
import Numerics
import PipelineCore
import PipelineStore

struct ExecStageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec-stage",
        abstract: "Run one stage instance (its inputs must be cached). Used by the Slurm executor.",
        usage: "madpipe exec-stage [<options>] <pipeline> <stage>",
        discussion: "Example:\n  madpipe exec-stage pipelines/quickstart.yaml 'data[dataset=addition]'")

    @Argument(help: "Pipeline file.") var pipeline: String
    @Argument(help: "Stage instance id.") var stage: String
    @OptionGroup var pipelineOptions: PipelineOptions
    @OptionGroup var cacheOptions: CacheOptions
    @Option(name: .long, help: "Executor name recorded in the stage record.") var executorName: String = "local"

    func run() throws {
        let plan = try pipelineOptions.plan(pipeline)
        guard let index = plan.index[stage] else {
            throw ValidationError("no stage instance '\(stage)' in \(plan.spec.name)"
                                  + (suggestion(for: stage, among: plan.instances.map(\.id)).map { "; did you mean '\($0)'?" } ?? ""))
        }
        let store = try cacheOptions.openStore(pipeline: pipeline)
        // Held until this process ends: `cache gc` deletes nothing while this stage runs.
        let lease = try RunLease.forRun(store) { printError("madpipe: waiting for `cache gc` on \(store.root) to finish") }
        defer { withExtendedLifetime(lease) {} }
        var records: [Int: StageRecord] = [:]
        let status = plan.instances[index].dependencies.isEmpty ? [] : PipelineStatus.compute(plan: plan, store: store)
        for d in plan.instances[index].dependencies {
            let s = status[d]
            guard s.state == .cached, let k = s.key, let r = store.completeRecord(k) else {
                throw PipelineError.stageFailed(stage: stage, reason: "input stage \(plan.instances[d].id) is not cached", logTail: "", logPath: nil)
            }
            records[d] = r
        }
        let parts = try KeyBuilder.parts(for: plan.instances[index], plan: plan, records: records, store: store)
        // One stage per process (a Slurm job): BLAS threads as in `madpipe run`, whatever cpus it holds.
        BLASThreads.set(BLASThreads.perStage())
        let cancel = CancellationFlag()
        let runner = StageRunner(store: store, plan: plan, isCancelled: { cancel.isRaised })
        runner.executorName = executorName
        let signals = Signals.install { cancel.raise(); runner.terminateChildren() }
        defer { signals.forEach { $0.cancel() } }
        let outcome = try runner.run(index, parts: parts, records: records) { f, s in
            let pct = f.map { String(format: "%.0f%% ", $0 * 100) } ?? ""
            printError("progress \(pct)\(s)")
        }
        switch outcome {
        case let .executed(r): print("executed \(stage) \(r.key)")
        case let .cached(r): print("cached \(stage) \(r.key)")
        }
    }
}
