// ReportInputs: the tables a report is built from (AUROC, best layer, quirkiness, separation,
// per-prompt outputs, timings) plus its params and provenance, and how they are found on disk.

import Base
import Foundation
import PipelineCore

/// Everything the report shows. Tables that were not given are nil; problems met while
/// loading are kept in `notes` and shown in the report instead of failing it.
public struct ReportInputs: Sendable {
    /// Page title.
    public var title: String
    /// auroc.csv rows: model,dataset,detector,layer,subset,auroc,ap,ci_low,ci_high.
    public var auroc: CSVTable?
    /// best-layer.csv rows: model,dataset,detector,best_layer,validation_auroc,test_auroc.
    public var bestLayer: CSVTable?
    /// quirkiness.csv rows: model,dataset,alice_accuracy,bob_accuracy,quirkiness (+ losses).
    public var quirkiness: CSVTable?
    /// separation.csv rows: model,dataset,layer,separation,between_total_ratio.
    public var separation: CSVTable?
    /// Per-prompt output tables (name, table), one per model and dataset.
    public var outputs: [(name: String, table: CSVTable)]
    /// Per-stage timings: columns stage,seconds.
    public var timings: CSVTable?
    /// Pipeline vars / params shown in the report, in order.
    public var params: [(String, String)]
    /// Provenance (engine version, host, date, ...), in order.
    public var provenance: [(String, String)]
    /// Problems met while loading inputs (shown in the report).
    public var notes: [String]

    /// Creates inputs; everything but the title is optional.
    public init(title: String, auroc: CSVTable? = nil, bestLayer: CSVTable? = nil, quirkiness: CSVTable? = nil,
                separation: CSVTable? = nil, outputs: [(name: String, table: CSVTable)] = [], timings: CSVTable? = nil,
                params: [(String, String)] = [], provenance: [(String, String)] = [], notes: [String] = []) {
        self.title = title
        self.auroc = auroc
        self.bestLayer = bestLayer
        self.quirkiness = quirkiness
        self.separation = separation
        self.outputs = outputs
        self.timings = timings
        self.params = params
        self.provenance = provenance
        self.notes = notes
    }

    /// Columns each table must have to be used.
    public static let aurocColumns = ["model", "dataset", "detector", "layer", "subset", "auroc", "ap", "ci_low", "ci_high"]
    public static let bestLayerColumns = ["model", "dataset", "detector", "best_layer", "validation_auroc", "test_auroc"]
    public static let quirkinessColumns = ["model", "dataset", "alice_accuracy", "bob_accuracy", "quirkiness"]
    public static let separationColumns = ["model", "dataset", "layer", "separation", "between_total_ratio"]
    public static let outputColumns = ["character", "label", "log_odds"]
    public static let timingColumns = ["stage", "seconds"]

    /// Reads and concatenates the CSV files at `paths`, checking `columns`. Unreadable or
    /// malformed files are skipped with a note; nil when no file could be used. Files published
    /// from several instances of a stage (`results/<p>/<name>/<stage>[seed=0]/auroc.csv`) get the
    /// axes on which their instance ids differ as columns after their key columns, unless they
    /// have them, so two seeds' rows stay apart.
    public static func loadTable(_ paths: [String], columns: [String], what: String, notes: inout [String]) -> CSVTable? {
        var tables: [(table: CSVTable, instance: InputArtifact)] = []
        for p in paths.sorted() {
            do {
                let t = try CSVTable.read(path: p)
                try t.require(columns)
                tables.append((t, InputArtifact(stageId: p, assignment: instanceAssignment(p), path: p, digest: "")))
            } catch {
                notes.append("\(what): \(error)")
            }
        }
        let axes = Provenance(tables.map(\.instance), fixed: ExtraColumns.keys).axes
        let led = tables.map { t in ReportStage.withAxes(t.table, axes.filter { t.table.column($0) == nil }, t.instance) }
        return led.isEmpty ? nil : CSVTable.concatenate(led, source: what)
    }

    /// The axis values of the deepest directory of `path` named like a stage instance
    /// (`evaluate[model=gpt2,seed=0]`, as publishing names them), or none.
    static func instanceAssignment(_ path: String) -> [(String, Value)] {
        for part in path.split(separator: "/").reversed() {
            guard part.last == "]", let open = part.firstIndex(of: "["), open > part.startIndex else { continue }
            let pairs = part[part.index(after: open)..<part.index(before: part.endIndex)].split(separator: ",").map { $0.split(separator: "=", maxSplits: 1) }
            guard !pairs.isEmpty, pairs.allSatisfy({ $0.count == 2 && !$0[0].isEmpty }) else { continue }
            return pairs.map { (String($0[0]), Value.string(String($0[1]))) }
        }
        return []
    }

    /// CSV files for a table inside an artifact: the artifact itself when it is a file, else
    /// every file named `fileName` below it, else its only CSV file.
    public static func findCSV(named fileName: String, in artifact: String) -> [String] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: artifact, isDirectory: &isDir) else { return [] }
        if !isDir.boolValue { return [artifact] }
        let all = csvFiles(under: artifact)
        let named = all.filter { ($0 as NSString).lastPathComponent == fileName }
        if !named.isEmpty { return named }
        return all.count == 1 ? all : []
    }

    /// Every `.csv` file below a directory (or the path itself when it is a CSV file), sorted.
    public static func csvFiles(under path: String) -> [String] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { return [] }
        if !isDir.boolValue { return path.hasSuffix(".csv") ? [path] : [] }
        let e = FileManager.default.enumerator(atPath: path)
        var out: [String] = []
        while let rel = e?.nextObject() as? String {
            var sub: ObjCBool = false
            let full = path + "/" + rel
            if rel.hasSuffix(".csv"), FileManager.default.fileExists(atPath: full, isDirectory: &sub), !sub.boolValue { out.append(full) }
        }
        return out.sorted()
    }

    /// Reads timings from a CSV (stage,seconds) or a JSON file: a list of objects, or an object
    /// with a `stages` list, each object with `id` or `stage` and `seconds`.
    public static func loadTimings(_ path: String, notes: inout [String]) -> CSVTable? {
        if path.hasSuffix(".json") {
            guard let data = FileManager.default.contents(atPath: path),
                  let obj = try? JSONValue.parseJSON(bytes: Array(data)) else {
                notes.append("timings: \(path): cannot read it as JSON")
                return nil
            }
            let list = obj.listValue ?? obj["stages"]?.listValue ?? []
            var rows: [[String]] = []
            for o in list {
                guard let id = (o["id"] ?? o["stage"])?.stringValue else { continue }
                guard let s = o["seconds"]?.doubleValue else { continue }
                rows.append([id, ReportFormat.fixed(s, 3)])
            }
            if rows.isEmpty { notes.append("timings: \(path): no stage with seconds"); return nil }
            return CSVTable(header: timingColumns, rows: rows, source: path)
        }
        return loadTable([path], columns: timingColumns, what: "timings", notes: &notes)
    }
}

/// Fixed number formatting shared by the figures, tables and HTML (deterministic output).
public enum ReportFormat {
    /// `v` with `digits` decimals, or "—" when not finite.
    public static func fixed(_ v: Double?, _ digits: Int) -> String {
        guard let v, v.isFinite else { return "—" }
        let s = String(format: "%.\(digits)f", v)
        return s.hasPrefix("-") && Double(s) == 0 ? String(s.dropFirst()) : s
    }
}
