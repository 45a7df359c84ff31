// CacheCommand: `madpipe cache verify|gc|ls|du`: check and tend the store.

import ArgumentParser
import Executors
import Foundation
import PipelineCore
import PipelineStore

struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "Inspect and maintain the cache (store).",
        subcommands: [Verify.self, GC.self, List.self, DiskUsage.self])

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Re-hash every object and check every record; exit 1 on any problem.",
            discussion: """
            Also checks that every materialised output (cache/out/KEY/) still matches its objects.
            With --repair, corrupt objects are removed, then every record that needs a missing object \
            and, transitively, every record computed from such a record's output (those stages read \
            bytes that can no longer be trusted); out/ directories that differ are removed (they are \
            rebuilt from the objects on use). The affected stages run again next time, and the exit \
            code is 0 once the store is consistent.
            Examples:
              madpipe cache verify --cache /shared/madpipe-cache
              madpipe cache verify --repair
            Repair needs the cache to itself: it refuses while a run is in flight (as gc does) unless \
            --wait is given.
            """)
        @OptionGroup var cacheOptions: CacheOptions
        @Flag(name: .long, help: "Remove corrupt objects and the records that depend on them.") var repair = false
        @Flag(name: .long, help: "With --repair: wait for runs in flight on this cache to end (default: refuse while any runs).") var wait = false

        func run() throws {
            let store = try cacheOptions.openStore()
            var problems = store.verify()
            for p in problems { print("BAD  \(p)") }
            if repair && !problems.isEmpty {
                // Repair deletes records and objects, so, like gc, it needs the cache to itself.
                let lease = try RunLease.forGC(store, wait: wait) { printError("madpipe: waiting for the runs in flight on \(store.root) to end") }
                defer { lease.unlock() }
                let removed = store.repair()
                print("repair: removed \(removed.count) record(s): \(removed.map { String($0.prefix(12)) }.joined(separator: " "))")
                problems = store.verify()
            }
            let n = store.allObjects().count, r = store.allKeys().count
            print("\(n) object(s), \(r) record(s) checked: \(problems.isEmpty ? "ok" : "\(problems.count) problem(s)")")
            if !problems.isEmpty { throw ExitCode(1) }
        }
    }

    struct GC: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gc",
            abstract: "Remove everything no given pipeline references.",
            usage: "madpipe cache gc [<options>] <pipelines> ...",
            discussion: """
            Keeps the current stage results of every pipeline named; removes all other records, objects, \
            outputs, work directories and logs. Refuses (exit 1) while a run or exec-stage uses the \
            cache, unless --wait is given.
            Examples:
              madpipe cache gc pipelines/quickstart.yaml pipelines/quirky-mad.yaml --dry-run
              madpipe cache gc pipelines/quickstart.yaml --wait
            """)
        @Argument(help: "Pipelines whose results to keep.") var pipelines: [String]
        @OptionGroup var pipelineOptions: PipelineOptions
        @OptionGroup var cacheOptions: CacheOptions
        @Flag(name: .long, help: "Only report what would be removed.") var dryRun = false
        @Flag(name: .long, help: "Wait for runs in flight on this cache to end (default: refuse while any runs).") var wait = false

        func validate() throws {
            if pipelines.isEmpty { throw ValidationError("name at least one pipeline whose results to keep") }
        }

        func run() throws {
            let store = try cacheOptions.openStore(pipeline: pipelines.first)
            // Exclusive: no run reads or produces results while gc decides what is current and deletes.
            let lease = try RunLease.forGC(store, wait: wait) { printError("madpipe: waiting for the runs in flight on \(store.root) to end") }
            defer { withExtendedLifetime(lease) {} }
            var keep = Set<String>()
            for p in pipelines {
                let plan = try pipelineOptions.plan(p)
                for s in PipelineStatus.compute(plan: plan, store: store) { if let k = s.key { keep.insert(k) } }
            }
            let r = store.gc(keep: keep, dryRun: dryRun)
            print("\(dryRun ? "would remove" : "removed"): \(r.records) record(s), \(r.objects) object(s) (\(formatBytes(r.bytes))), \(r.other) other entr\(r.other == 1 ? "y" : "ies"), \(r.runs) run manifest(s); kept \(keep.count) stage result(s)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List stage records.",
                                                        discussion: "Example:\n  madpipe cache ls --json")
        @OptionGroup var cacheOptions: CacheOptions
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() throws {
            let store = try cacheOptions.openStore()
            let records = store.allKeys().compactMap { store.record($0) }.sorted { ($0.pipeline, $0.stage) < ($1.pipeline, $1.stage) }
            if json {
                print(Value.list(records.map { r in
                    .map([("key", .string(r.key)), ("pipeline", .string(r.pipeline)), ("stage", .string(r.stage)),
                          ("size", .int(r.size)), ("seconds", .double(r.seconds)), ("executor", .string(r.executor))])
                }).prettyJSON())
                return
            }
            for r in records {
                print("\(r.key.prefix(12))  \(formatBytes(r.size).padding(toLength: 9, withPad: " ", startingAt: 0)) \(String(format: "%7.2fs", r.seconds))  \(r.pipeline)/\(r.stage)")
            }
            print("\(records.count) record(s)")
        }
    }

    struct DiskUsage: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "du", abstract: "Show disk usage by part of the store.",
                                                        discussion: "Example:\n  madpipe cache du")
        @OptionGroup var cacheOptions: CacheOptions

        func run() throws {
            let store = try cacheOptions.openStore()
            var total = 0
            for part in ["objects", "out", "work", "stages", "index", "logs", "tmp"] {
                let n = store.diskUsage(store.root + "/" + part)
                total += n
                print("\(formatBytes(n).padding(toLength: 10, withPad: " ", startingAt: 0)) \(part)")
            }
            print("\(formatBytes(total).padding(toLength: 10, withPad: " ", startingAt: 0)) total (\(store.root)); out/ shares its files with objects/ through hard links")
        }
    }
}

func formatBytes(_ n: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var x = Double(n), u = 0
    while x >= 1024 && u < units.count - 1 { x /= 1024; u += 1 }
    return u == 0 ? "\(n) B" : String(format: "%.1f %@", x, units[u])
}
