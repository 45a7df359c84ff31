// BundleImporter: `madpipe bundle import`. Streams the bundle into a private staging directory
// inside the store (tmp/import.<pid>.<n>/), verifying every entry on the way; only when the whole
// archive checked out does it publish: objects (renamed into objects/), then records (stages/),
// then the index, then the pipeline files into the target directory. A failure or a kill before
// publishing leaves the store as it was (the staging directory is removed, or cleaned as a dead
// process's scratch later); a kill during publishing can leave only objects without records,
// which the engine ignores and `cache gc` removes. Nothing in a bundle is ever executed.

import Base
import Foundation
import PipelineCore
import PipelineStore
#if canImport(Glibc)
import Glibc
#endif

/// What an import published.
public struct BundleImportReport {
    public var manifest: BundleManifest
    /// Objects added to the store (the rest were already there).
    public var newObjects: Int
    public var records: Int
    /// Files written under the pipeline directory (pipeline files, their deps, published results).
    public var files: [String]
    public var bytes: Int
}

/// Writes entries under a staging directory, refusing to follow or replace anything.
final class StagingSink: BundleEntrySink {
    let root: String

    init(root: String) { self.root = root }

    func path(of entry: BundleEntry) -> String { root + "/" + entry.path }

    func open(_ entry: BundleEntry) throws -> BundleEntryWriter? {
        let p = path(of: entry)
        try FileSystem.makeDirectory((p as NSString).deletingLastPathComponent)
        let fd = Glibc.open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw PosixError(path: p, operation: "create") }
        return StagedFile(fd: fd, path: p)
    }
}

/// One staged file. `finish` starts its write-back (the importer waits for it with fdatasync
/// before any record that needs it is written), so disk writes overlap the rest of the stream.
final class StagedFile: BundleEntryWriter {
    var fd: Int32
    let path: String

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var off = 0
        while off < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + off, bytes.count - off)
            if n < 0 {
                if errno == EINTR { continue }
                throw PosixError(path: path, operation: "write")
            }
            off += n
        }
    }

    func finish() throws {
        startWriteBack(fd)
        close(fd)
        fd = -1
    }

    func abandon() {
        if fd >= 0 { close(fd) }
        fd = -1
    }

    deinit { abandon() }
}

/// sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE): start writing a file's dirty pages without
/// waiting (Linux; looked up at run time since Swift's Glibc module hides it). A no-op elsewhere.
func startWriteBack(_ fd: Int32) {
    typealias Fn = @convention(c) (Int32, Int64, Int64, UInt32) -> Int32
    struct Holder { static let fn: Fn? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sync_file_range").map { unsafeBitCast($0, to: Fn.self) } }
    _ = Holder.fn?(fd, 0, 0, 2)
}

/// Waits until a file's data is on disk.
func syncFile(_ path: String) throws {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw PosixError(path: path, operation: "open") }
    defer { close(fd) }
    guard fdatasync(fd) == 0 else { throw PosixError(path: path, operation: "fdatasync") }
}

public enum BundleImporter {
    /// Imports the bundle at `path` into `store`. With `pipelineDirectory`, also writes the pipeline
    /// files there (`pipeline/` entries beside them, published outputs under `results/<pipeline>/`);
    /// an existing file there with other content is an error unless `overwrite`.
    public static func importBundle(path: String, into store: Store, pipelineDirectory: String?, overwrite: Bool = false,
                                    limits: BundleLimits = BundleLimits()) throws -> BundleImportReport {
        let staging = try store.makeTemporaryDirectory("import")
        defer { FileSystem.remove(staging) }
        let sink = StagingSink(root: staging)
        let summary = try BundleReader.read(path: path, limits: limits, sink: sink)
        let m = summary.manifest

        // Plan the target files and check for conflicts before anything is published.
        var targets: [(dest: String, source: Source)] = []
        enum Source { case text(String), staged(String, Bool) }
        if let dir = pipelineDirectory {
            let base = URL(fileURLWithPath: dir.hasPrefix("/") ? dir : FileManager.default.currentDirectoryPath + "/" + dir).standardizedFileURL.path
            for f in m.files { targets.append((base + "/" + f.path, .text(f.text))) }
            for e in m.entries {
                if e.path.hasPrefix("pipeline/") {
                    targets.append((base + "/" + e.path.dropFirst("pipeline/".count), .staged(sink.path(of: e), e.exec)))
                } else if e.path.hasPrefix("results/") {
                    targets.append((base + "/results/" + m.pipeline + "/" + e.path.dropFirst("results/".count), .staged(sink.path(of: e), false)))
                }
            }
            // The manifest's names were checked (BundleNames, BundlePath); this is the last line of defence.
            let inside = base.hasSuffix("/") ? base : base + "/"
            for (dest, _) in targets where !URL(fileURLWithPath: dest).standardizedFileURL.path.hasPrefix(inside) {
                throw BundleError.target(path: dest, problem: "lies outside the pipeline directory \(base); nothing was imported")
            }
            for (dest, source) in targets where FileSystem.exists(dest) && !overwrite {
                let existing = FileSystem.read(dest)
                let wanted: Data?
                switch source {
                case .text(let t): wanted = Data(t.utf8)
                case .staged(let p, _): wanted = FileSystem.read(p)
                }
                if existing != wanted {
                    throw BundleError.target(path: dest, problem: "exists with other content; move it away or pass --overwrite (nothing was imported)")
                }
            }
            // Refuse to write through a symlink anywhere below the target directory.
            for (dest, _) in targets {
                var p = (dest as NSString).deletingLastPathComponent
                while p.count > base.count {
                    var st = stat()
                    if lstat(p, &st) == 0 && (st.st_mode & S_IFMT) != S_IFDIR {
                        throw BundleError.target(path: p, problem: "is not a directory (a symbolic link?); nothing was imported")
                    }
                    p = (p as NSString).deletingLastPathComponent
                }
            }
        }

        // Publish: objects, then records, then the index.
        var newObjects = 0
        for e in m.entries where e.path.hasPrefix("objects/") {
            let digest = String(e.path.dropFirst("objects/".count))
            let dest = store.objectPath(digest)
            if store.objectIntact(digest) { continue }   // a changed one was removed: replace it
            try FileSystem.makeDirectory((dest as NSString).deletingLastPathComponent)
            let src = sink.path(of: e)
            try syncFile(src)
            Store.seal(src, mode: 0o444)
            guard rename(src, dest) == 0 else { throw PosixError(path: dest, operation: "rename") }
            newObjects += 1
        }
        for dir in Set(m.entries.filter { $0.path.hasPrefix("objects/") }.map { (store.objectPath(String($0.path.dropFirst(8))) as NSString).deletingLastPathComponent }) {
            FileSystem.syncDirectory(dir)
        }
        var records = 0
        for r in m.records where store.record(r.key) == nil {
            try FileSystem.writeAtomically(Data(r.value.prettyJSON().utf8), to: store.recordPath(r.key), tempDirectory: store.root + "/tmp")
            records += 1
        }
        FileSystem.syncDirectory(store.root + "/stages")
        for key in m.current {
            if let r = m.records.first(where: { $0.key == key }) {
                try store.noteLatest(pipeline: r.pipeline, stage: r.stage, key: key)
            }
        }

        // Pipeline files last: the store already holds everything they need.
        var written: [String] = []
        let mask = FileSystem.currentUmask()   // never wider than the user's umask allows
        let mode: (Bool) -> mode_t = { exec in (exec ? 0o777 : 0o666) & ~mask }
        for (dest, source) in targets {
            try FileSystem.makeDirectory((dest as NSString).deletingLastPathComponent)
            switch source {
            case .text(let t):
                try FileSystem.writeAtomically(Data(t.utf8), to: dest)
            case .staged(let p, let exec):
                chmod(p, mode(exec))
                if rename(p, dest) != 0 {
                    guard let d = FileSystem.read(p) else { throw PosixError(path: p, operation: "read") }
                    try FileSystem.writeAtomically(d, to: dest)
                    chmod(dest, mode(exec))
                }
            }
            written.append(dest)
        }
        return BundleImportReport(manifest: m, newObjects: newObjects, records: records, files: written, bytes: summary.uncompressedBytes)
    }
}
