// ValidateCommand: `madpipe validate PIPELINE`: parse, expand and type-check without running.

import ArgumentParser
import PipelineCore

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a pipeline file: syntax, names, types, references, cycles. Runs nothing.",
        discussion: """
        Examples:
          madpipe validate pipelines/quickstart.yaml
          madpipe validate my.yaml -p examples=100
        Errors are printed as FILE:LINE:COL: message; the exit code is 1 when the file is invalid,
        2 when a -p is malformed or names no var of the pipeline.
        """)

    @Argument(help: "Pipeline file.") var pipeline: String = defaultPipeline
    @OptionGroup var pipelineOptions: PipelineOptions

    func run() throws {
        let plan = try pipelineOptions.plan(pipeline)
        let stages = Set(plan.instances.map(\.stage)).count
        print("\(plan.spec.file): ok: pipeline '\(plan.spec.name)', \(stages) stage(s), \(plan.instances.count) instance(s)")
    }
}
