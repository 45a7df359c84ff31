// StatCache: remembers the digest of each dependency file by (path, size, mtime, inode), so an
// unchanged file is not read again. Shared by runs through `cache/statcache-v<store format>.json`
// (a new digest algorithm starts a new file).

import Base
import Foundation
import PipelineCore
#if canImport(Glibc)
import Glibc
#endif

public final class StatCache: @unchecked Sendable {
    struct Entry: Equatable {
        var size: Int
        var mtime: Int
        var inode: Int
        var digest: String
    }

    private let path: String
    private var entries: [String: Entry] = [:]
    private var dirty = false
    private let lock = NSLock()

    public init(path: String) {
        self.path = path
        if let data = FileSystem.read(path), let v = try? Value.parseJSON(bytes: Array(data)), let m = v.mapValue {
            for (p, e) in m {
                guard let l = e.listValue, l.count == 4, let s = l[0].intValue, let t = l[1].intValue,
                      let i = l[2].intValue, let d = l[3].stringValue else { continue }
                entries[p] = Entry(size: s, mtime: t, inode: i, digest: d)
            }
        }
    }

    /// Digest and size of a regular file, from the cache when its stat is unchanged.
    public func digest(ofFile file: String) throws -> (digest: String, size: Int) {
        var st = stat()
        guard stat(file, &st) == 0 else { throw PosixError(path: file, operation: "stat") }
        try FileHasher.requireRegular(file, mode: st.st_mode)
        let mtime = Int(st.st_mtim.tv_sec) * 1_000_000_000 + Int(st.st_mtim.tv_nsec)
        let probe = Entry(size: Int(st.st_size), mtime: mtime, inode: Int(st.st_ino), digest: "")
        lock.lock()
        if let e = entries[file], e.size == probe.size, e.mtime == probe.mtime, e.inode == probe.inode {
            lock.unlock()
            return (e.digest, e.size)
        }
        lock.unlock()
        let (d, size) = try FileHasher.hash(path: file)
        lock.lock()
        entries[file] = Entry(size: probe.size, mtime: mtime, inode: probe.inode, digest: d)
        dirty = true
        lock.unlock()
        return (d, size)
    }

    /// Writes the cache back if it changed (best effort: it is only an accelerator).
    public func save() {
        lock.lock()
        defer { lock.unlock() }
        guard dirty else { return }
        let v = Value.map(entries.sorted { $0.key < $1.key }.map {
            ($0.key, .list([.int($0.value.size), .int($0.value.mtime), .int($0.value.inode), .string($0.value.digest)]))
        })
        try? FileSystem.writeAtomically(Data(v.canonicalJSON.utf8), to: path)
        dirty = false
    }
}
