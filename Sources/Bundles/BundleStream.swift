// BundleStream: the decompressed bytes of a bundle (libarchive's zstd filter with its "raw"
// format), handed block by block, without copying, to the tar reader through a read callback. The
// tar reader stops at the end-of-archive blocks and never looks further; because every byte passes
// through here, `checkRest` can then insist that only zero padding (what tar writes) follows, so a
// second archive or any other data after the end is refused instead of silently ignored.

import CArchive
#if canImport(Glibc)
import Glibc
#endif

final class BundleStream {
    let file: String
    private let outer: OpaquePointer
    /// Bytes handed to the tar reader so far.
    private(set) var handed = 0
    /// The block handed last (valid until the next call of `next`) and the bytes just before it.
    private var current: UnsafeRawPointer? = nil
    private var currentSize = 0
    private var before: [UInt8] = []
    private var ended = false
    /// The decompressor's error, if reading failed there.
    private(set) var error: String? = nil
    /// Most zero padding accepted after the end of the archive (tar pads to 10240-byte records).
    static let maxPadding = 1 << 20

    init(path: String) throws {
        file = path
        guard let a = archive_read_new() else { throw BundleError.archive(file: path, entry: nil, message: "out of memory") }
        outer = a  // freed by deinit, also when init throws below
        archive_read_support_filter_zstd(a)
        archive_read_support_format_raw(a)
        var entry: OpaquePointer? = nil
        guard archive_read_open_filename(a, path, 1 << 20) == ARCHIVE_OK, archive_read_next_header(a, &entry) == ARCHIVE_OK else {
            let message = archive_error_string(a).map { String(cString: $0) } ?? "unreadable"
            throw BundleError.archive(file: path, entry: nil, message: message)
        }
    }

    deinit { archive_read_free(outer) }

    /// Compressed bytes read from the file so far.
    var compressedBytes: Int { Int(archive_filter_bytes(outer, -1)) }

    /// Opens `tar` (a reader with only the tar format enabled) on this stream.
    func open(_ tar: OpaquePointer) -> Int32 {
        let read: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, UnsafeMutablePointer<UnsafeRawPointer?>?) -> la_ssize_t = { _, ctx, out in
            la_ssize_t(Unmanaged<BundleStream>.fromOpaque(ctx!).takeUnretainedValue().next(out!))
        }
        return archive_read_open(tar, Unmanaged.passUnretained(self).toOpaque(), nil, read, nil)
    }

    /// The read callback: the next decompressed block (0 at the end, -1 on an error).
    private func next(_ out: UnsafeMutablePointer<UnsafeRawPointer?>) -> Int {
        if let c = current, currentSize > 0 {  // keep the last bytes of the block about to be replaced
            let keep = min(currentSize, 1024)
            before = Array((before + UnsafeRawBufferPointer(start: c + (currentSize - keep), count: keep)).suffix(1024))
        }
        current = nil
        currentSize = 0
        while true {
            var block: UnsafeRawPointer? = nil
            var size = 0
            var offset: la_int64_t = 0
            let rc = archive_read_data_block(outer, &block, &size, &offset)
            if rc == ARCHIVE_EOF {
                ended = true
                return 0
            }
            guard rc == ARCHIVE_OK || rc == ARCHIVE_WARN else {
                error = archive_error_string(outer).map { String(cString: $0) } ?? "decompression failed"
                return -1
            }
            if size == 0 { continue }
            current = block
            currentSize = size
            handed += size
            out.pointee = block
            return size
        }
    }

    /// Called once the tar reader reported the end of the archive after consuming `consumed`
    /// bytes: everything after that, to the end of the stream, must be zero bytes.
    func checkRest(consumed: Int) throws {
        func trailing(_ problem: String) -> BundleError { .trailingData(file: file, problem: problem) }
        var padding = handed - consumed
        guard padding >= 0 else { throw trailing("the tar reader consumed more than it was given") }
        // Unconsumed bytes already handed: in the current block and, at most 1024, just before it.
        let inCurrent = min(padding, currentSize)
        let inBefore = padding - inCurrent
        guard inBefore <= before.count, ended || inCurrent == 0 || current != nil else {
            throw trailing("cannot check the \(padding) bytes after the end-of-archive blocks")
        }
        if before.suffix(inBefore).contains(where: { $0 != 0 }) || (inCurrent > 0 && !isZero(current! + (currentSize - inCurrent), inCurrent)) {
            throw trailing("non-zero data after the end-of-archive blocks, at byte \(consumed) of the tar")
        }
        if !ended {
            var scratch: UnsafeRawPointer? = nil
            while true {
                let n = next(&scratch)
                if n < 0 { throw BundleError.archive(file: file, entry: nil, message: error ?? "decompression failed") }
                if n == 0 { break }
                guard isZero(current!, n) else { throw trailing("non-zero data after the end-of-archive blocks, at byte \(handed - n) of the tar or later") }
                padding += n
                guard padding <= BundleStream.maxPadding else { throw trailing("more than \(BundleStream.maxPadding) bytes of padding") }
            }
        }
        guard padding <= BundleStream.maxPadding else { throw trailing("more than \(BundleStream.maxPadding) bytes of padding") }
    }

    private func isZero(_ p: UnsafeRawPointer, _ n: Int) -> Bool {
        let b = UnsafeRawBufferPointer(start: p, count: n)
        return !b.contains(where: { $0 != 0 })
    }
}
