// Store: the on-disk, content-addressed cache.
//   objects/ab/cdef...   immutable blobs (files, and directory manifests) named by BLAKE3
//   stages/<key>.json    a finished stage's record, written last and atomically
//   index/<id-hash>.json the latest key for a pipeline's stage id (for status/explain)
//   out/<key>/           a stage's output, materialised as hard links to its objects
//   work/<key>/          resumable state of an unfinished stage (e.g. training checkpoints)
//   tmp/                 scratch of running stages; leftovers of dead processes are removed
//   locks/<key>.lock     per-key locks between processes
//   logs/<key>.log       logs of failed stages

import Foundation
import PipelineCore
#if canImport(Glibc)
import Glibc
#endif

/// A directory tree as stored: the manifest digest and every object it needs.
public struct TreeInfo {
    public var digest: String
    public var objects: [String]
    public var size: Int
    public var files: Int
}

public final class Store: @unchecked Sendable {
    public let root: String
    public let statCache: StatCache

    /// Opens (and creates) a store at `root`.
    public init(root: String) throws {
        let abs = root.hasPrefix("/") ? root : FileManager.default.currentDirectoryPath + "/" + root
        self.root = URL(fileURLWithPath: abs).standardizedFileURL.path
        for d in ["objects", "stages", "index", "out", "work", "tmp", "locks", "logs"] {
            try FileSystem.makeDirectory(self.root + "/" + d)
        }
        statCache = StatCache(path: self.root + "/statcache-v\(storeFormatVersion).json")
    }

    // MARK: Paths

    public func objectPath(_ digest: String) -> String {
        "\(root)/objects/\(digest.prefix(2))/\(digest.dropFirst(2))"
    }
    public func recordPath(_ key: String) -> String { "\(root)/stages/\(key).json" }
    public func outputPath(_ key: String) -> String { "\(root)/out/\(key)" }
    public func workPath(_ key: String) -> String { "\(root)/work/\(key)" }
    public func lockPath(_ key: String) -> String { "\(root)/locks/\(key).lock" }
    public func failedLogPath(_ key: String) -> String { "\(root)/logs/\(key).log" }
    func indexPath(pipeline: String, stage: String) -> String {
        "\(root)/index/\(sha256Hex(pipeline + "\u{0}" + stage)).json"
    }

    /// A fresh private scratch directory under tmp/, tagged with this process id.
    public func makeTemporaryDirectory(_ tag: String) throws -> String {
        let p = "\(root)/tmp/\(tag).\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        try FileSystem.makeDirectory(p)
        return p
    }

    /// Removes scratch directories left by processes that no longer run.
    public func cleanTemporaries() {
        for name in FileSystem.list(root + "/tmp") {
            // `<tag>.<pid>.<random>` (stage scratch) or `.tmp-<pid>-<random>` (atomic writes).
            let parts = name.hasPrefix(".tmp-") ? name.dropFirst(5).split(separator: "-") : name.split(separator: ".")
            let pidField = name.hasPrefix(".tmp-") ? parts.first : (parts.count >= 3 ? parts[parts.count - 2] : nil)
            guard let pidField, let pid = Int32(pidField) else { continue }
            if pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH {
                FileSystem.remove(root + "/tmp/" + name)
            }
        }
    }

    // MARK: Records

    /// The record for `key`, if one was written.
    public func record(_ key: String) -> StageRecord? {
        guard let data = FileSystem.read(recordPath(key)), let v = try? Value.parseJSON(bytes: Array(data)) else { return nil }
        return StageRecord(v)
    }

    /// The record for `key` if the stage is complete: the record exists and so does every object.
    public func completeRecord(_ key: String) -> StageRecord? {
        guard let r = record(key) else { return nil }
        for o in r.objects where !FileSystem.exists(objectPath(o)) { return nil }
        return r
    }

    /// Writes a record (last step of finishing a stage), then the stage-id index entry. The rename
    /// makes it atomic against a kill at any instant. With `durable` (the runner asks for it when
    /// a stage took long enough that losing it would hurt), everything written before (objects,
    /// manifests, the output) is flushed to disk first and the record is fsynced, so even after a
    /// power loss a record never names an object that is not on disk.
    public func write(_ record: StageRecord, durable: Bool = false) throws {
        if durable { FileSystem.syncFilesystem(of: root) }
        try FileSystem.writeAtomically(Data(record.value.prettyJSON().utf8), to: recordPath(record.key),
                                       tempDirectory: root + "/tmp", durable: durable)
        if durable { FileSystem.syncDirectory(root + "/stages") }
        try noteLatest(pipeline: record.pipeline, stage: record.stage, key: record.key)
    }

    /// Records that `key` is the latest for a stage id.
    public func noteLatest(pipeline: String, stage: String, key: String) throws {
        let v = Value.map([("pipeline", .string(pipeline)), ("stage", .string(stage)), ("key", .string(key))])
        try FileSystem.writeAtomically(Data(v.canonicalJSON.utf8), to: indexPath(pipeline: pipeline, stage: stage),
                                       tempDirectory: root + "/tmp")
    }

    /// The latest key recorded for a stage id, if any.
    public func latestKey(pipeline: String, stage: String) -> String? {
        guard let d = FileSystem.read(indexPath(pipeline: pipeline, stage: stage)),
              let v = try? Value.parseJSON(bytes: Array(d)) else { return nil }
        return v["key"]?.stringValue
    }

    /// Every record key in the store.
    public func allKeys() -> [String] {
        FileSystem.list(root + "/stages").filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }
    }

    // MARK: Objects and trees

    /// Stores bytes as an object; returns its digest.
    @discardableResult
    public func put(_ data: Data) throws -> String {
        let d = contentDigest(data)
        let p = objectPath(d)
        if !FileSystem.exists(p) {
            try FileSystem.makeDirectory((p as NSString).deletingLastPathComponent)
            try FileSystem.writeAtomically(data, to: p, tempDirectory: root + "/tmp")
            chmod(p, 0o444)
        }
        return d
    }

    /// Adds a file as an object by hard-linking it (copying across filesystems); the file stays.
    func link(file: String, digest: String) throws {
        let p = objectPath(digest)
        if FileSystem.exists(p) { return }
        try FileSystem.makeDirectory((p as NSString).deletingLastPathComponent)
        if Glibc.link(file, p) == 0 || errno == EEXIST {
            chmod(p, 0o444)
            return
        }
        guard let data = FileSystem.read(file) else { throw PosixError(path: file, operation: "read") }
        try FileSystem.writeAtomically(data, to: p, tempDirectory: root + "/tmp")
        chmod(p, 0o444)
    }

    /// Computes the manifest digest of a directory tree. With `store`, also adds every file and
    /// manifest as an object. Symlinks and special files are refused.
    public func tree(_ dir: String, store: Bool, useStatCache: Bool = false) throws -> TreeInfo {
        var objects: [String] = []
        var size = 0, files = 0
        func walk(_ d: String) throws -> String {
            var entries: [Value] = []
            for name in FileSystem.list(d) {
                let p = d + "/" + name
                var st = stat()
                guard lstat(p, &st) == 0 else { throw PosixError(path: p, operation: "stat") }
                switch st.st_mode & S_IFMT {
                case S_IFDIR:
                    let sub = try walk(p)
                    entries.append(.map([("name", .string(name)), ("type", .string("dir")), ("digest", .string(sub))]))
                case S_IFREG:
                    let (digest, n) = useStatCache ? try statCache.digest(ofFile: p) : try FileHasher.hash(path: p)
                    let exec = st.st_mode & 0o100 != 0
                    if store { try link(file: p, digest: digest); objects.append(digest) }
                    size += n
                    files += 1
                    entries.append(.map([("name", .string(name)), ("type", .string("file")), ("digest", .string(digest)),
                                         ("size", .int(n)), ("exec", .bool(exec))]))
                default:
                    throw StageError("'\(p)' is a symbolic link or special file; stage outputs may hold only regular files and directories")
                }
            }
            let manifest = Data(Value.map([("entries", .list(entries))]).canonicalJSON.utf8)
            if store {
                let d = try put(manifest)
                objects.append(d)
                return d
            }
            return contentDigest(manifest)
        }
        let digest = try walk(dir)
        return TreeInfo(digest: digest, objects: objects, size: size, files: files)
    }

    /// Content digest of a dependency: a file's BLAKE3, or a directory's manifest digest.
    public func dependencyDigest(_ path: String) throws -> String {
        if FileSystem.isDirectory(path) { return try tree(path, store: false, useStatCache: true).digest }
        return try statCache.digest(ofFile: path).digest
    }

    /// Reads a stored directory manifest.
    public func manifest(_ digest: String) throws -> [Value] {
        guard let d = FileSystem.read(objectPath(digest)) else {
            throw PipelineError.store(path: objectPath(digest), problem: "missing object")
        }
        guard let entries = try Value.parseJSON(bytes: Array(d))["entries"]?.listValue else {
            throw PipelineError.store(path: objectPath(digest), problem: "not a directory manifest")
        }
        return entries
    }

    /// Builds `path` from a stored manifest with hard links to the objects.
    public func materialize(tree digest: String, at path: String) throws {
        try FileSystem.makeDirectory(path)
        for e in try manifest(digest) {
            guard let name = e["name"]?.stringValue, let d = e["digest"]?.stringValue,
                  !name.contains("/"), name != "..", name != "." else { continue }
            let p = path + "/" + name
            if e["type"]?.stringValue == "dir" {
                try materialize(tree: d, at: p)
            } else if e["exec"]?.boolValue == true {
                guard let data = FileSystem.read(objectPath(d)) else { throw PosixError(path: objectPath(d), operation: "read") }
                try data.write(to: URL(fileURLWithPath: p))
                chmod(p, 0o555)
            } else if Glibc.link(objectPath(d), p) != 0 {
                guard let data = FileSystem.read(objectPath(d)) else { throw PosixError(path: objectPath(d), operation: "read") }
                try data.write(to: URL(fileURLWithPath: p))
                chmod(p, 0o444)
            }
        }
    }

    /// The output directory of a finished stage, rebuilt from objects if it is missing.
    public func outputDirectory(of record: StageRecord) throws -> String {
        let out = outputPath(record.key)
        if FileSystem.exists(out) { return out }
        let tmp = try makeTemporaryDirectory("materialize")
        try materialize(tree: record.output, at: tmp + "/out")
        if rename(tmp + "/out", out) != 0 && errno != ENOTEMPTY && errno != EEXIST {
            throw PosixError(path: out, operation: "rename")
        }
        FileSystem.remove(tmp)
        return out
    }

    /// Moves a finished stage's output directory into place as `out/<key>` (after its files were
    /// stored as objects by `tree(_:store: true)`).
    public func adoptOutput(_ dir: String, key: String) throws {
        let out = outputPath(key)
        if FileSystem.exists(out) { FileSystem.remove(dir); return }
        makeReadOnly(dir)
        if rename(dir, out) != 0 {
            if errno == ENOTEMPTY || errno == EEXIST { FileSystem.remove(dir); return }
            throw PosixError(path: out, operation: "rename")
        }
    }

    private func makeReadOnly(_ dir: String) {
        for name in FileSystem.list(dir) {
            let p = dir + "/" + name
            if FileSystem.isDirectory(p) { makeReadOnly(p) } else {
                var st = stat()
                if stat(p, &st) == 0 { chmod(p, st.st_mode & 0o111 != 0 ? 0o555 : 0o444) }
            }
        }
    }
}
