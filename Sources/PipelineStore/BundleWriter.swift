// BundleWriter: writes a bundle with libarchive: a pax (restricted) tar compressed with zstd,
// entries in the order given, owner 0/0, fixed modes and mtime, no atime/ctime, so the same
// content always gives the same bytes. The archive goes to a temp file renamed into place, and
// its BLAKE3 (what `b3sum` prints) is computed from the compressed stream as it is written. Like tar, it is not
// fsynced: a bundle is a file for people to copy, re-exported if a crash ever cut it short.

import CArchive
import Foundation
import PipelineCore
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
    /// Hex BLAKE3 of the archive file.
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

    final class Sink {
        let fd: Int32
        var hasher = BLAKE3Hasher(threads: 1)
        var bytes = 0
        var failed: Int32 = 0
        init(fd: Int32) { self.fd = fd }
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
        guard rename(tmp, path) == 0 else { throw BundleError.target(path: path, problem: "rename: \(String(cString: strerror(errno)))") }
        done = true
        return BundleWriteResult(digest: sink.hasher.finalizeHex(), bytes: sink.bytes)
    }
}

/// libarchive's write callback: appends the compressed bytes to the sink's file and hashes them.
private func bundleWriteCallback(_ archive: OpaquePointer?, _ client: UnsafeMutableRawPointer?, _ buffer: UnsafeRawPointer?,
                                 _ length: Int) -> la_ssize_t {
    let s = Unmanaged<BundleWriter.Sink>.fromOpaque(client!).takeUnretainedValue()
    guard let buffer else { return 0 }
    var off = 0
    while off < length {
        let n = Glibc.write(s.fd, buffer + off, length - off)
        if n < 0 {
            if errno == EINTR { continue }
            s.failed = errno
            return -1
        }
        off += n
    }
    s.hasher.update(UnsafeRawBufferPointer(start: buffer, count: length))
    s.bytes += length
    return la_ssize_t(length)
}
