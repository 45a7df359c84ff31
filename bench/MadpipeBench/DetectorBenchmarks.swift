// DetectorBenchmarks: the Swift side of bench/detectors/run.sh. Inputs are .npy files written by
// bench/detectors/make_inputs.py into --dir, so madpipe and numpy/scikit-learn process identical
// data; each command prints one `BENCH name=...` line that bench/detectors/report.py reads.

import ArgumentParser
import Base
import Detectors
import Foundation
import Numerics

struct MahalanobisBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "mahalanobis",
        abstract: "Mahalanobis fit on DIR/maha_train.npy and scores of DIR/maha_test.npy (written to DIR/swift_maha_scores.npy).")
    @Option(help: "Directory of the .npy inputs.") var dir: String
    @Option(help: "Timed runs; the fastest counts.") var repeats = 1

    func run() throws {
        let train = try NPY.read(path: dir + "/maha_train.npy").tensor
        let test = try NPY.read(path: dir + "/maha_test.npy").tensor
        let clock = ContinuousClock()
        var fit = Double.infinity, score = Double.infinity, total = Double.infinity
        var scores: [Double] = []
        for _ in 0..<max(repeats, 1) {
            let t0 = clock.now
            let detector = try MahalanobisDetector.fit(rows: train)
            let t1 = clock.now
            scores = try detector.scores(test)
            let t2 = clock.now
            fit = min(fit, Bench.seconds(t0.duration(to: t1)))
            score = min(score, Bench.seconds(t1.duration(to: t2)))
            total = min(total, Bench.seconds(t0.duration(to: t2)))
        }
        guard scores.count == test.shape[0], scores.allSatisfy({ $0.isFinite && $0 >= -1e-9 }) else {
            throw ValidationError("Mahalanobis scores must be one finite, non-negative value per test row")
        }
        try NPY.write(NPYArray(shape: [scores.count], storage: .float64(scores)), to: dir + "/swift_maha_scores.npy")
        Bench.report("mahalanobis_fit_score", [("tool", "madpipe"), ("seconds", Bench.f(total, 4)), ("fit_seconds", Bench.f(fit, 4)),
                                               ("score_seconds", Bench.f(score, 4)), ("n", "\(train.shape[0])"), ("d", "\(train.shape[1])"),
                                               ("test", "\(test.shape[0])"), ("peak_rss_mib", Bench.f(Bench.peakRSSMiB(), 0))])
    }
}

struct AUROCBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "auroc",
        abstract: "AUROC of DIR/auroc_scores.npy against DIR/auroc_labels.npy.")
    @Option(help: "Directory of the .npy inputs.") var dir: String
    @Option(help: "Timed runs; the fastest counts.") var repeats = 5

    func run() throws {
        let scores = try NPY.read(path: dir + "/auroc_scores.npy").doubles
        guard case .bool(let labels) = try NPY.read(path: dir + "/auroc_labels.npy").storage else {
            throw ValidationError("auroc_labels.npy must hold booleans")
        }
        let (t, value) = try Bench.best(repeats) { try RankingMetrics.auroc(scores: scores, labels: labels) }
        Bench.report("auroc", [("tool", "madpipe"), ("seconds", Bench.f(t, 5)), ("n", "\(scores.count)"), ("value", Bench.f(value, 15))])
    }
}

struct SAEStepBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sae-step",
        abstract: "Top-k SAE training-step time against the measured sgemm peak, on seeded rows with a few strong directions.",
        discussion: """
        The step time is the difference of two trainings (2 and 2 + steps batches), so what both share cancels. \
        Dense-equivalent FLOPs: five GEMMs of 2 x batch x d x latents; executed FLOPs: the encoder GEMM plus four \
        products over the k fired latents per row.
        """)
    @Option(help: "Input width.") var d = 1024
    @Option(help: "Latents per input dimension.") var expansion = 8
    @Option(help: "Latents kept per row.") var k = 32
    @Option(help: "Rows per step.") var batch = 256
    @Option(help: "Steps timed.") var steps = 10
    @Option(help: "Rounds (peak and step alternate; the best of each counts).") var repeats = 2
    @Option(help: "Size of the square sgemm that sets the peak.") var sgemmSize = 2048

    func run() throws {
        let latents = expansion * d, base = 2
        var rng = SplitMix64(seed: 11)
        let rank = 16
        let basis = (0..<(rank * d)).map { _ in Float(rng.nextGaussian()) }
        var data = [Float](repeating: 0, count: batch * (base + steps) * d)
        for i in 0..<(batch * (base + steps)) {
            for r in 0..<rank {
                let c = Float(rng.nextGaussian()) * 2
                for j in 0..<d { data[i * d + j] += c * basis[r * d + j] }
            }
            for j in 0..<d { data[i * d + j] += 0.5 * Float(rng.nextGaussian()) }
        }
        let all = Tensor(shape: [batch * (base + steps), d], data: data)
        let small = Tensor(shape: [batch * base, d], data: Array(data[0..<(batch * base * d)]))
        let trainer = SAETrainer(latentCount: latents, k: k, learningRate: 1e-3, batchSize: batch, epochs: 1, seed: 3)
        var peak = 0.0, step = Double.infinity, fvu = Double.nan
        for _ in 0..<max(repeats, 1) {
            peak = max(peak, Bench.sgemmGFLOPs(m: sgemmSize, k: sgemmSize, n: sgemmSize, repeats: 3))
            let (tSmall, _) = try Bench.best(1) { try trainer.train(small) }
            let (tLarge, result) = try Bench.best(1) { try trainer.train(all) }
            step = min(step, (tLarge - tSmall) / Double(steps))
            fvu = result.fvuPerEpoch.last ?? .nan
        }
        guard fvu.isFinite else { throw ValidationError("the SAE's fraction of variance unexplained is not finite") }
        let shapeRate = Bench.sgemmGFLOPs(m: batch, k: d, n: latents, repeats: 3)
        let dense = 5 * 2 * Double(batch) * Double(d) * Double(latents)
        let executed = 2 * Double(batch) * Double(d) * Double(latents) + 4 * 2 * Double(batch) * Double(k) * Double(d)
        let rate = dense / step / 1e9
        Bench.report("sgemm_peak", [("tool", "madpipe"), ("gflops", Bench.f(peak, 2)), ("size", "\(sgemmSize)")])
        Bench.report("sae_step", [("tool", "madpipe"), ("seconds", Bench.f(step, 5)), ("gflops", Bench.f(rate, 2)),
                                  ("peak_gflops", Bench.f(peak, 2)), ("fraction_of_peak", Bench.f(rate / peak, 3)),
                                  ("executed_gflops", Bench.f(executed / step / 1e9, 2)), ("encoder_shape_gflops", Bench.f(shapeRate, 2)),
                                  ("rows_per_second", Bench.f(Double(batch) / step, 0)), ("d", "\(d)"), ("latents", "\(latents)"),
                                  ("k", "\(k)"), ("batch", "\(batch)"), ("steps", "\(steps)"), ("fvu", Bench.f(fvu, 4))])
    }
}

struct StreamCovarianceBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stream-covariance",
        abstract: "Streams one tensor of a madpipe-activations/1 safetensors file through a CovarianceAccumulator; reports GiB/s and the peak RSS.",
        discussion: "Run it in a process of its own (bench/detectors/run.sh does) so the peak resident set is the streaming's alone.")
    @Option(help: "The safetensors file.") var file: String
    @Option(help: "The tensor to stream.") var tensor = "layers.0"
    @Option(help: "Rows per chunk (default: the reader's).") var chunkRows: Int?

    func run() throws {
        let baseline = Bench.peakRSSMiB()
        let reader = try SafeTensorsRowReader(path: file, tensor: tensor)
        var acc = CovarianceAccumulator(dimension: reader.columns)
        let (t, _) = try Bench.best(1) { try reader.accumulate(into: &acc, chunkRows: chunkRows) }
        let trace = acc.covariance.trace
        guard acc.count == reader.rows, trace.isFinite, trace > 0 else { throw ValidationError("the streamed covariance is degenerate") }
        let gib = Double(reader.rows) * Double(reader.columns) * Double(reader.dtype.size) / 1073741824
        Bench.report("stream_covariance", [("tool", "madpipe"), ("seconds", Bench.f(t, 2)), ("rows", "\(reader.rows)"), ("d", "\(reader.columns)"),
                                           ("tensor_gib", Bench.f(gib, 3)), ("gib_per_second", Bench.f(gib / t, 3)),
                                           ("peak_rss_mib", Bench.f(Bench.peakRSSMiB(), 0)), ("baseline_rss_mib", Bench.f(baseline, 0)),
                                           ("mean_sum", String(format: "%.10e", acc.mean.reduce(0, +))), ("trace", String(format: "%.10e", trace))])
    }
}
