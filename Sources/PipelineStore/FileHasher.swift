// FileHasher: streaming BLAKE3 of files (the store's content digest), large sequential reads;
// SHA-256 only to recognise objects of store format 1.

import Crypto
import Base
import Foundation
import PipelineCore
#if canImport(Glibc)
import Glibc
#endif

public enum FileHasher {
    static let chunk = 1 << 23

    /// Hex BLAKE3 and size of a file's contents.
    public static func hash(path: String) throws -> (digest: String, size: Int) {
        var hasher = BLAKE3Hasher()
        let total = try stream(path) { hasher.update($0) }
        return (hasher.finalizeHex(), total)
    }

    /// Hex SHA-256 of a file's contents (the content digest of store format 1).
    public static func sha256(path: String) throws -> String {
        var hasher = SHA256()
        _ = try stream(path) { hasher.update(bufferPointer: $0) }
        return hex(hasher.finalize())
    }

    /// Throws unless `mode` (from stat) is a regular file's: a FIFO, device or socket never ends
    /// or is not content at all.
    public static func requireRegular(_ path: String, mode: mode_t) throws {
        let kind: String
        switch mode & S_IFMT {
        case S_IFREG: return
        case S_IFIFO: kind = "a FIFO (named pipe)"
        case S_IFCHR: kind = "a character device"
        case S_IFBLK: kind = "a block device"
        case S_IFSOCK: kind = "a socket"
        case S_IFDIR: kind = "a directory"
        default: kind = "a symbolic link or special file"
        }
        throw StageError("'\(path)' is \(kind), not a regular file; madpipe hashes only regular files (and directories of them), since reading a FIFO or a device may never end")
    }

    /// Feeds a file's bytes to `consume` in large pieces; returns the byte count.
    /// Refuses anything but a regular file before reading (O_NONBLOCK: opening a FIFO does not
    /// wait for a writer), since a FIFO or a device such as /dev/zero would never end.
    static func stream(_ path: String, _ consume: (UnsafeRawBufferPointer) -> Void) throws -> Int {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw PosixError(path: path, operation: "open") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw PosixError(path: path, operation: "stat") }
        try requireRegular(path, mode: st.st_mode)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
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
            consume(UnsafeRawBufferPointer(rebasing: buf[0..<n]))
            total += n
        }
        return total
    }
}
