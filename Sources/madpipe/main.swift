// Madpipe: the root command and the process entry point. Exit codes: 0 success, 1 a stage or
// validation failed, 2 usage error.

import ArgumentParser
import BuildInfo
import Foundation
import PipelineCore
import PipelineStore

struct Madpipe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "madpipe",
        abstract: "Declarative experiment pipelines for mechanistic anomaly detection research.",
        discussion: """
        A pipeline is a YAML file declaring a DAG of stages swept over a matrix. madpipe runs the \
        stages with content-hashed caching: a re-run executes only what changed, and a killed run \
        resumes where it stopped.

        Examples:
          madpipe run                                 # pipelines/quickstart.yaml
          madpipe run pipelines/quirky-mad.yaml -p seed=1 --jobs 2
          madpipe status pipelines/quickstart.yaml
          madpipe explain pipelines/quickstart.yaml 'finetune[dataset=addition]'
          madpipe log 'finetune[dataset=addition]' -f
          madpipe runs && madpipe compare RUN_A RUN_B
        """,
        version: BuildInfo.description,
        subcommands: [RunCommand.self, StatusCommand.self, ExplainCommand.self, DagCommand.self, ValidateCommand.self,
                      KindsCommand.self, CacheCommand.self, ExecStageCommand.self, BundleCommand.self,
                      ReportCommand.self, LogCommand.self, RunsCommand.self, CompareCommand.self, PublishCommand.self, ReproduceCommand.self])

    /// Parses and runs, mapping errors to exit codes.
    static func runMain() -> Never {
        do {
            var command = try parseAsRoot()
            try command.run()
            Foundation.exit(0)
        } catch let e as PipelineError {
            printError("error: \(e)")
            Foundation.exit(e.isUsageError ? 2 : 1)
        } catch let e as ExitCode {
            Foundation.exit(e.rawValue)
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                print(message)
                Foundation.exit(0)
            }
            if !message.isEmpty { printError(message) }
            // Usage errors (ArgumentParser's validation failures) are exit code 2.
            Foundation.exit(code == .validationFailure ? 2 : (code.rawValue == 0 ? 0 : code.rawValue == 64 ? 2 : 1))
        }
    }
}

Madpipe.runMain()
