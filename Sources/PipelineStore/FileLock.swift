// FileLock: advisory whole-file locks (flock) that serialise work on one stage key across
// processes on one machine; released automatically when every process holding the lock's open
// file description has closed it or died. A lock may be shared (the cache-wide run lease) or
// exclusive. Lock files are opened read-write: on NFS, flock is emulated with fcntl locks,
// which need that for an exclusive lock.

import Base
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public final class FileLock {
    public let path: String
    private var fd: Int32 = -1

    public init(path: String) { self.path = path }

    deinit { unlock() }

    /// The open descriptor (close-on-exec), once a lock was asked for; -1 before. A child given
    /// it (Supervisor.spawn's `inheriting`) holds the lock too, for as long as it lives.
    public var descriptor: Int32 { fd }

    private func openFile() throws {
        if fd >= 0 { return }
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw PosixError(path: path, operation: "open lock") }
    }

    /// Takes the lock without waiting; false if another process holds it.
    public func tryLock(shared: Bool = false) throws -> Bool {
        try openFile()
        if flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) == 0 { return true }
        if errno == EWOULDBLOCK { return false }
        throw PosixError(path: path, operation: "flock")
    }

    /// Waits for the lock.
    public func lock(shared: Bool = false) throws {
        try openFile()
        while flock(fd, shared ? LOCK_SH : LOCK_EX) != 0 {
            if errno != EINTR { throw PosixError(path: path, operation: "flock") }
        }
    }

    /// Tries for the lock every 50 ms until `seconds` have passed or `giveUp` says so; true once
    /// taken.
    public func lock(within seconds: Double, giveUp: () -> Bool = { false }) throws -> Bool {
        let deadline = DispatchTime.now() + seconds
        while true {
            if try tryLock() { return true }
            if DispatchTime.now() >= deadline || giveUp() { return false }
            usleep(50_000)
        }
    }

    /// Deletes the lock file, then releases the lock. Only for a holder that knows no other
    /// process waits on this file (one that did would hold a lock nobody else sees).
    public func remove() {
        unlink(path)
        unlock()
    }

    /// Closes this process's descriptor. The lock ends once no process holds its open file
    /// description (no flock(LOCK_UN), which would also take it from a child that inherited it).
    public func unlock() {
        if fd >= 0 {
            close(fd)
            fd = -1
        }
    }
}
