// ReportInputs+Loading: how the report stage finds and reads its tables on disk: the CSV files of
// an artifact, several instances' tables joined with their distinguishing axes as columns
// (Provenance), and timings from CSV or JSON.

import Base
import Foundation
import PipelineCore
import Report

extension ReportInputs {
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
                tables.append((t, InputArtifact(stageId: p, assignment: instanceAssignment(p).map { ($0.0, Value.string($0.1)) }, path: p, digest: "")))
            } catch {
                notes.append("\(what): \(error)")
            }
        }
        let axes = Provenance(tables.map(\.instance), fixed: ReportInputs.keyColumns).axes
        let led = tables.map { t in ReportStage.withAxes(t.table, axes.filter { t.table.column($0) == nil }, t.instance) }
        return led.isEmpty ? nil : CSVTable.concatenate(led, source: what)
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
