// BundleExporter: assembles a bundle from what the caller selected (stage records, pipeline
// files, dependency files, published outputs): lists every entry with its size and digest in the
// manifest, orders entries (MANIFEST.json, objects/, pipeline/, results/, each sorted by name)
// and hands them to BundleWriter. Objects are named by their digest in the store, so they are
// not re-hashed; other files are.

import Base
import Foundation
import PipelineCore
import PipelineStore

/// What to put in a bundle, chosen by the caller (the CLI picks records from the plan).
public struct BundleContents {
    public var pipeline: String
    public var pipelineFile: String
    public var files: [BundleTextFile]
    public var vars: Value
    public var overrides: [String]
    public var only: [String]
    public var withIntermediates: Bool
    public var records: [StageRecord]
    public var current: [String]
    /// `pipeline/<relative path>` and `results/<name>/...` entries: archive name -> (source file, exec).
    public var extraFiles: [String: (path: String, exec: Bool)]
    public var provenance: [(String, Value)]
    public var note: String

    public init(pipeline: String, pipelineFile: String, files: [BundleTextFile], vars: Value, overrides: [String],
                only: [String], withIntermediates: Bool, records: [StageRecord], current: [String],
                extraFiles: [String: (path: String, exec: Bool)], provenance: [(String, Value)], note: String) {
        self.pipeline = pipeline
        self.pipelineFile = pipelineFile
        self.files = files
        self.vars = vars
        self.overrides = overrides
        self.only = only
        self.withIntermediates = withIntermediates
        self.records = records
        self.current = current
        self.extraFiles = extraFiles
        self.provenance = provenance
        self.note = note
    }
}

public enum BundleExporter {
    /// Builds the manifest for `contents` (reading object sizes from `store`, hashing extra files).
    public static func manifest(_ contents: BundleContents, store: Store, engine: String) throws -> BundleManifest {
        var entries: [BundleEntry] = []
        let objects = Set(contents.records.flatMap(\.objects)).sorted()
        for o in objects {
            guard BundlePath.isDigest(o), let size = FileSystem.size(store.objectPath(o)) else {
                throw BundleError.export(problem: "object \(o) is missing from the cache \(store.root); run `madpipe cache verify`")
            }
            entries.append(BundleEntry(path: "objects/" + o, size: size, digest: o))
        }
        for name in contents.extraFiles.keys.sorted(by: { ($0.hasPrefix("results/") ? 1 : 0, $0) < ($1.hasPrefix("results/") ? 1 : 0, $1) }) {
            let (path, exec) = contents.extraFiles[name]!
            if let problem = BundlePath.problem(name) { throw BundleError.export(problem: "'\(name)': \(problem)") }
            let (digest, size) = try FileHasher.hash(path: path)
            entries.append(BundleEntry(path: name, size: size, digest: digest, exec: exec))
        }
        for f in contents.files {
            if let problem = BundlePath.problem(f.path) { throw BundleError.export(problem: "pipeline file '\(f.path)': \(problem)") }
        }
        let m = BundleManifest(engine: engine, pipeline: contents.pipeline, pipelineFile: contents.pipelineFile, files: contents.files,
                               vars: contents.vars, overrides: contents.overrides, only: contents.only,
                               withIntermediates: contents.withIntermediates,
                               records: contents.records.sorted { $0.key < $1.key }, current: contents.current.sorted(),
                               entries: entries, provenance: contents.provenance, note: contents.note)
        // Never write a bundle that verify and import would refuse.
        do { try BundleNames.check(m, file: "") } catch BundleError.badName(_, let field, let value, let rule) {
            throw BundleError.export(problem: "the manifest's field '\(field)' would be \(BundleError.shown(value)), which is not \(rule), so no importer would accept the bundle")
        }
        return m
    }

    /// Writes the bundle to `path`; returns its manifest and digest.
    public static func export(_ contents: BundleContents, store: Store, engine: String, to path: String,
                              threads: Int = 2) throws -> (BundleManifest, BundleWriteResult) {
        let m = try manifest(contents, store: store, engine: engine)
        var list: [(name: String, exec: Bool, source: BundleSource)] = [(BundleManifest.entryName, false, .bytes(m.json))]
        for e in m.entries {
            let source: String
            if e.path.hasPrefix("objects/") { source = store.objectPath(e.digest) } else { source = contents.extraFiles[e.path]!.path }
            list.append((e.path, e.exec, .file(source)))
        }
        let result = try BundleWriter.write(to: path, entries: list, threads: threads)
        return (m, result)
    }
}
