// BLASThreads: how many threads OpenBLAS uses, a process-wide setting. Stages run as threads of
// one process, so `madpipe run` divides the cores among the jobs it runs at once (two stages each
// using every core for BLAS thrash: measured 10x slower training on 2 cores).

import CBLAS
import Foundation

/// The OpenBLAS thread count.
public enum BLASThreads {
    /// Current thread count.
    public static var count: Int { Int(openblas_get_num_threads()) }

    /// Sets the thread count (at least 1). Call before BLAS work starts, not while other threads
    /// are inside BLAS calls.
    public static func set(_ n: Int) {
        openblas_set_num_threads(Int32(max(1, n)))
    }

    /// Threads per job when `jobs` stages may run at once on `cores` cores; an explicit
    /// OPENBLAS_NUM_THREADS in the environment wins.
    public static func perJob(jobs: Int, cores: Int = ProcessInfo.processInfo.activeProcessorCount,
                              environment: [String: String] = ProcessInfo.processInfo.environment) -> Int {
        if let v = environment["OPENBLAS_NUM_THREADS"].flatMap(Int.init), v > 0 { return v }
        return max(1, cores / max(1, jobs))
    }
}
