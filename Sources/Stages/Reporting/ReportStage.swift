// ReportStage: `kind: report` builds the HTML report (figures of METHOD.md section 8, summary
// table, params, provenance, timings) from the result tables of upstream stages.

import Base
import Foundation
import Report
import PipelineCore

/// The `report` stage kind. Each input may gather several artifacts; their CSV tables are
/// concatenated. A missing input or column makes the figures that need it say why they are not
/// available instead of failing the stage.
public struct ReportStage: StageKind {
    public init() {}
    public let name = "report"
    public var writes: Set<Artifact>? { [] }
    public var acceptsPartialGather: Bool { true }
    public let version = 5 // 5: section-9 per-layer comparisons on the quirky models only; 4: issue 23 figures (chance lines, integer layer ticks, a panel per instance, an S-curve per detector), the quirkiness and section-9 tables, no fit_detector; 3: twins input (figure, table)
    public let summary = "Write a self-contained HTML report (figures, AUROC summary, params, timings) from result CSV tables."
    public let params: [ParamSpec] = [
        ParamSpec("title", .string, default: .string("madpipe report"), "Page title."),
        ParamSpec("vars", .stringMap, default: .map([]), "Pipeline vars or params to show, e.g. {seed: \"${seed}\"}."),
        ParamSpec("provenance", .stringMap, default: .map([]), "Provenance to show, e.g. {engine: 0.1.0, host: h, date: 2026-01-01}; not read from the clock, so outputs stay deterministic."),
    ]
    public let inputs: [InputSpec]? = [
        InputSpec("auroc", required: false, "auroc.csv (and best-layer.csv beside it, if any) from evaluation stages."),
        InputSpec("best_layer", required: false, "best-layer.csv, when not beside auroc.csv."),
        InputSpec("quirkiness", required: false, "quirkiness.csv."),
        InputSpec("separation", required: false, "separation.csv."),
        InputSpec("outputs", required: false, "Per-prompt outputs tables (*.csv), one per model and dataset; their paths must contain the model and dataset names."),
        InputSpec("twins", required: false, "twins.csv from compare-twins: quirky-minus-twin AUROC per layer (figure) and aggregated (table)."),
        InputSpec("timings", required: false, "Per-stage timings: a CSV (stage,seconds) or a JSON list of {id, seconds}."),
    ]

    public func execute(_ context: StageContext) throws {
        let inputs = ReportStage.gather(context.inputs, title: context.params.string("title"),
                                        params: context.params.stringMap("vars"), provenance: context.params.stringMap("provenance"))
        for n in inputs.notes { context.log("note: \(n)") }
        let dir = (context.outputDirectory as NSString).appendingPathComponent("report")
        let figures = try HTMLReport.write(inputs, to: dir)
        for f in figures where f.svg == nil { context.log("figure \(f.id) not available: \(f.unavailable ?? "")") }
        context.log("wrote report/index.html with \(figures.filter { $0.svg != nil }.count) of \(figures.count) figures")
    }

    /// Reads the tables of the stage's input artifacts (artifacts in stage-id order). When an
    /// input gathers artifacts that differ on matrix axes (seed, ...), each artifact's rows get
    /// those axes as columns after its key columns (unless its table has them already), so rows
    /// of different instances stay apart.
    public static func gather(_ inputs: [String: [InputArtifact]], title: String, params: [(String, String)],
                              provenance: [(String, String)]) -> ReportInputs {
        var notes: [String] = []
        func artifacts(_ input: String) -> [InputArtifact] { (inputs[input] ?? []).sorted { $0.stageId < $1.stageId } }
        /// Each artifact's files `pick` chooses, read, checked for `columns` and led by the axes.
        func load(_ input: String, _ columns: [String], what: String, _ pick: (InputArtifact) -> [String]) -> CSVTable? {
            let arts = artifacts(input), axes = Provenance(arts, fixed: ReportInputs.keyColumns).axes
            let tables = arts.compactMap { a -> CSVTable? in
                guard let t = ReportInputs.loadTable(pick(a), columns: columns, what: what, notes: &notes) else { return nil }
                return withAxes(t, axes.filter { t.column($0) == nil }, a)
            }
            return tables.isEmpty ? nil : CSVTable.concatenate(tables, source: what)
        }
        func table(_ input: String, _ file: String, _ columns: [String]) -> CSVTable? {
            guard inputs[input] != nil else { return nil }
            if artifacts(input).allSatisfy({ ReportInputs.findCSV(named: file, in: $0.path).isEmpty }) {
                notes.append("\(input): no \(file) in \((inputs[input] ?? []).map(\.stageId).joined(separator: ", "))")
                return nil
            }
            return load(input, columns, what: input) { ReportInputs.findCSV(named: file, in: $0.path) }
        }
        var r = ReportInputs(title: title, params: params, provenance: provenance)
        r.auroc = table("auroc", "auroc.csv", ReportInputs.aurocColumns)
        // best-layer.csv: its own input, else beside auroc.csv in the auroc artifacts.
        r.bestLayer = inputs["best_layer"] != nil
            ? load("best_layer", ReportInputs.bestLayerColumns, what: "best_layer") { ReportInputs.findCSV(named: "best-layer.csv", in: $0.path) }
            : load("auroc", ReportInputs.bestLayerColumns, what: "best_layer") { a in
                ReportInputs.csvFiles(under: a.path).filter { ($0 as NSString).lastPathComponent == "best-layer.csv" }
            }
        r.quirkiness = table("quirkiness", "quirkiness.csv", ReportInputs.quirkinessColumns)
        r.separation = table("separation", "separation.csv", ReportInputs.separationColumns)
        r.twins = table("twins", "twins.csv", ReportInputs.twinColumns)
        for a in (inputs["outputs"] ?? []).sorted(by: { $0.stageId < $1.stageId }) {
            for p in ReportInputs.csvFiles(under: a.path) {
                let rel = p == a.path ? (p as NSString).lastPathComponent : String(p.dropFirst(a.path.count + 1))
                if let t = ReportInputs.loadTable([p], columns: ReportInputs.outputColumns, what: "outputs", notes: &notes) {
                    r.outputs.append((name: a.stageId + "/" + rel, table: t))
                }
            }
        }
        for a in (inputs["timings"] ?? []).sorted(by: { $0.stageId < $1.stageId }) {
            var isDir: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: a.path, isDirectory: &isDir)
            let files = isDir.boolValue ? ((try? FileManager.default.contentsOfDirectory(atPath: a.path)) ?? []).sorted()
                .filter { $0.hasSuffix(".csv") || $0.hasSuffix(".json") }.map { a.path + "/" + $0 } : [a.path]
            for f in files {
                if let t = ReportInputs.loadTimings(f, notes: &notes) {
                    r.timings = r.timings.map { CSVTable.concatenate([$0, t], source: "timings") } ?? t
                }
            }
        }
        r.notes = notes
        return r
    }

    /// `t` with the artifact's values on `axes` inserted after its key columns (model, dataset,
    /// detector: those it has).
    static func withAxes(_ t: CSVTable, _ axes: [String], _ art: InputArtifact) -> CSVTable {
        guard !axes.isEmpty else { return t }
        let at = t.header.prefix { ReportInputs.keyColumns.contains($0) }.count
        let values = axes.map { Provenance.value(art, $0) }
        return CSVTable(header: Array(t.header[..<at]) + axes + t.header[at...],
                        rows: t.rows.map { Array($0[..<at]) + values + $0[at...] }, source: t.source)
    }
}
