// Store: the on-disk, content-addressed cache.
//   objects/ab/cdef...   immutable blobs (files, and directory manifests) named by BLAKE3
//   stages/<key>.json    a finished stage's record, written last and atomically
//   index/<id-hash>.json the latest key for a pipeline's stage id (for status/explain)
//   out/<key>/           a stage's output, materialised as hard links to its objects (executable
//                        files as sealed copies)
// Objects are never shared with anything a stage can still write: a file is linked into the store
// only when the stage's own output is its sole name, otherwise copied. Every object (and every
// materialised copy) is sealed: mode 0444 (0555) and mtime 1 s after the epoch, so a later write by
// anyone is noticed from one lstat, and the object is re-hashed before anything uses it.
//   work/<key>/          resumable state of an unfinished stage (e.g. training checkpoints)
//   tmp/                 scratch of running stages; leftovers of dead processes are removed
//   locks/<key>.lock     per-key locks between processes
//   logs/<key>.log       logs of failed stages

import Base
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

    /// The record for `key` if the stage is complete: the record exists and every object it names
    /// is present and intact (sealed, or re-hashed to its name; a changed one is removed).
    public func completeRecord(_ key: String) -> StageRecord? {
        guard let r = record(key) else { return nil }
        for o in r.objects where !objectIntact(o) { return nil }
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
        if !objectIntact(d) {
            try FileSystem.makeDirectory((p as NSString).deletingLastPathComponent)
            let tmp = root + "/tmp/.tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
            try FileSystem.writeAtomically(data, to: tmp, tempDirectory: root + "/tmp")
            Store.seal(tmp, mode: 0o444)
            guard rename(tmp, p) == 0 else {
                let e = PosixError(path: p, operation: "rename")
                unlink(tmp)
                throw e
            }
        }
        return d
    }

    // MARK: Sealing and checking

    /// The mtime of every sealed file: 1 s after the epoch, a value no ordinary write produces.
    static let sealedSeconds = 1

    /// Seals a file: read-only `mode` and the sealed mtime (the atime is left alone).
    public static func seal(_ path: String, mode: mode_t) {
        chmod(path, mode)
        var times = [timespec(tv_sec: 0, tv_nsec: (1 << 30) - 2)  /* UTIME_OMIT */, timespec(tv_sec: sealedSeconds, tv_nsec: 0)]
        _ = utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW)
    }

    static func isSealed(_ st: stat) -> Bool {
        (st.st_mode & S_IFMT) == S_IFREG && st.st_mtim.tv_sec == sealedSeconds && st.st_mtim.tv_nsec == 0
    }

    /// True when the object exists and is unchanged since it was stored. The fast path is one
    /// lstat (sealed: nobody wrote it). Otherwise the content is re-hashed: a match is sealed
    /// again (objects of older stores, or a touched file), a mismatch is removed from the store so
    /// that no stage reads it and its producer runs again.
    public func objectIntact(_ digest: String) -> Bool {
        guard Store.isDigest(digest) else { return false }
        let p = objectPath(digest)
        var st = stat()
        guard lstat(p, &st) == 0 else { return false }
        if Store.isSealed(st) { return true }
        if (st.st_mode & S_IFMT) == S_IFREG, let (d, _) = try? FileHasher.hash(path: p), d == digest {
            Store.seal(p, mode: 0o444)
            return true
        }
        quarantine(digest)
        return false
    }

    /// True for a content digest as the store names objects: 64 lowercase hex digits. Anything
    /// else (from a damaged record or manifest) never becomes a path.
    public static func isDigest(_ s: String) -> Bool {
        s.utf8.count == 64 && s.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    /// Removes a changed object (and every output directory built from it is re-checked on use).
    func quarantine(_ digest: String) {
        guard Store.isDigest(digest) else { return }
        unlink(objectPath(digest))
    }

    /// Adds the output file `file` (digest `digest`) as an object and leaves `file` as the stage's
    /// view of it: a hard link to the object, or for an executable a sealed private copy (one inode
    /// cannot be both 0444 and executable). The file is linked into the store only when the stage's
    /// output is its only name (a hard link to a file outside must not become the object); otherwise
    /// it is copied and the copy checked against the digest.
    func store(file: String, digest: String, exec: Bool) throws {
        let p = objectPath(digest)
        if !objectIntact(digest) {
            try FileSystem.makeDirectory((p as NSString).deletingLastPathComponent)
            var st = stat()
            guard lstat(file, &st) == 0 else { throw PosixError(path: file, operation: "stat") }
            var stored = false
            if !exec && st.st_nlink == 1 {
                if Glibc.link(file, p) == 0 {
                    Store.seal(p, mode: 0o444)
                    stored = true
                } else if errno == EEXIST {
                    stored = objectIntact(digest)   // another stage stored the same bytes meanwhile
                }
            }
            if !stored {
                let tmp = root + "/tmp/.tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
                try FileSystem.copyFile(file, to: tmp, mode: 0o444)
                defer { unlink(tmp) }
                let (d, _) = try FileHasher.hash(path: tmp)
                guard d == digest else {
                    throw StageError("output file '\(file)' changed while it was being stored (is a process outside the stage still writing it?)")
                }
                Store.seal(tmp, mode: 0o444)
                // link, not rename: an object another stage stored meanwhile is never replaced
                // (its views are hard links to it).
                while Glibc.link(tmp, p) != 0 {
                    guard errno == EEXIST else { throw PosixError(path: p, operation: "link") }
                    if objectIntact(digest) { break }
                }
            }
        }
        try replaceWithView(file, digest: digest, exec: exec)
    }

    /// Makes `path` the stage-side view of an object: a hard link, or a sealed copy if executable
    /// (or if the filesystem refuses the link).
    func replaceWithView(_ path: String, digest: String, exec: Bool) throws {
        let obj = objectPath(digest)
        var a = stat(), b = stat()
        if !exec, lstat(path, &a) == 0, stat(obj, &b) == 0, a.st_ino == b.st_ino, a.st_dev == b.st_dev { return }
        let tmp = (path as NSString).deletingLastPathComponent + "/.view-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        if exec || Glibc.link(obj, tmp) != 0 {
            try FileSystem.copyFile(obj, to: tmp, mode: exec ? 0o555 : 0o444)
            Store.seal(tmp, mode: exec ? 0o555 : 0o444)
        }
        guard rename(tmp, path) == 0 else {
            let e = PosixError(path: path, operation: "rename")
            unlink(tmp)
            throw e
        }
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
                    if store { try self.store(file: p, digest: digest, exec: exec); objects.append(digest) }
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
        guard Store.isDigest(digest) else { throw PipelineError.store(path: root, problem: "'\(digest)' is not a content digest") }
        guard let d = FileSystem.read(objectPath(digest)) else {
            throw PipelineError.store(path: objectPath(digest), problem: "missing object")
        }
        guard let entries = try Value.parseJSON(bytes: Array(d))["entries"]?.listValue else {
            throw PipelineError.store(path: objectPath(digest), problem: "not a directory manifest")
        }
        return entries
    }

    /// Builds `path` from a stored manifest: hard links to the objects, sealed copies for
    /// executables. Every object is checked first; a changed one is an error naming it.
    public func materialize(tree digest: String, at path: String) throws {
        try FileSystem.makeDirectory(path)
        for e in try manifest(digest) {
            guard let name = e["name"]?.stringValue, let d = e["digest"]?.stringValue,
                  !name.contains("/"), name != "..", name != "." else { continue }
            let p = path + "/" + name
            if e["type"]?.stringValue == "dir" {
                try materialize(tree: d, at: p)
                continue
            }
            guard objectIntact(d) else { throw PipelineError.store(path: objectPath(d), problem: "object \(d) is missing or was changed after it was stored") }
            let exec = e["exec"]?.boolValue == true
            if exec || Glibc.link(objectPath(d), p) != 0 {
                try FileSystem.copyFile(objectPath(d), to: p, mode: exec ? 0o555 : 0o444)
                Store.seal(p, mode: exec ? 0o555 : 0o444)
            }
        }
    }

    /// The output directory of a finished stage, checked against its objects and rebuilt from
    /// them if it is missing or was changed (a file replaced, written or removed in out/<key>/).
    /// Throws when an object itself was changed: it is removed, so the producer runs again.
    public func outputDirectory(of record: StageRecord) throws -> String {
        let out = outputPath(record.key)
        if FileSystem.exists(out) {
            if try viewIntact(tree: record.output, at: out) { return out }
            FileSystem.remove(out)
        }
        let tmp = try makeTemporaryDirectory("materialize")
        defer { FileSystem.remove(tmp) }
        do {
            try materialize(tree: record.output, at: tmp + "/out")
        } catch let e as PipelineError {
            throw PipelineError.store(path: recordPath(record.key),
                                      problem: "the output of \(record.stage) cannot be used: \(e); run again to recompute it")
        }
        makeReadOnly(tmp + "/out")
        if rename(tmp + "/out", out) != 0 && errno != ENOTEMPTY && errno != EEXIST {
            throw PosixError(path: out, operation: "rename")
        }
        return out
    }

    /// True when `dir` still matches the manifest `digest`: the same names, every plain file the
    /// object's own inode, every executable a sealed copy of the right size, every object intact.
    /// Costs one lstat per file and one read per directory manifest.
    func viewIntact(tree digest: String, at dir: String) throws -> Bool {
        let entries = try manifest(digest)
        if FileSystem.list(dir).count != entries.count { return false }
        for e in entries {
            guard let name = e["name"]?.stringValue, let d = e["digest"]?.stringValue else { return false }
            let p = dir + "/" + name
            var st = stat()
            guard lstat(p, &st) == 0 else { return false }
            if e["type"]?.stringValue == "dir" {
                guard (st.st_mode & S_IFMT) == S_IFDIR, try viewIntact(tree: d, at: p) else { return false }
                continue
            }
            guard objectIntact(d) else {
                throw PipelineError.store(path: objectPath(d), problem: "object \(d) (\(p)) is missing, or was changed after it was stored and has been removed")
            }
            if e["exec"]?.boolValue == true {
                guard Store.isSealed(st), st.st_mode & 0o100 != 0, Int(st.st_size) == e["size"]?.intValue else { return false }
            } else {
                var o = stat()
                guard stat(objectPath(d), &o) == 0, o.st_ino == st.st_ino, o.st_dev == st.st_dev else {
                    // A copy (the filesystem refused a link) is fine when sealed and the right size.
                    guard Store.isSealed(st), Int(st.st_size) == e["size"]?.intValue else { return false }
                    continue
                }
            }
        }
        return true
    }

    /// Moves a finished stage's output directory into place as `out/<key>` (after its files were
    /// stored as objects by `tree(_:store: true)`).
    public func adoptOutput(_ dir: String, key: String) throws {
        let out = outputPath(key)
        if FileSystem.exists(out) {
            // Left by an earlier execution of the same key: keep it only if it still matches.
            if let r = record(key), (try? viewIntact(tree: r.output, at: out)) == true { FileSystem.remove(dir); return }
            let stale = try makeTemporaryDirectory("stale-out")
            _ = rename(out, stale + "/out")
            FileSystem.remove(stale)
        }
        makeReadOnly(dir)
        if rename(dir, out) != 0 {
            if errno == ENOTEMPTY || errno == EEXIST { FileSystem.remove(dir); return }
            throw PosixError(path: out, operation: "rename")
        }
    }

    /// Files are already sealed views of their objects; directories become read-only too.
    private func makeReadOnly(_ dir: String) {
        for name in FileSystem.list(dir) where FileSystem.isDirectory(dir + "/" + name) {
            makeReadOnly(dir + "/" + name)
            chmod(dir + "/" + name, 0o555)
        }
    }
}
