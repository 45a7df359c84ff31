// BenchSupport: what every madpipe-bench command shares: wall-clock timing (best of several
// runs), the peak resident set, the measured sgemm peak through madpipe's own GEMM path, and the
// one machine-readable output line (`BENCH name=... key=value ...`) that bench/*/report.py read.

import Base
import Foundation
import Numerics
#if canImport(Glibc)
import Glibc
#endif

enum Bench {
    /// Seconds of a Duration.
    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// Runs `body` `repeats` times (at least once); the fastest wall time and the last result.
    static func best<R>(_ repeats: Int, _ body: () throws -> R) rethrows -> (seconds: Double, result: R) {
        let clock = ContinuousClock()
        var bestTime = Double.infinity
        var last: R? = nil
        for _ in 0..<max(repeats, 1) {
            let t0 = clock.now
            last = try body()
            bestTime = min(bestTime, seconds(t0.duration(to: clock.now)))
        }
        return (bestTime, last!)
    }

    /// Prints one `BENCH name=<name> key=value ...` line and flushes it.
    static func report(_ name: String, _ fields: [(String, String)]) {
        print((["BENCH name=\(name)"] + fields.map { "\($0.0)=\($0.1)" }).joined(separator: " "))
        fflush(stdout)
    }

    /// Peak resident set of this process so far (getrusage ru_maxrss, KiB on Linux), in MiB.
    static func peakRSSMiB() -> Double {
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    /// Best GFLOP/s of `Tensor.matmul` (cblas_sgemm) for an m x k by k x n product.
    static func sgemmGFLOPs(m: Int, k: Int, n: Int, repeats: Int) -> Double {
        var rng = SplitMix64(seed: 7)
        let a = Tensor(shape: [m, k], data: (0..<(m * k)).map { _ in Float(rng.nextUniform()) - 0.5 })
        let b = Tensor(shape: [k, n], data: (0..<(k * n)).map { _ in Float(rng.nextUniform()) - 0.5 })
        _ = Tensor.matmul(a, b)   // warm-up: thread pool start, page faults
        let (t, _) = best(repeats) { Tensor.matmul(a, b) }
        return 2 * Double(m) * Double(k) * Double(n) / t / 1e9
    }

    static func f(_ v: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", v) }
}
