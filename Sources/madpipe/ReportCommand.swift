// ReportCommand: `madpipe report PIPELINE [-o DIR]`: builds the HTML report from a pipeline's
// published results (results/<pipeline>/*.csv) and the store's run records (stage timings).

import ArgumentParser
import Executors
import Base
import Foundation
import Report
import PipelineCore
import PipelineStore
import Stages

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write an HTML report from a pipeline's published results and run records.",
        usage: "madpipe report [<options>] [<pipeline>]",
        discussion: """
        Reads auroc.csv, best-layer.csv, quirkiness.csv, separation.csv, twins.csv and outputs/*.csv found \
        under results/<pipeline>/ (any depth, except earlier reports), and the seconds of each \
        cached stage from the cache's records. Missing tables make their figures say why they are \
        not available.

        Examples:
          madpipe report pipelines/quickstart.yaml
          madpipe report pipelines/quirky-mad.yaml -o /tmp/report
          chromium /tmp/report/index.html
        """)

    @Argument(help: "Pipeline file.") var pipeline: String = defaultPipeline
    @OptionGroup var pipelineOptions: PipelineOptions
    @OptionGroup var cacheOptions: CacheOptions
    @Option(name: .long, help: ArgumentHelp("Directory of published outputs (default: results/ in the project root, beside its cache/).", valueName: "dir"))
    var results: String?
    @Option(name: .shortAndLong, help: ArgumentHelp("Report directory (default: <results>/<pipeline>/report).", valueName: "dir"))
    var output: String?

    func run() throws {
        let plan = try pipelineOptions.plan(pipeline)
        let store = try cacheOptions.openStore(pipeline: pipeline)
        let base = (results ?? ProjectRoot.of(pipeline: pipeline) + "/results") + "/" + plan.spec.name
        let out = output ?? base + "/report"
        var notes: [String] = []
        if !FileManager.default.fileExists(atPath: base) {
            notes.append("no published results at \(base): run `madpipe run \(pipeline)` first")
        }
        // Every CSV under the results, skipping report directories (a report's own table copies).
        let outAbs = URL(fileURLWithPath: out).standardizedFileURL.path
        let csvs = ReportInputs.csvFiles(under: base).filter { p in
            !p.contains("/report/") && !URL(fileURLWithPath: p).standardizedFileURL.path.hasPrefix(outAbs + "/")
        }
        func named(_ n: String) -> [String] { csvs.filter { ($0 as NSString).lastPathComponent == n } }
        func table(_ n: String, _ columns: [String]) -> CSVTable? {
            let p = named(n)
            return p.isEmpty ? nil : ReportInputs.loadTable(p, columns: columns, what: n, notes: &notes)
        }
        var inputs = ReportInputs(title: "madpipe report: \(plan.spec.name)")
        inputs.auroc = table("auroc.csv", ReportInputs.aurocColumns)
        inputs.bestLayer = table("best-layer.csv", ReportInputs.bestLayerColumns)
        inputs.quirkiness = table("quirkiness.csv", ReportInputs.quirkinessColumns)
        inputs.separation = table("separation.csv", ReportInputs.separationColumns)
        inputs.twins = table("twins.csv", ReportInputs.twinColumns)
        for p in csvs where p.contains("/outputs/") {
            if let t = ReportInputs.loadTable([p], columns: ReportInputs.outputColumns, what: "outputs", notes: &notes) {
                inputs.outputs.append((name: String(p.dropFirst(base.count + 1)), table: t))
            }
        }
        inputs.params = plan.vars.map { ($0.0, $0.1.description) }

        // Timings and provenance from the records of the cached stages. The state says what the
        // latest run of this pipeline did with the record (executed it, or reused it: cached), and
        // `made by run` which run executed it; missing and stale instances have no record.
        let runs = store.runs().filter { $0.pipeline == plan.spec.name }
        var madeBy: [String: String] = [:]
        for run in runs { for st in run.stages where st.status == StageStatus.executed.rawValue { if let k = st.key { madeBy[k] = run.id } } }
        let lastRun = runs.last.map { run in Dictionary(run.stages.map { ($0.id, ($0.status, $0.key)) }, uniquingKeysWith: { a, _ in a }) } ?? [:]
        var rows: [[String]] = []
        var hosts: [String] = [], engines: [String] = [], latest = ""
        for s in PipelineStatus.compute(plan: plan, store: store) {
            guard s.state == .cached, let key = s.key, let rec = store.completeRecord(key) else {
                rows.append([s.id, "", s.state.rawValue, ""])
                continue
            }
            var state = s.state.rawValue
            if let (status, k) = lastRun[s.id], k == key, status == StageStatus.executed.rawValue || status == StageStatus.cached.rawValue {
                state = status
            }
            rows.append([s.id, String(format: "%.3f", rec.seconds), state, madeBy[key] ?? ""])
            if !rec.host.isEmpty, !hosts.contains(rec.host) { hosts.append(rec.host) }
            if !rec.engine.isEmpty, !engines.contains(rec.engine) { engines.append(rec.engine) }
            latest = max(latest, rec.started)
        }
        if !rows.isEmpty { inputs.timings = CSVTable(header: ["stage", "seconds", "state", "made by run"], rows: rows, source: "run records") }
        inputs.provenance = [("pipeline", plan.spec.name), ("pipeline file", pipeline), ("results", base),
                             ("engine (this report)", engineVersion),
                             ("engine (runs)", engines.isEmpty ? "—" : engines.joined(separator: ", ")),
                             ("hosts", hosts.isEmpty ? "—" : hosts.joined(separator: ", ")),
                             ("latest stage started", latest.isEmpty ? "—" : latest)]
        inputs.notes = notes
        let figures = try HTMLReport.write(inputs, to: out)
        for n in notes { printError("note: \(n)") }
        let shown = figures.filter { $0.svg != nil }.count
        print("wrote \(out)/index.html (\(shown) of \(figures.count) figures)")
    }
}
