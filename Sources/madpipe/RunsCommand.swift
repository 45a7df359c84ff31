// RunsCommand: `madpipe runs`: the runs recorded in the cache (cache/runs/<id>.json), oldest first,
// with their status, counts, overrides and published outputs.

import ArgumentParser
import Foundation
import PipelineCore
import PipelineStore

struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List the runs recorded in the cache: id, time, status, overrides, outputs.",
        discussion: """
        Every `madpipe run` records a manifest in <cache>/runs/<id>.json: the pipeline and its \
        digest, -p and -m overrides, each stage's status and key, and every published file's digest. \
        A run id, a unique prefix of one, or `latest` names a run for `compare` and `publish`.

        Examples:
          madpipe runs
          madpipe runs --pipeline quickstart --json
        """)

    @Option(name: .long, help: ArgumentHelp("Only runs of this pipeline (its name).", valueName: "name")) var pipeline: String?
    @Flag(name: .long, help: "Print JSON (the manifests).") var json = false
    @OptionGroup var cacheOptions: CacheOptions

    func run() throws {
        let store = try cacheOptions.openStore()
        let runs = store.runs().filter { pipeline == nil || $0.pipeline == pipeline }
        if json {
            print(Value.list(runs.map(\.value)).prettyJSON())
            return
        }
        if runs.isEmpty {
            print("no runs recorded in \(store.root)")
            return
        }
        for r in runs {
            var counts: [String: Int] = [:]
            for s in r.stages { counts[s.status, default: 0] += 1 }
            let summary = ["executed", "cached", "failed", "skipped"].compactMap { k in counts[k].map { "\($0) \(k)" } }.joined(separator: ", ")
            var line = "\(r.id)  \(r.time.prefix(19))  \(r.status.padding(toLength: 11, withPad: " ", startingAt: 0)) \(r.pipeline)"
            let overrides = r.vars.map { "-p " + $0 } + r.matrix.map { "-m " + $0 }
            if !overrides.isEmpty { line += "  " + overrides.joined(separator: " ") }
            print(line)
            print("    \(summary.isEmpty ? "no stages" : summary); \(r.outputs.count) output(s) published: \(r.outputs.map(\.name).joined(separator: ", "))")
        }
    }
}
