// ExplainCommand: `madpipe explain PIPELINE STAGE`: why a stage is stale, in words: the diff of
// its cache key's parts against the last record for the same stage id (PipelineStatus).

import ArgumentParser
import Executors
import PipelineCore

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain why a stage instance is stale (which param, input, file, command or version changed).",
        usage: "madpipe explain [<options>] <pipeline> <stage>",
        discussion: """
        Each reason is one line in words: a param changed from what to what, an input's upstream \
        stage (named) was re-computed with different output, a dependency file's content changed, \
        or the kind's implementation version changed.

        Examples:
          madpipe explain pipelines/quickstart.yaml 'finetune[dataset=addition]'
          madpipe explain pipelines/quickstart.yaml 'finetune*'
        """)

    @Argument(help: "Pipeline file.") var pipeline: String
    @Argument(help: "Stage instance id, stage name or glob.") var stage: String
    @OptionGroup var pipelineOptions: PipelineOptions
    @OptionGroup var cacheOptions: CacheOptions

    func run() throws {
        let plan = try pipelineOptions.plan(pipeline)
        let matches = plan.select(stage)
        guard !matches.isEmpty else {
            let hint = suggestion(for: stage, among: plan.instances.map(\.id) + plan.spec.stages.map(\.name))
            throw ValidationError("no stage instance '\(stage)' in \(plan.spec.name)" + (hint.map { "; did you mean '\($0)'?" } ?? ""))
        }
        let store = try cacheOptions.openStore(pipeline: pipeline)
        let states = PipelineStatus.compute(plan: plan, store: store)
        for i in matches {
            let s = states[i]
            print("\(s.id): \(s.state.rawValue)" + (s.state == .cached ? " (params, inputs and files match its cached record)" : ""))
            for r in s.reasons { print("  - \(r)") }
        }
    }
}
