// DetectorBenchmarks: the Swift side of bench/detectors/run.sh (issue 3's detector targets).
// Opt-in: skipped unless MADPIPE_BENCH_DETECTORS=1. The inputs are .npy files written by
// bench/detectors/make_inputs.py into MADPIPE_BENCH_DIR, so madpipe and numpy/scikit-learn process
// identical data; each benchmark prints one machine-readable `BENCH name=... key=value ...` line
// that bench/detectors/report.py reads. Run with
//   swift test -c release --filter DetectorBenchmarks
#if canImport(Glibc)
import Base
import Glibc
#endif
import Foundation
import XCTest
import Numerics
@testable import Detectors

final class DetectorBenchmarks: XCTestCase {
    private var env: [String: String] { ProcessInfo.processInfo.environment }
    private func int(_ key: String, _ fallback: Int) -> Int { env[key].flatMap(Int.init) ?? fallback }

    private func requireOptIn() throws {
        guard env["MADPIPE_BENCH_DETECTORS"] == "1" else { throw XCTSkip("set MADPIPE_BENCH_DETECTORS=1 to run") }
    }

    /// The scratch directory holding the .npy inputs (skips when it is not set).
    private func inputDirectory() throws -> String {
        try requireOptIn()
        guard let dir = env["MADPIPE_BENCH_DIR"] else { throw XCTSkip("set MADPIPE_BENCH_DIR (bench/detectors/run.sh does)") }
        return dir
    }

    private func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// Runs `body` `repeats` times and returns the fastest wall time and the last result.
    private func best<R>(_ repeats: Int, _ body: () throws -> R) rethrows -> (seconds: Double, result: R) {
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

    private func report(_ name: String, _ fields: [(String, String)]) {
        print((["BENCH name=\(name)"] + fields.map { "\($0.0)=\($0.1)" }).joined(separator: " "))
        fflush(stdout)
    }

    /// Peak resident set size of this process so far (getrusage: ru_maxrss, KiB on Linux), in MiB.
    private func peakRSSMiB() -> Double {
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    // MARK: - Mahalanobis fit + score (n trusted rows, d features, test rows)

    func testMahalanobisFitAndScore() throws {
        let dir = try inputDirectory()
        let train = try NPY.read(path: dir + "/maha_train.npy").tensor
        let test = try NPY.read(path: dir + "/maha_test.npy").tensor
        let repeats = int("MADPIPE_BENCH_REPEATS", 1)
        let clock = ContinuousClock()
        var fitSeconds = Double.infinity, scoreSeconds = Double.infinity, totalSeconds = Double.infinity
        var scores: [Double] = []
        for _ in 0..<max(repeats, 1) {
            let t0 = clock.now
            let detector = try MahalanobisDetector.fit(rows: train)
            let t1 = clock.now
            scores = try detector.scores(test)
            let t2 = clock.now
            fitSeconds = min(fitSeconds, seconds(t0.duration(to: t1)))
            scoreSeconds = min(scoreSeconds, seconds(t1.duration(to: t2)))
            totalSeconds = min(totalSeconds, seconds(t0.duration(to: t2)))
        }
        try NPY.write(NPYArray(shape: [scores.count], storage: .float64(scores)), to: dir + "/swift_maha_scores.npy")
        XCTAssertEqual(scores.count, test.shape[0])
        XCTAssertTrue(scores.allSatisfy { $0.isFinite && $0 >= -1e-9 }, "Mahalanobis scores must be finite and non-negative")
        report("mahalanobis_fit_score", [("tool", "madpipe"), ("seconds", String(format: "%.4f", totalSeconds)),
                                          ("fit_seconds", String(format: "%.4f", fitSeconds)),
                                          ("score_seconds", String(format: "%.4f", scoreSeconds)),
                                          ("n", "\(train.shape[0])"), ("d", "\(train.shape[1])"), ("test", "\(test.shape[0])"),
                                          ("peak_rss_mib", String(format: "%.0f", peakRSSMiB()))])
    }

    // MARK: - AUROC on many scores

    func testAUROC() throws {
        let dir = try inputDirectory()
        let scores = try NPY.read(path: dir + "/auroc_scores.npy").doubles
        guard case .bool(let labels) = try NPY.read(path: dir + "/auroc_labels.npy").storage else {
            return XCTFail("auroc_labels.npy must hold booleans")
        }
        let (t, value) = try best(int("MADPIPE_BENCH_AUROC_REPEATS", 5)) { try RankingMetrics.auroc(scores: scores, labels: labels) }
        XCTAssertTrue(value > 0 && value < 1)
        report("auroc", [("tool", "madpipe"), ("seconds", String(format: "%.5f", t)), ("n", "\(scores.count)"),
                         ("value", String(format: "%.15f", value))])
    }

    // MARK: - SAE training step throughput against the measured sgemm peak

    /// Best GFLOP/s of `Tensor.matmul` (cblas_sgemm, the SAE's own GEMM path) for m×k · k×n.
    private func sgemmGFLOPs(m: Int, k: Int, n: Int, repeats: Int) -> Double {
        var rng = SplitMix64(seed: 7)
        let a = Tensor(shape: [m, k], data: (0..<(m * k)).map { _ in Float(rng.nextUniform()) - 0.5 })
        let b = Tensor(shape: [k, n], data: (0..<(k * n)).map { _ in Float(rng.nextUniform()) - 0.5 })
        _ = Tensor.matmul(a, b)   // warm-up: thread pool start, page faults
        let (t, _) = best(repeats) { Tensor.matmul(a, b) }
        return 2 * Double(m) * Double(k) * Double(n) / t / 1e9
    }

    func testSAEStepThroughput() throws {
        try requireOptIn()
        let d = int("MADPIPE_BENCH_SAE_D", 1024), latents = int("MADPIPE_BENCH_SAE_EXPANSION", 8) * d
        let k = int("MADPIPE_BENCH_SAE_K", 32), batch = int("MADPIPE_BENCH_SAE_BATCH", 256)
        let steps = int("MADPIPE_BENCH_SAE_STEPS", 10), base = 2, repeats = int("MADPIPE_BENCH_SAE_REPEATS", 2)
        let peakSize = int("MADPIPE_BENCH_SGEMM_SIZE", 2048)
        // Rows with a little structure (a few strong directions over noise), seeded.
        var rng = SplitMix64(seed: 11)
        let rank = 16
        let basis = (0..<(rank * d)).map { _ in Float(rng.nextGaussian()) }
        func rows(_ n: Int) -> Tensor {
            var data = [Float](repeating: 0, count: n * d)
            for i in 0..<n {
                for r in 0..<rank {
                    let c = Float(rng.nextGaussian()) * 2
                    for j in 0..<d { data[i * d + j] += c * basis[r * d + j] }
                }
                for j in 0..<d { data[i * d + j] += 0.5 * Float(rng.nextGaussian()) }
            }
            return Tensor(shape: [n, d], data: data)
        }
        let data = rows(batch * (base + steps))
        let small = Tensor(shape: [batch * base, d], data: Array(data.data[0..<(batch * base * d)]))
        let trainer = SAETrainer(latentCount: latents, k: k, learningRate: 1e-3, batchSize: batch, epochs: 1, seed: 3)
        // The machine is shared, so the peak and the step are each the best of several runs,
        // taken alternately. The per-step time is the difference of two runs (base and base +
        // steps batches), so the initialisation and data mean common to both cancel out.
        var peak = 0.0, stepSeconds = Double.infinity, fvu = Double.nan
        for _ in 0..<max(repeats, 1) {
            peak = max(peak, sgemmGFLOPs(m: peakSize, k: peakSize, n: peakSize, repeats: 3))
            let (tSmall, _) = try best(1) { try trainer.train(small) }
            let (tLarge, result) = try best(1) { try trainer.train(data) }
            stepSeconds = min(stepSeconds, (tLarge - tSmall) / Double(steps))
            fvu = result.fvuPerEpoch.last ?? .nan
        }
        // The encoder GEMM's own shape, for reference: small batches run below the square peak.
        let shapeRate = sgemmGFLOPs(m: batch, k: d, n: latents, repeats: 3)
        report("sgemm_peak", [("tool", "madpipe"), ("gflops", String(format: "%.2f", peak)), ("size", "\(peakSize)")])
        // Dense-equivalent FLOPs: the five GEMMs of 2·batch·d·latents of a dense step (encoder,
        // decoder, dW_dec, dz, dW_enc). Executed FLOPs: the encoder GEMM plus the four products
        // over the k fired latents per row, which is what the step actually computes.
        let denseFlops = 5 * 2 * Double(batch) * Double(d) * Double(latents)
        let executedFlops = 2 * Double(batch) * Double(d) * Double(latents) + 4 * 2 * Double(batch) * Double(k) * Double(d)
        let rate = denseFlops / stepSeconds / 1e9
        XCTAssertTrue(fvu.isFinite)
        report("sae_step", [("tool", "madpipe"), ("seconds", String(format: "%.5f", stepSeconds)),
                            ("gflops", String(format: "%.2f", rate)), ("peak_gflops", String(format: "%.2f", peak)),
                            ("fraction_of_peak", String(format: "%.3f", rate / peak)),
                            ("executed_gflops", String(format: "%.2f", executedFlops / stepSeconds / 1e9)),
                            ("encoder_shape_gflops", String(format: "%.2f", shapeRate)),
                            ("rows_per_second", String(format: "%.0f", Double(batch) / stepSeconds)),
                            ("d", "\(d)"), ("latents", "\(latents)"), ("k", "\(k)"), ("batch", "\(batch)"), ("steps", "\(steps)"),
                            ("fvu", String(format: "%.4f", fvu))])
    }

    // MARK: - Streaming covariance over a file larger than memory should need

    /// Streams `layers.0` of MADPIPE_BENCH_STREAM_FILE (a madpipe-activations/1 safetensors file)
    /// through a CovarianceAccumulator. Run it in a process of its own (run.sh does) so the peak
    /// resident set it reports is the streaming's alone.
    func testStreamingCovariance() throws {
        try requireOptIn()
        guard let path = env["MADPIPE_BENCH_STREAM_FILE"] else { throw XCTSkip("set MADPIPE_BENCH_STREAM_FILE (bench/detectors/run.sh does)") }
        let tensor = env["MADPIPE_BENCH_STREAM_TENSOR"] ?? "layers.0"
        let baseline = peakRSSMiB()
        let reader = try SafeTensorsRowReader(path: path, tensor: tensor)
        var acc = CovarianceAccumulator(dimension: reader.columns)
        let clock = ContinuousClock(), t0 = clock.now
        try reader.accumulate(into: &acc, chunkRows: env["MADPIPE_BENCH_STREAM_CHUNK"].flatMap(Int.init))
        let t = seconds(t0.duration(to: clock.now))
        let trace = acc.covariance.trace
        XCTAssertEqual(acc.count, reader.rows)
        XCTAssertTrue(trace.isFinite && trace > 0)
        let bytes = Double(reader.rows) * Double(reader.columns) * Double(reader.dtype.size)
        report("stream_covariance", [("tool", "madpipe"), ("seconds", String(format: "%.2f", t)),
                                     ("rows", "\(reader.rows)"), ("d", "\(reader.columns)"),
                                     ("tensor_gib", String(format: "%.3f", bytes / 1073741824)),
                                     ("gib_per_second", String(format: "%.3f", bytes / 1073741824 / t)),
                                     ("peak_rss_mib", String(format: "%.0f", peakRSSMiB())),
                                     ("baseline_rss_mib", String(format: "%.0f", baseline)),
                                     ("mean_sum", String(format: "%.10e", acc.mean.reduce(0, +))),
                                     ("trace", String(format: "%.10e", trace))])
    }
}
