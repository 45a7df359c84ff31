// ConcatStage: `kind: concat` concatenates one file from each input artifact (inputs by name,
// then artifacts by stage id), optionally appending a line. With `header: true` the files are CSV
// tables: one header (the union of the columns), led by the matrix axes that tell the artifacts
// apart (Provenance), so each row still says which stage instance it came from.

import Base
import Foundation
import PipelineCore

public struct ConcatStage: StageKind {
    public init() {}
    public let name = "concat"
    public var writes: Set<Artifact>? { [] }
    public var acceptsPartialGather: Bool { true }
    public let version = 1
    public let summary = "Concatenate a file from every input (inputs by name, artifacts by stage id) into one file; with header: true, CSV tables under one header with the distinguishing axis columns."
    public let params: [ParamSpec] = [
        ParamSpec("source", .string, default: .string("out.txt"), "File to read inside each input's output; an output holding a single file is read whatever its name."),
        ParamSpec("file", .string, default: .string("out.txt"), "Name of the file to write."),
        ParamSpec("append", .string, default: .string(""), "A line appended at the end (templated); empty for none."),
        ParamSpec("header", .bool, default: .bool(false), "The files are CSV tables with a header line: write one header, led by a column per matrix axis that tells the inputs apart (seed, ...), instead of the bytes end to end."),
    ]

    public func execute(_ context: StageContext) throws {
        var parts: [(art: InputArtifact, data: Data)] = []
        for name in context.inputs.keys.sorted() {
            for art in context.inputs[name]!.sorted(by: { $0.stageId < $1.stageId }) {
                var path = art.path + "/" + context.params.string("source")
                if !FileManager.default.fileExists(atPath: path) {
                    var isDir: ObjCBool = false
                    let files = (try? FileManager.default.contentsOfDirectory(atPath: art.path)) ?? []
                    if FileManager.default.fileExists(atPath: art.path, isDirectory: &isDir), !isDir.boolValue {
                        path = art.path
                    } else if files.count == 1 {
                        path = art.path + "/" + files[0]
                    }
                }
                guard let d = FileManager.default.contents(atPath: path) else {
                    throw StageError("cannot read '\(context.params.string("source"))' from input '\(name)' (\(art.stageId))")
                }
                parts.append((art, d))
            }
        }
        var out = Data()
        if context.params.bool("header") {
            out = Data(try Self.tables(parts).csv().utf8)
        } else {
            for p in parts { out.append(p.data) }
        }
        let line = context.params.string("append")
        if !line.isEmpty { out.append(Data((line + "\n").utf8)) }
        try out.write(to: URL(fileURLWithPath: try context.outputPath(context.params.string("file"))))
    }

    /// The CSV tables of `parts` stacked under one header, each row led by its artifact's values
    /// on the axes that tell the artifacts apart (those the tables do not already have).
    static func tables(_ parts: [(art: InputArtifact, data: Data)]) throws -> CSVTable {
        var tables: [CSVTable] = []
        for (art, data) in parts {
            do { tables.append(try CSVTable.parse(String(decoding: data, as: UTF8.self), source: art.stageId)) } catch {
                throw StageError("input \(art.stageId): \(error)")
            }
        }
        let own = Set(tables.flatMap(\.header))
        let axes = Provenance(parts.map(\.art), fixed: Array(own)).axes
        let led = zip(parts, tables).map { part, t in
            let values = axes.map { Provenance.value(part.art, $0) }
            return CSVTable(header: axes + t.header, rows: t.rows.map { values + $0 }, source: t.source)
        }
        return CSVTable.concatenate(led, source: "concatenated tables")
    }
}
