// BLASThreads: how many threads OpenBLAS uses, a process-wide setting. Every stage runs BLAS on
// one thread unless OPENBLAS_NUM_THREADS says otherwise: OpenBLAS's thread count changes its sums,
// and a stage's cache key names neither `--jobs`, the machine's cores nor the executor, so a
// count derived from them stored different bytes under one key (a `--jobs 1` run on 2 cores
// trained other models than `--jobs 2`; docs/bundles.md, "What reproduces where"). One thread
// also suits what runs at once: `madpipe run` runs its stages as threads of one process, and two
// stages each using every core for BLAS thrash (measured 10x slower training on 2 cores).

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

    /// Threads for every stage, whatever the jobs, cores or executor: 1, or an explicit positive
    /// OPENBLAS_NUM_THREADS in the environment (recorded in each stage's `blasThreads`).
    public static func perStage(environment: [String: String] = ProcessInfo.processInfo.environment) -> Int {
        if let v = environment["OPENBLAS_NUM_THREADS"].flatMap(Int.init), v > 0 { return v }
        return 1
    }
}
