// FileSystem: the small set of POSIX file operations the store is built from: atomic writes
// (temp file, fsync, rename), directory creation, listing, removal, streaming copies that keep
// holes and never share an inode with their source.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum FileSystem {
    /// Creates a directory and its parents; succeeds if it exists.
    public static func makeDirectory(_ path: String) throws {
        if mkdir(path, 0o755) == 0 || errno == EEXIST { return }
        if errno == ENOENT {
            try makeDirectory((path as NSString).deletingLastPathComponent)
            if mkdir(path, 0o755) == 0 || errno == EEXIST { return }
        }
        throw PosixError(path: path, operation: "mkdir")
    }

    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Writes `data` to `path` atomically: a reader sees the old file or the whole new one, and
    /// after a kill at any instant the file is either absent/old or complete. With `durable`, the
    /// data is also fsynced before the rename (survives a power loss once the call returns).
    public static func writeAtomically(_ data: Data, to path: String, tempDirectory: String? = nil, durable: Bool = false) throws {
        let dir = tempDirectory ?? (path as NSString).deletingLastPathComponent
        let tmp = dir + "/.tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw PosixError(path: tmp, operation: "create") }
        var ok = true
        data.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = write(fd, raw.baseAddress! + off, raw.count - off)
                if n <= 0 { if errno == EINTR { continue }; ok = false; return }
                off += n
            }
        }
        if !ok || (durable && fsync(fd) != 0) {
            let e = PosixError(path: tmp, operation: "write")
            close(fd); unlink(tmp)
            throw e
        }
        close(fd)
        guard rename(tmp, path) == 0 else {
            let e = PosixError(path: path, operation: "rename")
            unlink(tmp)
            throw e
        }
    }

    /// glibc's syncfs (a GNU extension that Swift's Glibc module hides).
    typealias SyncFS = @convention(c) (Int32) -> Int32
    static let syncfsFunction: SyncFS? = {
        guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "syncfs") else { return nil }
        return unsafeBitCast(sym, to: SyncFS.self)
    }()

    /// Flushes every written file of the filesystem holding `path` to disk (one call instead of an
    /// fsync per file); falls back to sync().
    public static func syncFilesystem(of path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        defer { if fd >= 0 { close(fd) } }
        if fd >= 0, let f = syncfsFunction, f(fd) == 0 { return }
        sync()
    }

    /// fsyncs a directory so a rename into it survives a power loss.
    public static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { fsync(fd); close(fd) }
    }

    /// Names in a directory, sorted, without `.` and `..`; empty if it does not exist.
    public static func list(_ path: String) -> [String] {
        guard let d = opendir(path) else { return [] }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafePointer(to: e.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Removes a file or a directory tree; succeeds if absent.
    public static func remove(_ path: String) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            chmod(path, 0o755)
            for n in list(path) { remove(path + "/" + n) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }

    /// Reads a whole file, or nil.
    public static func read(_ path: String) -> Data? {
        FileManager.default.contents(atPath: path)
    }

    /// Size in bytes of a file (following links), or nil.
    public static func size(_ path: String) -> Int? {
        var st = stat()
        return stat(path, &st) == 0 ? Int(st.st_size) : nil
    }

    /// Linux's FICLONE ioctl: share the source's blocks copy-on-write (btrfs, XFS); fails elsewhere.
    static let ficlone: UInt = 0x4004_9409
    /// lseek's SEEK_DATA and SEEK_HOLE (Linux values; Swift's Glibc module hides them).
    static let seekData: Int32 = 3, seekHole: Int32 = 4
    static let copyChunk = 1 << 20

    /// Copies a regular file to a new file `dst` (which must not exist) with `mode`, as a separate
    /// inode: a reflink where the filesystem can, else a streaming copy of the data extents only
    /// (holes stay holes, memory stays at one 1 MiB buffer whatever the size). Refuses anything but
    /// a regular file, so a FIFO or device never blocks or floods a copy.
    public static func copyFile(_ src: String, to dst: String, mode: mode_t) throws {
        let s = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard s >= 0 else { throw PosixError(path: src, operation: "open") }
        defer { close(s) }
        var st = stat()
        guard fstat(s, &st) == 0 else { throw PosixError(path: src, operation: "stat") }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw PosixError(path: src, operation: "copy (not a regular file)", code: EINVAL)
        }
        let d = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard d >= 0 else { throw PosixError(path: dst, operation: "create") }
        var ok = false
        defer {
            close(d)
            if !ok { unlink(dst) }
        }
        fchmod(d, mode)  // the umask applied at creation; `mode` is what the caller decided
        if ioctl(d, ficlone, s) == 0 { ok = true; return }
        let size = Int(st.st_size)
        let buf = UnsafeMutableRawPointer.allocate(byteCount: copyChunk, alignment: 4096)
        defer { buf.deallocate() }
        var pos = 0
        while pos < size {
            // The next data extent [start, end): SEEK_DATA/SEEK_HOLE skip holes; where the
            // filesystem does not know them, the whole file is one extent.
            var start = lseek(s, off_t(pos), seekData)
            if start < 0 { if errno == ENXIO { break }; start = off_t(pos) }
            var end = lseek(s, start, seekHole)
            if end < 0 { end = off_t(size) }
            var off = Int(start)
            while off < Int(end) {
                let n = pread(s, buf, min(copyChunk, Int(end) - off), off_t(off))
                if n < 0 { if errno == EINTR { continue }; throw PosixError(path: src, operation: "read") }
                if n == 0 { break }
                var w = 0
                while w < n {
                    let m = pwrite(d, buf + w, n - w, off_t(off + w))
                    if m < 0 { if errno == EINTR { continue }; throw PosixError(path: dst, operation: "write") }
                    w += m
                }
                off += n
            }
            pos = max(off, Int(end))
        }
        guard ftruncate(d, off_t(size)) == 0 else { throw PosixError(path: dst, operation: "truncate") }
        ok = true
    }

    /// Copies a file or a directory tree (regular files and directories only) to `dst`, which must
    /// not exist; files keep their executable bit as 0755/0644, writable by the copy's owner.
    public static func copyTree(_ src: String, to dst: String) throws {
        var st = stat()
        guard stat(src, &st) == 0 else { throw PosixError(path: src, operation: "stat") }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            guard mkdir(dst, 0o755) == 0 else { throw PosixError(path: dst, operation: "mkdir") }
            for n in list(src) { try copyTree(src + "/" + n, to: dst + "/" + n) }
        } else {
            try copyFile(src, to: dst, mode: st.st_mode & 0o111 != 0 ? 0o755 : 0o644)
        }
    }

    /// The process's file-creation mask, read without changing it (umask(2) can only be read by
    /// setting it, which races with other threads creating files).
    public static func currentUmask() -> mode_t {
        if let d = read("/proc/self/status"), let text = String(data: d, encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Umask:") }),
           let m = mode_t(line.dropFirst(6).trimmingCharacters(in: .whitespaces), radix: 8) {
            return m
        }
        return 0o022
    }
}

/// A failed system call, with its path and errno text.
public struct PosixError: Error, CustomStringConvertible {
    public var path: String
    public var operation: String
    public var code: Int32

    public init(path: String, operation: String, code: Int32 = errno) {
        self.path = path
        self.operation = operation
        self.code = code
    }

    public var description: String { "\(operation) '\(path)': \(String(cString: strerror(code)))" }
}
