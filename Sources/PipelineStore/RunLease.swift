// RunLease: the cache-wide lease between the processes that use a store's results and `cache gc`,
// which deletes results. Every `madpipe run` and `madpipe exec-stage` holds a shared flock on
// locks/runs.lock for its whole life; gc takes it exclusively, so it never deletes what a run in
// flight reads or has just produced, and a run never starts while gc deletes.

import Foundation
import PipelineCore

public enum RunLease {
    /// The lease file of a store.
    public static func path(_ store: Store) -> String { store.root + "/locks/runs.lock" }

    /// The shared lease for a run, held until the returned lock is released (or the process
    /// ends). Waits while `cache gc` holds the store, calling `waiting` once first.
    public static func forRun(_ store: Store, waiting: () -> Void) throws -> FileLock {
        let lock = FileLock(path: path(store))
        if try lock.tryLock(shared: true) { return lock }
        waiting()
        try lock.lock(shared: true)
        return lock
    }

    /// The exclusive lease for `cache gc`. With `wait`, waits for runs in flight to end (calling
    /// `waiting` once first); without, refuses while any run holds the store.
    public static func forGC(_ store: Store, wait: Bool, waiting: () -> Void) throws -> FileLock {
        let lock = FileLock(path: path(store))
        if try lock.tryLock() { return lock }
        guard wait else {
            throw PipelineError.store(path: store.root, problem: "a madpipe run (or exec-stage) is in progress on this cache, and gc would delete what it reads or has just produced; run gc once it has ended, or pass --wait to wait for it (runs hold \(path(store)))")
        }
        waiting()
        try lock.lock()
        return lock
    }
}
