// TableStage: `kind: table` gathers one JSON object per input artifact (e.g. the quirkiness.json
// of every model-outputs instance) into a CSV whose leading columns are the artifacts' matrix
// axis values (model, dataset, ...), so per-instance metrics become one table. With explicit
// `axes`, every other axis that tells the artifacts apart (a seed, an order) is added after them,
// and two rows with the same axis values are an error naming both stage instances.

import Base
import Foundation
import PipelineCore

public struct TableStage: StageKind {
    public init() {}
    public let name = "table"
    public var writes: Set<Artifact>? { [] }
    public var acceptsPartialGather: Bool { true }
    public let version = 2
    public let summary = "Gather a JSON object from every input artifact into one CSV, with the artifacts' axis values as leading columns."
    public let params: [ParamSpec] = [
        ParamSpec("source", .string, "JSON file to read inside each input artifact (an object of scalars)."),
        ParamSpec("file", .string, "Name of the CSV to write."),
        ParamSpec("axes", .stringList, default: .list([]), "Axis columns, in order; any other axis on which the artifacts differ follows them. Empty = every axis the artifacts carry, in matrix order."),
        ParamSpec("columns", .stringList, default: .list([]), "Keys to write, in order; empty = every key of the first object."),
    ]

    public func execute(_ context: StageContext) throws {
        let p = context.params
        var rows: [(art: InputArtifact, object: Value)] = []
        for name in context.inputs.keys.sorted() {
            for art in context.inputs[name]! {
                let path = art.path + "/" + p.string("source")
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw StageError("input '\(name)' (\(art.stageId)) has no '\(p.string("source"))'")
                }
                let v: Value
                do { v = try Value.parseJSON(bytes: Array(data)) } catch { throw StageError("\(path): \(error)") }
                guard case .map = v else { throw StageError("\(path): expected a JSON object") }
                rows.append((art, v))
            }
        }
        guard let first = rows.first else { throw StageError("no input artifacts to tabulate") }
        var axes = p.strings("axes")
        if axes.isEmpty {
            for r in rows { for (a, _) in r.art.assignment where !axes.contains(a) { axes.append(a) } }
        } else {
            axes += Provenance(rows.map(\.art), fixed: axes, keys: rows.map { r in axes.map { Provenance.value(r.art, $0) } }).axes
        }
        var columns = p.strings("columns")
        if columns.isEmpty { columns = first.object.mapValue!.map(\.0).filter { !axes.contains($0) } }
        var out = (axes + columns).map(TableStage.csvField).joined(separator: ",") + "\n"
        var keys = TableKeys(table: p.string("file"), columns: axes)
        for r in rows {
            let axisCells = axes.map { Provenance.value(r.art, $0) }
            try keys.add(axisCells, from: r.art.stageId)
            let cells = columns.map { c -> String in
                guard let v = r.object[c] else { return "" }
                if case let .double(d) = v { return String(format: "%.6g", d) }
                return v.description
            }
            out += (axisCells + cells).map(TableStage.csvField).joined(separator: ",") + "\n"
        }
        try FileSystem.writeAtomically(Data(out.utf8), to: try context.outputPath(p.string("file")))
    }

    /// Quotes a CSV field when it needs it.
    static func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
