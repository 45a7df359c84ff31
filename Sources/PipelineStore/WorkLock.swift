// WorkLock: the lock that keeps two executions of one stage out of its `${work}` directory: a
// flock on `work/<key>.lock` beside it, taken by the runner and handed to the command's
// supervisor, so every process of the execution holds it while it lives. One that outlived a
// killed run (say it left the process group and its supervisor was SIGKILLed too) still holds
// it, and the next execution waits for it, then refuses, instead of running beside it. Only a
// runner holding the stage key's lock takes it, so the file can go once the stage succeeded.

import Foundation
import PipelineCore

public enum WorkLock {
    /// Seconds an execution waits for the processes of an earlier one to end: longer than a
    /// supervisor takes to end its command after its runner died (Supervisor.grace).
    public static let wait: Double = Supervisor.grace + 7

    /// Locks work directory `directory` (through `directory.lock`). Calls `waiting` once if it
    /// must wait; throws PipelineError.interrupted when `isCancelled`, or a StageError naming the
    /// directory after `wait` seconds. On success, `remove()` the returned lock.
    public static func take(_ directory: String, isCancelled: () -> Bool, waiting: () -> Void) throws -> FileLock {
        let lock = FileLock(path: directory + ".lock")
        if try lock.tryLock() { return lock }
        waiting()
        if try lock.lock(within: wait, giveUp: isCancelled) { return lock }
        if isCancelled() { throw PipelineError.interrupted }
        throw StageError("its work directory \(directory) is still locked by a process of an earlier execution of this stage (left by a run that was killed?), which may still be writing there; madpipe does not run a stage twice at once. End that process (`fuser -v \(lock.path)` names it) and run again.")
    }
}
