// PublishCommand: `madpipe publish RUN`: writes an earlier run's published outputs to results/
// again, from the objects its manifest names, without computing anything.

import ArgumentParser
import Executors
import Foundation
import PipelineCore
import PipelineStore

struct PublishCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publish an earlier run's outputs again, from the cache, without recomputing.",
        discussion: """
        Each output replaces results/<pipeline>/<name> once its copy is complete. Outputs whose \
        objects `cache gc` removed are an error: run the pipeline again.

        Examples:
          madpipe publish 20261207-061502-3fa2
          madpipe publish latest --results /tmp/old-results
        """)

    @Argument(help: "Run id (or a unique prefix, or `latest`); `madpipe runs` lists them.") var runId: String
    @Option(name: .long, help: ArgumentHelp("Directory for published outputs (default: results/ in the run's project root).", valueName: "dir"))
    var results: String?
    @OptionGroup var cacheOptions: CacheOptions

    func run() throws {
        let store = try cacheOptions.openStore()
        // Held until this process ends: `cache gc` removes no object while it is copied.
        let lease = try RunLease.forRun(store) { printError("madpipe: waiting for `cache gc` on \(store.root) to finish") }
        defer { withExtendedLifetime(lease) {} }
        let manifest = try store.run(named: runId)
        guard !manifest.outputs.isEmpty else {
            print("run \(manifest.id) published nothing")
            return
        }
        let root = results ?? ProjectRoot.of(pipeline: manifest.file) + "/results"
        // The manifest is a file anyone could edit: its pipeline name becomes a directory name.
        try SpecParser.checkIdentifier(Located(manifest.pipeline, SourceLocation(file: store.runsDirectory + "/" + manifest.id + ".json")), field: "pipeline")
        for p in try Publisher.write(manifest.outputs, pipeline: manifest.pipeline, store: store, resultsRoot: root) {
            print("published \(p)")
        }
    }
}
