// BootstrapInterval: a seeded percentile bootstrap confidence interval for a ranking metric.
// Positives and negatives are resampled separately (a stratified bootstrap), so every resample
// keeps both classes and the metric is always defined.
import Base
import Numerics

/// A point estimate with a bootstrap confidence interval.
public struct BootstrapInterval: Equatable {
    /// The metric on the full data.
    public let estimate: Double
    /// Lower end of the interval.
    public let lower: Double
    /// Upper end of the interval.
    public let upper: Double

    /// Computes `metric` with a percentile interval at `confidence` from `resamples` stratified
    /// resamples drawn with a SplitMix64 generator seeded by `seed`.
    public static func compute(scores: [Double], labels: [Bool], resamples: Int = 1000, confidence: Double = 0.95,
                               seed: UInt64 = 0,
                               metric: ([Double], [Bool]) throws -> Double = RankingMetrics.auroc) throws -> BootstrapInterval {
        guard resamples >= 1 else {
            throw DetectorError.invalidParameter(name: "resamples", value: "\(resamples)", reason: "must be at least 1")
        }
        guard confidence > 0 && confidence < 1 else {
            throw DetectorError.invalidParameter(name: "confidence", value: "\(confidence)", reason: "must lie in (0, 1)")
        }
        let estimate = try metric(scores, labels)
        let positives = scores.indices.filter { labels[$0] }.map { scores[$0] }
        let negatives = scores.indices.filter { !labels[$0] }.map { scores[$0] }
        var rng = SplitMix64(seed: seed)
        var values: [Double] = []
        values.reserveCapacity(resamples)
        let sampleLabels = [Bool](repeating: true, count: positives.count) + [Bool](repeating: false, count: negatives.count)
        for _ in 0..<resamples {
            var sample: [Double] = []
            sample.reserveCapacity(scores.count)
            for _ in positives.indices { sample.append(positives[rng.nextInt(below: positives.count)]) }
            for _ in negatives.indices { sample.append(negatives[rng.nextInt(below: negatives.count)]) }
            values.append(try metric(sample, sampleLabels))
        }
        values.sort()
        let alpha = (1 - confidence) / 2
        return BootstrapInterval(estimate: estimate, lower: quantile(values, alpha), upper: quantile(values, 1 - alpha))
    }

    /// Linear-interpolation quantile of sorted values (numpy's default method).
    public static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let position = q * Double(sorted.count - 1)
        let low = Int(position.rounded(.down)), high = min(low + 1, sorted.count - 1)
        let fraction = position - Double(low)
        return sorted[low] + (sorted[high] - sorted[low]) * fraction
    }
}
