// StatusCommand: `madpipe status PIPELINE`: each stage instance as cached, missing or stale.

import ArgumentParser
import Executors
import PipelineCore

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show each stage instance's state: cached, missing or stale.",
        usage: "madpipe status [<options>] [<pipeline>]",
        discussion: """
        Examples:
          madpipe status pipelines/quickstart.yaml
          madpipe status p.yaml --json | jq '.stages[] | select(.state != "cached")'
        """)

    @Argument(help: "Pipeline file.") var pipeline: String = defaultPipeline
    @OptionGroup var pipelineOptions: PipelineOptions
    @OptionGroup var cacheOptions: CacheOptions
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() throws {
        let plan = try pipelineOptions.plan(pipeline)
        let store = try cacheOptions.openStore(pipeline: pipeline)
        let states = PipelineStatus.compute(plan: plan, store: store)
        if json {
            let v = Value.map([
                ("pipeline", .string(plan.spec.name)),
                ("stages", .list(states.map { s in
                    .map([("id", .string(s.id)), ("state", .string(s.state.rawValue)),
                          ("key", s.key.map(Value.string) ?? .null), ("reasons", .list(s.reasons.map(Value.string)))])
                })),
            ])
            print(v.prettyJSON())
            return
        }
        let width = min(60, states.map(\.id.count).max() ?? 10)
        for s in states {
            let pad = s.id.padding(toLength: max(width, s.id.count), withPad: " ", startingAt: 0)
            let why = s.state == .cached ? "" : "  " + (s.reasons.first ?? "")
            print("\(s.state.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(pad)\(why)")
        }
        let c = states.filter { $0.state == .cached }.count
        print("\(c) of \(states.count) cached")
    }
}
