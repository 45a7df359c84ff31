// BundleTestSupport: helpers for the bundle tests: a small store with two stage results, a seeded
// PRNG for the fuzz test, a raw tar.zst builder (libarchive, any entry type and name, so tests
// can craft hostile archives the exporter would never write) and a snapshot of a store's files.

import Base
import CArchive
import Foundation
import PipelineCore
import PipelineStore
@testable import Bundles
#if canImport(Glibc)
import Glibc
#endif

/// One entry of a hand-built tar.
struct RawEntry {
    enum Kind { case file, symlink(String), hardlink(String), directory, fifo, device }
    var name: String
    var kind: Kind = .file
    var data: [UInt8] = []
    /// Size written in the header (defaults to data.count).
    var headerSize: Int? = nil
}

enum RawTar {
    /// Writes `entries` as a zstd-compressed pax tar with libarchive.
    static func write(_ entries: [RawEntry], to path: String, compress: Bool = true) throws {
        let a = archive_write_new()!
        defer { archive_write_free(a) }
        archive_write_set_format_pax_restricted(a)
        if compress { archive_write_add_filter_zstd(a) }
        guard archive_write_open_filename(a, path) == ARCHIVE_OK else { throw PosixError(path: path, operation: "open") }
        for e in entries {
            let h = archive_entry_new()!
            defer { archive_entry_free(h) }
            archive_entry_set_pathname(h, e.name)
            archive_entry_set_perm(h, 0o644)
            switch e.kind {
            case .file:
                archive_entry_set_filetype(h, ArchiveFileType.regular)
                archive_entry_set_size(h, la_int64_t(e.headerSize ?? e.data.count))
            case .symlink(let target):
                archive_entry_set_filetype(h, ArchiveFileType.symlink)
                archive_entry_set_symlink(h, target)
            case .hardlink(let target):
                archive_entry_set_filetype(h, ArchiveFileType.regular)
                archive_entry_set_hardlink(h, target)
                archive_entry_set_size(h, 0)
            case .directory:
                archive_entry_set_filetype(h, ArchiveFileType.directory)
            case .fifo:
                archive_entry_set_filetype(h, ArchiveFileType.fifo)
            case .device:
                archive_entry_set_filetype(h, ArchiveFileType.characterDevice)
                archive_entry_set_rdev(h, makedev(1, 3))
            }
            archive_write_header(a, h)
            if case .file = e.kind, !e.data.isEmpty {
                _ = e.data.withUnsafeBytes { archive_write_data(a, $0.baseAddress, $0.count) }
            }
            archive_write_finish_entry(a)
        }
        archive_write_close(a)
    }

    static func makedev(_ major: UInt32, _ minor: UInt32) -> dev_t {
        dev_t((major << 8) | minor)
    }
}

/// A scratch directory with a store holding two finished stages (`a` feeds `b`).
final class BundleFixture {
    let dir: String
    let store: Store
    var records: [StageRecord] = []

    init(_ name: String) throws {
        dir = NSTemporaryDirectory() + "madpipe-bundle-\(name)-\(UUID().uuidString.prefix(8))"
        store = try Store(root: dir + "/cache")
        records.append(try addStage("a", files: ["data.bin": Array(repeating: 7, count: 3000), "meta/info.txt": Array("a\n".utf8)], inputs: []))
        records.append(try addStage("b", files: ["auroc.csv": Array("detector,auroc\nmaha,0.71\nsae,0.93\nflow,0.88\n".utf8)],
                                    inputs: [("x", .string(records[0].output))]))
    }

    deinit { FileSystem.remove(dir) }

    func addStage(_ id: String, files: [String: [UInt8]], inputs: [(String, Value)]) throws -> StageRecord {
        let out = dir + "/work-\(id)"
        for (rel, bytes) in files {
            let p = out + "/" + rel
            try FileSystem.makeDirectory((p as NSString).deletingLastPathComponent)
            try Data(bytes).write(to: URL(fileURLWithPath: p))
        }
        let tree = try store.tree(out, store: true)
        let log = try store.put(Data("log of \(id)\n".utf8))
        let parts = KeyParts(kind: "command", kindVersion: 1, params: .map([("run", .string("make \(id)")), ("ratio", .double(0.5))]),
                             inputs: inputs, files: [])
        let r = StageRecord(key: parts.key, stage: id, pipeline: "demo", parts: parts, output: tree.digest,
                            objects: tree.objects + [log], size: tree.size, log: log,
                            started: StageRecord.timestamp(Date(timeIntervalSince1970: 1_700_000_000)), seconds: 1.25, host: "h", engine: "test", executor: "local")
        try store.write(r)
        FileSystem.remove(out)
        return r
    }

    /// Contents for a bundle of both stages plus one dependency file and one published output.
    func contents(note: String = "n") throws -> BundleContents {
        try FileSystem.makeDirectory(dir + "/proj/data")
        try Data("input\n".utf8).write(to: URL(fileURLWithPath: dir + "/proj/data/in.txt"))
        let csv = try store.outputDirectory(of: records[1]) + "/auroc.csv"
        return BundleContents(
            pipeline: "demo", pipelineFile: "p.yaml", files: [BundleTextFile(path: "p.yaml", text: "pipeline: demo\n")],
            vars: .map([("seed", .int(1))]), overrides: [], only: [], withIntermediates: false,
            records: records, current: records.map(\.key),
            extraFiles: ["pipeline/data/in.txt": (dir + "/proj/data/in.txt", false), "results/auroc.csv": (csv, false)],
            provenance: [("created", .string("2023-11-14T22:13:20Z"))], note: note)
    }

    /// Writes a valid bundle and returns its path.
    func bundle(_ name: String = "b.tar.zst") throws -> String {
        let p = dir + "/" + name
        _ = try BundleExporter.export(try contents(), store: store, engine: "test", to: p)
        return p
    }
}

/// Every path and content digest under a directory (for "the store is unchanged" checks).
func snapshot(_ root: String) -> [String: String] {
    var out: [String: String] = [:]
    func walk(_ d: String, _ rel: String) {
        for n in FileSystem.list(d) {
            let p = d + "/" + n
            if FileSystem.isDirectory(p) { out[rel + n + "/"] = "dir"; walk(p, rel + n + "/") }
            else { out[rel + n] = (try? FileHasher.hash(path: p).digest) ?? "?" }
        }
    }
    walk(root, "")
    return out
}

/// Runs a program and returns its exit status and standard output.
func runProcess(_ path: String, _ args: [String]) throws -> (Int32, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle(forWritingAtPath: "/dev/null")
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}
