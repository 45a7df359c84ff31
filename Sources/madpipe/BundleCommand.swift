// BundleCommand: `madpipe bundle export|verify|inspect|import`: share a pipeline's results as one
// reproducible .tar.zst file. The selection (which stage records go in) is made here from the
// plan; writing, checking and importing live in PipelineStore (Bundle*.swift).

import ArgumentParser
import Executors
import Base
import Foundation
import PipelineCore
import Bundles
import PipelineStore

struct BundleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bundle",
        abstract: "Export, verify, inspect and import reproducible result bundles.",
        discussion: """
        Examples:
          madpipe bundle export -o quickstart.tar.zst --note "run for the paper"
          madpipe bundle verify quickstart.tar.zst
          madpipe bundle inspect quickstart.tar.zst --json
          madpipe bundle import qs.tar.zst --cache ~/cache --pipeline-dir ./shared
        """,
        subcommands: [Export.self, Verify.self, Inspect.self, Import.self])

    struct LimitOptions: ParsableArguments {
        @Option(name: .long, help: "Refuse bundles that decompress more than this many times their size (default 1000).")
        var maxRatio: Double = 1000

        var limits: BundleLimits {
            var l = BundleLimits()
            l.maxRatio = maxRatio
            return l
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Write the pipeline's cached results to a deterministic .tar.zst bundle.",
            usage: "madpipe bundle export [<options>] [<pipeline>] --output <file.tar.zst>",
            discussion: """
            The bundle holds MANIFEST.json (pipeline files, vars, stage records, provenance), the \
            objects of every current stage result, the pipeline's dependency files that lie in its \
            directory, and the published outputs. Every stage instance selected must be cached. \
            --only PATTERN selects matching instances and what they need (like `run --only`); \
            --with-intermediates adds the pipeline's other (stale) results found in the cache.
            The same results give a byte-identical file; set SOURCE_DATE_EPOCH to fix its time.
            Examples:
              madpipe bundle export pipelines/quickstart.yaml -o quickstart.tar.zst
              madpipe bundle export pipelines/quirky-mad.yaml --only 'eval*' -o ev.tar.zst
            """)
        @Argument(help: "Pipeline file.") var pipeline: String = defaultPipeline
        @Option(name: [.short, .long], help: ArgumentHelp("Bundle file to write.", valueName: "file.tar.zst")) var output: String
        @Option(name: .long, help: ArgumentHelp("Only instances matching this id or glob, and their upstream (repeatable).", valueName: "pattern"))
        var only: [String] = []
        @Flag(name: .long, help: "Also bundle this pipeline's stale results that are still in the cache.") var withIntermediates = false
        @Option(name: .long, help: "A free-form note stored in the manifest.") var note: String = ""
        @OptionGroup var pipelineOptions: PipelineOptions
        @OptionGroup var cacheOptions: CacheOptions

        @Option(name: .long, help: "zstd worker threads (any count gives the same bytes; this only trades speed).")
        var threads: Int = 2

        func validate() throws {
            if threads < 1 { throw ValidationError("--threads must be at least 1") }
        }

        func run() throws {
            let plan = try pipelineOptions.plan(pipeline)
            let store = try cacheOptions.openStore(pipeline: pipeline)
            var options = BundleSelection.Options()
            options.only = only
            options.withIntermediates = withIntermediates
            options.overrides = pipelineOptions.param
            options.note = note
            if let s = ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"], let t = Double(s) {
                options.created = Date(timeIntervalSince1970: t)
            }
            let contents = try BundleSelection.contents(plan: plan, store: store, options: options) { printError("warning: " + $0) }
            let (m, result) = try BundleExporter.export(contents, store: store, engine: engineVersion, to: output, threads: threads)
            print("\(result.digest)  \(output)")
            printError("exported \(m.records.count) stage record(s), \(m.entries.count) entr\(m.entries.count == 1 ? "y" : "ies"), \(formatBytes(m.totalSize)) -> \(formatBytes(result.bytes))")
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Check every entry of a bundle against its manifest; exit 1 naming the first bad entry.",
            discussion: "Example:\n  madpipe bundle verify quickstart.tar.zst")
        @Argument(help: "Bundle file.") var file: String
        @OptionGroup var limitOptions: LimitOptions

        func run() throws {
            do {
                let s = try BundleReader.read(path: file, limits: limitOptions.limits)
                print("ok: \(s.manifest.entries.count + 1) entries, \(s.manifest.records.count) stage record(s), \(formatBytes(s.uncompressedBytes)) verified (\(s.manifest.pipeline))")
            } catch let e as BundleError {
                printError("error: \(e)")
                throw ExitCode(1)
            }
        }
    }

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "inspect",
            abstract: "Show a bundle's pipeline, stages, sizes, headline metrics and provenance (verifying it).",
            discussion: "Examples:\n  madpipe bundle inspect quickstart.tar.zst\n  madpipe bundle inspect quickstart.tar.zst --json | jq .metrics")
        @Argument(help: "Bundle file.") var file: String
        @Flag(name: .long, help: "Print JSON.") var json = false
        @OptionGroup var limitOptions: LimitOptions

        func run() throws {
            let capture = CSVCapture()
            let summary: BundleReadSummary
            do { summary = try BundleReader.read(path: file, limits: limitOptions.limits, sink: capture) } catch let e as BundleError {
                printError("error: \(e)")
                throw ExitCode(1)
            }
            let m = summary.manifest
            let metrics = capture.tables.keys.sorted().map { name in (name, BundleMetrics.headline(csv: capture.tables[name]!)) }
            var sections: [(String, Int)] = []
            for s in ["objects", "pipeline", "results"] {
                sections.append((s, m.entries.filter { BundlePath.section($0.path) == s }.reduce(0) { $0 + $1.size }))
            }
            if json {
                let v = Value.map([
                    ("pipeline", .string(m.pipeline)), ("pipelineFile", .string(m.pipelineFile)), ("engine", .string(m.engine)),
                    ("note", .string(m.note)), ("vars", m.vars),
                    ("stages", .list(m.records.sorted { $0.stage < $1.stage }.map { r in
                        .map([("id", .string(r.stage)), ("key", .string(r.key)), ("current", .bool(m.current.contains(r.key))),
                              ("size", .int(r.size)), ("seconds", .double(r.seconds))])
                    })),
                    ("sizes", .map([("compressed", .int(summary.compressedBytes)), ("uncompressed", .int(summary.uncompressedBytes))]
                                   + sections.map { ($0.0, .int($0.1)) })),
                    ("metrics", .map(metrics.map { ($0.0, $0.1.value) })),
                    ("provenance", .map(m.provenance)),
                ])
                print(v.prettyJSON())
                return
            }
            // Text from the bundle is shown with control characters escaped (no terminal escapes).
            print("pipeline   \(m.pipeline) (\(m.pipelineFile)), engine \(printable(m.engine))")
            if !m.note.isEmpty { print("note       \(printable(m.note))") }
            print("size       \(formatBytes(summary.compressedBytes)) compressed, \(formatBytes(summary.uncompressedBytes)) uncompressed ("
                  + sections.map { "\($0.0) \(formatBytes($0.1))" }.joined(separator: ", ") + ")")
            print("stages     \(m.records.count) record(s), \(m.current.count) current")
            for r in m.records.sorted(by: { $0.stage < $1.stage }) {
                print("  \(m.current.contains(r.key) ? " " : "~") \(r.stage.padding(toLength: max(30, r.stage.count), withPad: " ", startingAt: 0)) \(formatBytes(r.size).padding(toLength: 10, withPad: " ", startingAt: 0)) \(String(format: "%.2fs", r.seconds))")
            }
            for (name, table) in metrics {
                print("metrics    \(name)\(table.sortedBy.map { " (best by \(printable($0)))" } ?? "")")
                print("  " + printable(table.header.joined(separator: "  ")))
                for row in table.rows { print("  " + printable(row.joined(separator: "  "))) }
            }
            print("provenance")
            for (k, v) in m.provenance { print("  \(printable(k.padding(toLength: 9, withPad: " ", startingAt: 0))) \(printable("\(v)"))") }
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Verify a bundle and add its results to the cache; optionally write its pipeline files.",
            usage: "madpipe bundle import [<options>] <file>",
            discussion: """
            Nothing is published unless every entry verified; nothing in the bundle is executed.
            With --pipeline-dir, the pipeline files, their bundled dependency files and the published \
            outputs (under results/<pipeline>/) are written there; `madpipe run` of the pipeline \
            there then executes no stage.
            Example:
              madpipe bundle import qs.tar.zst --cache ./cache --pipeline-dir ./qs
            """)
        @Argument(help: "Bundle file.") var file: String
        @Option(name: .long, help: ArgumentHelp("Where to write the pipeline files.", valueName: "dir")) var pipelineDir: String?
        @Flag(name: .long, help: "Replace files in --pipeline-dir that differ from the bundle's.") var overwrite = false
        @OptionGroup var cacheOptions: CacheOptions
        @OptionGroup var limitOptions: LimitOptions

        func run() throws {
            let store = try cacheOptions.openStore()
            // Held like a run's, so `cache gc` never deletes objects this import is adding.
            let lease = try RunLease.forRun(store) { printError("madpipe: waiting for `cache gc` on \(store.root) to finish") }
            defer { lease.unlock() }
            store.cleanTemporaries()
            do {
                let r = try BundleImporter.importBundle(path: file, into: store, pipelineDirectory: pipelineDir, overwrite: overwrite,
                                                        limits: limitOptions.limits)
                print("imported \(r.manifest.pipeline): \(r.records) new stage record(s) of \(r.manifest.records.count), \(r.newObjects) new object(s), \(formatBytes(r.bytes)) verified")
                if let dir = pipelineDir {
                    // A command line to paste: every word from the bundle (or the user) quoted.
                    print("wrote \(r.files.count) file(s) under \(dir); run: madpipe run \(Shell.quote(dir + "/" + r.manifest.pipelineFile))"
                          + r.manifest.overrides.map { " -p " + Shell.quote($0) }.joined())
                }
            } catch let e as BundleError {
                printError("error: \(e)")
                throw ExitCode(1)
            }
        }
    }
}

/// `s` with control characters (terminal escapes, newlines) written as `\u{..}`.
fileprivate func printable(_ s: String) -> String {
    var out = ""
    for u in s.unicodeScalars {
        if u.value < 0x20 || u.value == 0x7F { out += "\\u{" + String(u.value, radix: 16) + "}" } else { out.unicodeScalars.append(u) }
    }
    return out
}

/// Keeps small CSV files among the published outputs (for headline metrics).
final class CSVCapture: BundleEntrySink {
    private let lock = NSLock()
    private(set) var tables: [String: [UInt8]] = [:]

    func open(_ entry: BundleEntry) throws -> BundleEntryWriter? {
        guard entry.path.hasPrefix("results/"), entry.path.hasSuffix(".csv"), entry.size <= 1 << 20 else { return nil }
        return Table(name: String(entry.path.dropFirst("results/".count)), owner: self)
    }

    func keep(_ name: String, _ bytes: [UInt8]) {
        lock.lock()
        tables[name] = bytes
        lock.unlock()
    }

    final class Table: BundleEntryWriter {
        let name: String
        let owner: CSVCapture
        var bytes: [UInt8] = []
        init(name: String, owner: CSVCapture) {
            self.name = name
            self.owner = owner
        }
        func write(_ chunk: UnsafeRawBufferPointer) throws { bytes.append(contentsOf: chunk) }
        func finish() throws { owner.keep(name, bytes) }
        func abandon() {}
    }
}
