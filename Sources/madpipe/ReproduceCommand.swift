// ReproduceCommand: `madpipe reproduce BUNDLE`: checks a bundle by making its results again.
// It imports the bundle (verifying it) into a scratch directory, re-runs the bundled pipeline with
// the bundle's overrides from an empty cache (or, with --from, re-runs the matching stages and
// everything downstream on top of the bundle's upstream records), compares every published output
// with the bundle's (ResultComparison), names the environment differences, and writes the
// comparison to DIR/reproduce-report.txt. Exit 0 only when everything matches.

import ArgumentParser
import BuildInfo
import Executors
import Base
import Foundation
import PipelineCore
import Bundles
import PipelineStore
import Stages

struct ReproduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reproduce",
        abstract: "Re-run a bundle's pipeline and compare its published outputs with the bundle's.",
        usage: "madpipe reproduce [<options>] <bundle>",
        discussion: """
        Unpacks the bundle into DIR (default ./reproduce-<bundle name>): pipeline/ (the pipeline \
        and its bundled files), bundle/<pipeline>/ (the bundle's published outputs), cache/ and \
        results/<pipeline>/ (the re-run), reproduce-report.txt (the comparison). The re-run executes \
        the bundle's pipeline, including its command stages: review a stranger's pipeline first.
        CSV text and integer cells must be equal; floating-point cells agree when \
        |a - b| <= TOL * max(1, |a|, |b|) (default TOL 1e-9). Other files must be identical.
        Examples:
          madpipe reproduce results.tar.zst
          madpipe reproduce results.tar.zst --from 'evaluate*' --tolerance auroc=1e-6
          madpipe reproduce results.tar.zst --tolerance 1e-6 \\
            --tolerance quirkiness.csv:coefficient=1e-3
        """)

    @Argument(help: "The bundle (.tar.zst).") var bundle: String
    @Option(name: .long, help: ArgumentHelp("Scratch directory; must not exist or be empty (default ./reproduce-<bundle name>).", valueName: "dir"))
    var dir: String?
    @Option(name: .long, help: ArgumentHelp("Re-run only instances matching this id, name or glob and everything downstream; reuse the bundle's results upstream (repeatable).", valueName: "stage"))
    var from: [String] = []
    @Option(name: .long, help: ArgumentHelp("Tolerance for floating-point CSV cells: TOL, COLUMN=TOL or FILE:COLUMN=TOL (globs; repeatable, last match wins).", valueName: "spec"))
    var tolerance: [String] = []
    @Option(name: [.short, .long], help: "CPU budget of the re-run (as `run --jobs`).") var jobs: Int?
    @Option(name: .long, help: "Refuse bundles that decompress more than this many times their size (default 1000).")
    var maxRatio: Double = 1000

    func run() throws {
        var rules = ToleranceRules()
        for t in tolerance { if let problem = rules.add(t) { throw ValidationError("--tolerance \(problem)") } }
        let name = ((bundle as NSString).lastPathComponent as NSString).deletingPathExtension.replacingOccurrences(of: ".tar", with: "")
        let root = absolute(dir ?? "reproduce-" + name)
        if let existing = try? FileManager.default.contentsOfDirectory(atPath: root), !existing.isEmpty {
            throw ValidationError("\(root) is not empty; pass --dir with a new directory or remove it")
        }
        let created = !FileSystem.exists(root)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)

        // 1. Import (verifies every entry) into a cache of its own; pipeline files into pipeline/.
        // A bundle that does not check out leaves nothing behind.
        var limits = BundleLimits()
        limits.maxRatio = maxRatio
        let bundleCache = root + "/bundle-cache"
        let report: BundleImportReport
        do {
            report = try BundleImporter.importBundle(path: bundle, into: try Store(root: bundleCache),
                                                     pipelineDirectory: root + "/pipeline", limits: limits)
        } catch {
            for sub in ["bundle-cache", "pipeline"] { try? FileManager.default.removeItem(atPath: root + "/" + sub) }
            if created { try? FileManager.default.removeItem(atPath: root) }
            throw error
        }
        let m = report.manifest
        let expected = root + "/bundle/" + m.pipeline
        try FileManager.default.createDirectory(atPath: root + "/bundle", withIntermediateDirectories: true)
        if FileSystem.exists(root + "/pipeline/results/" + m.pipeline) {
            try FileManager.default.moveItem(atPath: root + "/pipeline/results/" + m.pipeline, toPath: expected)
            try? FileManager.default.removeItem(atPath: root + "/pipeline/results")
        }
        guard FileSystem.exists(expected) else {
            throw ValidationError("\(bundle) holds no published outputs (results/), so there is nothing to compare; export it after `madpipe run` has published them")
        }
        let pipelineFile = root + "/pipeline/" + m.pipelineFile

        // 2. The cache to re-run in: empty, or the bundle's with the --from stages' records removed.
        let cache = root + "/cache"
        var rerunIds: Set<String> = []
        if from.isEmpty {
            try FileManager.default.removeItem(atPath: bundleCache)
        } else {
            let plan = try bundlePlan(pipelineFile, overrides: m.overrides)
            let roots = from.flatMap { plan.select($0) }
            if roots.isEmpty { throw ValidationError("--from: no stage instance of \(m.pipeline) matches \(from.joined(separator: ", "))") }
            var selected = Set(roots)
            for i in plan.instances.indices where !selected.contains(i) && plan.instances[i].dependencies.contains(where: selected.contains) {
                selected.insert(i)
            }
            rerunIds = Set(selected.map { plan.instances[$0].id })
            try FileManager.default.moveItem(atPath: bundleCache, toPath: cache)
            let store = try Store(root: cache)
            for r in m.records where r.pipeline == m.pipeline && rerunIds.contains(r.stage) { unlink(store.recordPath(r.key)) }
        }

        // 3. Re-run, as a child `madpipe run` (its progress shows; Ctrl-C reaches it too).
        print("re-running \(m.pipeline) in \(root)" + (from.isEmpty ? " from an empty cache" : " from \(from.joined(separator: ", ")) (\(rerunIds.count) instance(s)) onward"))
        var args = ["run", pipelineFile, "--cache", cache, "--results", root + "/results"]
        for o in m.overrides { args += ["-p", o] }
        for o in m.only { args.append("--only=" + o) }
        if let jobs { args += ["--jobs", String(jobs)] }
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        child.arguments = args
        var env = ProcessInfo.processInfo.environment
        env["MADPIPE_CACHE"] = nil
        child.environment = env
        try child.run()
        child.waitUntilExit()
        let runFailed = child.terminationStatus != 0

        // 4. Which stages were made again, and with what.
        let store = try Store(root: cache)
        var bundleRecords: [String: StageRecord] = [:]
        for r in m.records { bundleRecords[r.key] = r }
        var reused = 0, recomputed = 0
        var rerunEnv = Environments(), bundleEnv = Environments()
        if let plan = try? bundlePlan(pipelineFile, overrides: m.overrides) {
            for s in PipelineStatus.compute(plan: plan, store: store) {
                guard let key = s.key, let r = store.completeRecord(key) else { continue }
                // Keys are deterministic, so a re-computed result has the bundle's key: the record tells them apart.
                if let b = bundleRecords[key], b.started == r.started, b.host == r.host { reused += 1 } else { recomputed += 1; rerunEnv.add(r.environment) }
            }
        }
        let current = Set(m.current)
        for r in m.records where current.contains(r.key) {
            bundleEnv.add(r.environment ?? BundleProvenance.environment(m.provenance))
        }

        // 5. Compare and report.
        let verdicts = ResultComparison.compare(expected: expected, found: root + "/results/" + m.pipeline, tolerances: rules)
        let ok = !runFailed && verdicts.allSatisfy(\.matches)
        var lines: [String] = []
        lines.append("madpipe reproduce \(bundle)")
        lines.append("bundle: pipeline \(m.pipeline), made by madpipe \(printable(provenanceText(m, "engine"))) commit \(printable(provenanceText(m, "commit")))")
        lines.append("this:   madpipe \(BuildInfo.description)")
        lines.append("re-run: \(recomputed) stage instance(s) computed, \(reused) reused from the bundle" + (runFailed ? "; `madpipe run` FAILED (exit \(child.terminationStatus))" : ""))
        lines.append("tolerance for floating-point CSV cells: \(rules.standard)" + rules.rules.map { " \($0.file.map { $0 + ":" } ?? "")\($0.column)=\($0.tolerance)" }.joined())
        let envDiffs = bundleEnv.differences(from: rerunEnv)
        if envDiffs.isEmpty {
            lines.append("environment: the same as the bundle's (code, BLAS, its threads, CPU, OS, Swift)")
        } else {
            lines.append("environment differences (bundle -> this re-run):")
            for d in envDiffs { lines.append("  \(d.name): \(printable(d.theirs)) -> \(d.mine)") }
        }
        lines.append("")
        let full = lines, shown = 5
        var reportLines = full, printLines = full
        for v in verdicts {
            let head = "\(v.matches ? "ok      " : "MISMATCH") \(v.file): \(v.state.rawValue)" + (v.detail.isEmpty ? "" : " (\(v.detail))")
            printLines.append(head)
            reportLines.append(head)
            if let w = v.largestWithin, v.state == .withinTolerance {
                let t = "    largest difference \(describe(w)) within \(w.tolerance ?? 0)"
                printLines.append(t)
                reportLines.append(t)
            }
            for (n, d) in v.differences.enumerated() {
                let t = "    \(v.file) " + describe(d)
                if n < shown { printLines.append(t) }
                if n < 100 { reportLines.append(t) }
            }
            if v.differences.count > shown { printLines.append("    ... \(v.differences.count - shown) more (see reproduce-report.txt)") }
        }
        let matched = verdicts.filter(\.matches).count
        let summary = ok ? "reproduced: all \(verdicts.count) published file(s) match"
            : "NOT reproduced: \(verdicts.count - matched) of \(verdicts.count) published file(s) differ" + (runFailed ? "; the re-run failed" : "")
        printLines += ["", summary, "report: \(root)/reproduce-report.txt"]
        reportLines += ["", summary]
        try (reportLines.joined(separator: "\n") + "\n").write(toFile: root + "/reproduce-report.txt", atomically: true, encoding: .utf8)
        print(printLines.joined(separator: "\n"))
        if !ok { throw ExitCode(1) }
    }

    /// The bundled pipeline planned with the bundle's overrides.
    func bundlePlan(_ file: String, overrides: [String]) throws -> Plan {
        let o: [(String, Value)] = overrides.compactMap { text in
            guard let eq = text.firstIndex(of: "=") else { return nil }
            return (String(text[..<eq]), Value.parseScalar(String(text[text.index(after: eq)...])))
        }
        return try Planner.plan(try SpecParser.load(path: file), registry: BuiltinKinds.registry, overrides: o)
    }

    func provenanceText(_ m: BundleManifest, _ field: String) -> String {
        m.provenance.first { $0.0 == field }?.1.stringValue ?? "unknown"
    }

    /// `row 3, column auroc: bundle 0.75, re-run 0.7501 (relative difference 1.3e-4)`.
    func describe(_ d: Difference) -> String {
        var s = d.row.map { d.isLine ? "line \($0)" : $0 == 0 ? "header" : "row \($0)" } ?? ""
        if let c = d.column { s += ", column \(printable(c))" }
        s += ": bundle \(printable(d.expected)), re-run \(printable(d.found))"
        if d.tolerance != nil, d.size.isFinite { s += String(format: " (difference %.3g)", d.size) }
        return s
    }

    func absolute(_ p: String) -> String {
        URL(fileURLWithPath: p.hasPrefix("/") ? p : FileManager.default.currentDirectoryPath + "/" + p).standardizedFileURL.path
    }
}

/// Every value each environment field took over a set of records.
struct Environments {
    var values: [(name: String, values: [String])] = []

    mutating func add(_ e: NumericEnvironment?) {
        guard let e else { return }
        for f in e.fields {
            if let i = values.firstIndex(where: { $0.name == f.name }) {
                if !values[i].values.contains(f.value) { values[i].values.append(f.value) }
            } else {
                values.append((f.name, [f.value]))
            }
        }
    }

    /// Fields whose value sets differ (`mine` is this side's, `theirs` the other's).
    func differences(from other: Environments) -> [(name: String, mine: String, theirs: String)] {
        var out: [(name: String, mine: String, theirs: String)] = []
        for (name, theirs) in values {
            let mine = other.values.first { $0.name == name }?.values ?? ["unknown"]
            if Set(mine) != Set(theirs) { out.append((name, mine.joined(separator: " | "), theirs.joined(separator: " | "))) }
        }
        return out
    }
}

/// Text from a bundle, safe to print: control characters escaped, long values cut.
private func printable(_ s: String) -> String {
    var out = ""
    for u in s.unicodeScalars.prefix(300) { out += u.value < 0x20 || u.value == 0x7F ? "\\u{\(String(u.value, radix: 16))}" : String(u) }
    return out
}
