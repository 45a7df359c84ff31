// FileHasher: streaming BLAKE3 of files (the store's content digest), large sequential reads.

import Foundation
import PipelineCore
#if canImport(Glibc)
import Glibc
#endif

public enum FileHasher {
    static let chunk = 1 << 23

    /// Hex BLAKE3 and size of a file's contents.
    public static func hash(path: String) throws -> (digest: String, size: Int) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw PosixError(path: path, operation: "open") }
        defer { close(fd) }
        posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
        var hasher = BLAKE3Hasher()
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 64)
        defer { buf.deallocate() }
        var total = 0
        while true {
            let n = read(fd, buf.baseAddress!, chunk)
            if n < 0 {
                if errno == EINTR { continue }
                throw PosixError(path: path, operation: "read")
            }
            if n == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: buf[0..<n]))
            total += n
        }
        return (hasher.finalizeHex(), total)
    }
}
