// BundleFrames: a bundle file is exactly one zstd frame and nothing after it. Walks the frame
// structure (RFC 8878: frame header, block headers, optional checksum) without decompressing, so a
// second frame (a second bundle appended), a skippable frame (bytes no reader shows) or any other
// trailing byte is refused. The tar inside the frame is checked by `BundleReader`.

import PipelineCore
import PipelineStore
#if canImport(Glibc)
import Glibc
#endif

enum BundleFrames {
    static let zstdMagic: UInt32 = 0xFD2F_B528

    /// Throws `BundleError.trailingData` unless the file at `path` is one zstd frame that ends at
    /// the end of the file, `.archive` if it is not a zstd frame at all.
    static func checkSingleFrame(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw BundleError.archive(file: path, entry: nil, message: "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw BundleError.archive(file: path, entry: nil, message: "cannot stat: \(String(cString: strerror(errno)))") }
        let size = Int(st.st_size)
        guard size >= 4, let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw BundleError.archive(file: path, entry: nil, message: "not a zstd-compressed bundle (too short or unreadable)")
        }
        defer { munmap(base, size) }
        let end = try frameEnd(UnsafeRawBufferPointer(start: base, count: size), file: path)
        guard end == size else {
            let next = size - end >= 4 ? UnsafeRawBufferPointer(start: base + end, count: 4).loadUnaligned(as: UInt32.self).littleEndian : 0
            let what = next == zstdMagic ? "a second zstd frame" : (next & 0xFFFF_FFF0) == 0x184D_2A50 ? "a skippable zstd frame" : "\(size - end) byte(s)"
            throw BundleError.trailingData(file: path, problem: "\(what) after the zstd frame that ends at byte \(end) of \(size)")
        }
    }

    /// The offset just past the zstd frame at the start of `b`.
    static func frameEnd(_ b: UnsafeRawBufferPointer, file: String) throws -> Int {
        func bad(_ s: String) -> BundleError { .archive(file: file, entry: nil, message: s) }
        func u32(_ at: Int) -> UInt32 { b.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian }
        guard b.count >= 5 else { throw bad("truncated zstd frame") }
        let magic = u32(0)
        if (magic & 0xFFFF_FFF0) == 0x184D_2A50 { throw BundleError.trailingData(file: file, problem: "a skippable zstd frame at the start") }
        guard magic == zstdMagic else { throw bad("not a zstd-compressed bundle (no zstd frame at the start)") }
        let descriptor = b[4]
        let fcsFlag = Int(descriptor >> 6), singleSegment = descriptor & 0x20 != 0, checksum = descriptor & 0x04 != 0
        let dictionaryBytes = [0, 1, 2, 4][Int(descriptor & 3)]
        let contentSizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][fcsFlag]
        var p = 5 + (singleSegment ? 0 : 1) + dictionaryBytes + contentSizeBytes
        while true {
            guard p + 3 <= b.count else { throw bad("truncated zstd frame") }
            let header = Int(b[p]) | Int(b[p + 1]) << 8 | Int(b[p + 2]) << 16
            let last = header & 1 != 0, type = (header >> 1) & 3, blockSize = header >> 3
            guard type != 3 else { throw bad("invalid zstd block type at byte \(p)") }
            p += 3 + (type == 1 ? 1 : blockSize)
            if last { break }
        }
        if checksum { p += 4 }
        guard p <= b.count else { throw bad("truncated zstd frame") }
        return p
    }
}
