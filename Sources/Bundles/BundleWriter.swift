// BundleWriter: writes a bundle with libarchive: a pax (restricted) tar compressed with zstd,
// entries in the order given, owner 0/0, fixed modes and mtime, no atime/ctime, so the same
// content always gives the same bytes. The archive goes to a temp file renamed into place; its
// SHA-256 (what `sha256sum` prints) is computed from the compressed stream as it is written, on a
// queue beside the one that writes it (`Sink`). Like tar, it is not fsynced: a bundle is a file for
// people to copy, re-exported if a crash ever cut it short.

import CArchive
import Crypto
import Foundation
import PipelineCore
import PipelineStore
#if canImport(Glibc)
import Glibc
#endif

/// Where an entry's bytes come from.
public enum BundleSource {
    case bytes([UInt8])
    case file(String)
}

/// The result of writing a bundle.
public struct BundleWriteResult {
    /// Hex SHA-256 of the archive file.
    public var digest: String
    /// Compressed size in bytes.
    public var bytes: Int
}

public enum BundleWriter {
    /// The modification time stored for every entry (2000-01-01T00:00:00Z): fixed so that
    /// archives are reproducible; the manifest carries the real times.
    public static let fixedMTime = 946_684_800
    /// zstd level: the zstd CLI's default.
    public static let compressionLevel = 3

    /// Where the compressed stream goes: libarchive's callback (on the compressing thread) copies
    /// it into pooled 1 MiB buffers; one serial queue writes each full buffer to the file and
    /// another hashes it, so the thread feeding zstd does neither and the kernel's copy into the
    /// page cache (the largest cost of an export here) overlaps the hashing.
    final class Sink: @unchecked Sendable {
        static let bufferSize = 1 << 20
        let fd: Int32
        /// Used only on `hashQueue` (read after `drain`).
        var hasher = SHA256()
        var bytes = 0
        private let writeQueue = DispatchQueue(label: "madpipe.bundle.write")
        private let hashQueue = DispatchQueue(label: "madpipe.bundle.hash")
        private let lock = NSLock()
        private let available: DispatchSemaphore
        private var pool: [Int]
        private let buffers: [UnsafeMutableRawPointer]
        /// Per buffer: how many of the two queues still use it.
        private var users: [Int]
        private var failedErrno: Int32 = 0
        private var current: Int?
        private var filled = 0

        init(fd: Int32, buffers count: Int = 8) {
            self.fd = fd
            buffers = (0..<count).map { _ in UnsafeMutableRawPointer.allocate(byteCount: Sink.bufferSize, alignment: 64) }
            pool = Array(0..<count)
            users = [Int](repeating: 0, count: count)
            available = DispatchSemaphore(value: count)
        }

        deinit {
            for b in buffers { b.deallocate() }
        }

        /// errno of the first failed write, 0 if none (complete after `drain`).
        var failed: Int32 {
            lock.lock(); defer { lock.unlock() }
            return failedErrno
        }

        /// Appends compressed bytes (compressing thread); false once a write has failed.
        func append(_ source: UnsafeRawPointer, _ length: Int) -> Bool {
            var off = 0
            while off < length {
                if current == nil {
                    available.wait()
                    lock.lock()
                    current = pool.removeLast()
                    lock.unlock()
                    if failed != 0 { return false }
                    filled = 0
                }
                let n = min(length - off, Sink.bufferSize - filled)
                (buffers[current!] + filled).copyMemory(from: source + off, byteCount: n)
                filled += n
                off += n
                if filled == Sink.bufferSize { flush() }
            }
            bytes += length
            return true
        }

        /// Hands the filled buffer to both queues.
        private func flush() {
            guard let i = current else { return }
            let count = filled
            current = nil
            lock.lock(); users[i] = 2; lock.unlock()
            writeQueue.async { self.writeOut(i, count) }
            hashQueue.async {
                self.hasher.update(bufferPointer: UnsafeRawBufferPointer(start: self.buffers[i], count: count))
                self.release(i)
            }
        }

        private func writeOut(_ i: Int, _ count: Int) {
            var off = 0
            while off < count, failed == 0 {
                let n = Glibc.write(fd, buffers[i] + off, count - off)
                if n < 0 {
                    if errno == EINTR { continue }
                    let e = errno
                    lock.lock(); failedErrno = e; lock.unlock()
                    break
                }
                off += n
            }
            release(i)
        }

        /// One queue is done with buffer i; the second one returns it to the pool.
        private func release(_ i: Int) {
            lock.lock()
            users[i] -= 1
            let free = users[i] == 0
            if free { pool.append(i) }
            lock.unlock()
            if free { available.signal() }
        }

        /// Hands over what is buffered and waits for both queues.
        func drain() {
            flush()
            writeQueue.sync {}
            hashQueue.sync {}
        }
    }

    /// Writes `entries` (MANIFEST.json first, then the rest as given) to `path` atomically.
    /// `threads` zstd workers (at least 1: zstd's multi-threaded format is the same for any
    /// number of workers, so the bytes do not depend on the machine).
    public static func write(to path: String, entries: [(name: String, exec: Bool, source: BundleSource)],
                             threads: Int = 2) throws -> BundleWriteResult {
        let dir = (path as NSString).deletingLastPathComponent
        let tmp = (dir.isEmpty ? "." : dir) + "/.\((path as NSString).lastPathComponent).tmp-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw BundleError.target(path: tmp, problem: "cannot create: \(String(cString: strerror(errno)))") }
        let sink = Sink(fd: fd)
        var done = false
        defer {
            sink.drain()
            close(fd)
            if !done { unlink(tmp) }
        }
        guard let a = archive_write_new() else { throw BundleError.export(problem: "libarchive: out of memory") }
        defer { archive_write_free(a) }
        func check(_ rc: Int32, _ entry: String?) throws {
            if rc < ARCHIVE_WARN {
                let msg = archive_error_string(a).map { String(cString: $0) } ?? "error \(rc)"
                throw BundleError.archive(file: path, entry: entry, message: sink.failed != 0 ? String(cString: strerror(sink.failed)) : msg)
            }
        }
        try check(archive_write_set_format_pax_restricted(a), nil)
        try check(archive_write_add_filter_zstd(a), nil)
        try check(archive_write_set_filter_option(a, "zstd", "compression-level", String(compressionLevel)), nil)
        try check(archive_write_set_filter_option(a, "zstd", "threads", String(max(1, threads))), nil)
        try check(archive_write_set_bytes_per_block(a, 1 << 16), nil)
        try check(archive_write_set_bytes_in_last_block(a, 1), nil)
        try check(archive_write_open2(a, Unmanaged.passUnretained(sink).toOpaque(), nil, bundleWriteCallback, nil, nil), nil)

        let chunk = 1 << 22
        let buf = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 64)
        defer { buf.deallocate() }
        guard let entry = archive_entry_new() else { throw BundleError.export(problem: "libarchive: out of memory") }
        defer { archive_entry_free(entry) }
        for (name, exec, source) in entries {
            archive_entry_clear(entry)
            archive_entry_set_pathname_utf8(entry, name)
            archive_entry_set_filetype(entry, ArchiveFileType.regular)
            archive_entry_set_perm(entry, exec ? 0o755 : 0o644)
            archive_entry_set_uid(entry, 0)
            archive_entry_set_gid(entry, 0)
            archive_entry_set_mtime(entry, time_t(fixedMTime), 0)
            switch source {
            case .bytes(let b):
                archive_entry_set_size(entry, la_int64_t(b.count))
                try check(archive_write_header(a, entry), name)
                let n = b.withUnsafeBytes { archive_write_data(a, $0.baseAddress, $0.count) }
                if n != b.count { try check(Int32(ARCHIVE_FATAL), name) }
            case .file(let p):
                let in_ = open(p, O_RDONLY | O_CLOEXEC)
                guard in_ >= 0 else { throw BundleError.export(problem: "cannot open '\(p)': \(String(cString: strerror(errno)))") }
                defer { close(in_) }
                var st = stat()
                fstat(in_, &st)
                let size = Int(st.st_size)
                posix_fadvise(in_, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
                archive_entry_set_size(entry, la_int64_t(size))
                try check(archive_write_header(a, entry), name)
                var written = 0
                while written < size {
                    let n = read(in_, buf, min(chunk, size - written))
                    if n < 0 && errno == EINTR { continue }
                    guard n > 0 else { throw BundleError.export(problem: "'\(p)' changed or became unreadable while it was written") }
                    if archive_write_data(a, buf, n) != n { try check(Int32(ARCHIVE_FATAL), name) }
                    written += n
                }
            }
            try check(archive_write_finish_entry(a), name)
        }
        try check(archive_write_close(a), nil)
        sink.drain()
        if sink.failed != 0 { try check(Int32(ARCHIVE_FATAL), nil) }
        guard rename(tmp, path) == 0 else { throw BundleError.target(path: path, problem: "rename: \(String(cString: strerror(errno)))") }
        done = true
        return BundleWriteResult(digest: hex(sink.hasher.finalize()), bytes: sink.bytes)
    }
}

/// libarchive's write callback: passes the compressed bytes to the sink (which writes and hashes
/// them on its own queue).
private func bundleWriteCallback(_ archive: OpaquePointer?, _ client: UnsafeMutableRawPointer?, _ buffer: UnsafeRawPointer?,
                                 _ length: Int) -> la_ssize_t {
    let s = Unmanaged<BundleWriter.Sink>.fromOpaque(client!).takeUnretainedValue()
    guard let buffer else { return 0 }
    return s.append(buffer, length) ? la_ssize_t(length) : -1
}
