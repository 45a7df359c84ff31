// PairedBootstrapInterval: the paired comparison of two detectors' (or one detector's on two
// models') scores of the same prompts: both AUROCs and their difference a - b, with a seeded
// percentile bootstrap interval of the difference. Each resample draws prompt indices once,
// stratified by label like BootstrapInterval (Alice and Bob rows separately, so both classes are
// always present), and computes both AUROCs on that one resample, so the interval reflects the
// pairing: prompts that are hard for both scorers move both AUROCs together.
import Base

/// Two AUROCs on the same rows and a bootstrap interval of their difference.
public struct PairedBootstrapInterval: Equatable {
    /// AUROC of the first scores on all rows.
    public let a: Double
    /// AUROC of the second scores on all rows.
    public let b: Double
    /// a - b on all rows.
    public let difference: Double
    /// Lower end of the interval of a - b.
    public let lower: Double
    /// Upper end of the interval of a - b.
    public let upper: Double

    /// AUROC of `a` and of `b` against `labels` (the same rows in the same order), and a
    /// percentile interval at `confidence` of AUROC(a) - AUROC(b) from `resamples` paired,
    /// label-stratified resamples drawn with SplitMix64(seed).
    public static func compute(a: [Double], b: [Double], labels: [Bool], resamples: Int = 1000,
                               confidence: Double = 0.95, seed: UInt64 = 0) throws -> PairedBootstrapInterval {
        guard a.count == b.count else {
            throw DetectorError.lengthMismatch(what: "paired AUROC (second scores)", scores: b.count, labels: a.count)
        }
        guard resamples >= 1 else {
            throw DetectorError.invalidParameter(name: "resamples", value: "\(resamples)", reason: "must be at least 1")
        }
        guard confidence > 0 && confidence < 1 else {
            throw DetectorError.invalidParameter(name: "confidence", value: "\(confidence)", reason: "must lie in (0, 1)")
        }
        let aurocA = try RankingMetrics.auroc(scores: a, labels: labels)
        let aurocB = try RankingMetrics.auroc(scores: b, labels: labels)
        let positives = labels.indices.filter { labels[$0] }, negatives = labels.indices.filter { !labels[$0] }
        let sampleLabels = [Bool](repeating: true, count: positives.count) + [Bool](repeating: false, count: negatives.count)
        var rng = SplitMix64(seed: seed)
        var differences: [Double] = []
        differences.reserveCapacity(resamples)
        var index: [Int] = []
        index.reserveCapacity(labels.count)
        for _ in 0..<resamples {
            index.removeAll(keepingCapacity: true)
            for _ in positives.indices { index.append(positives[rng.nextInt(below: positives.count)]) }
            for _ in negatives.indices { index.append(negatives[rng.nextInt(below: negatives.count)]) }
            let da = try RankingMetrics.auroc(scores: index.map { a[$0] }, labels: sampleLabels)
            let db = try RankingMetrics.auroc(scores: index.map { b[$0] }, labels: sampleLabels)
            differences.append(da - db)
        }
        differences.sort()
        let alpha = (1 - confidence) / 2
        return PairedBootstrapInterval(a: aurocA, b: aurocB, difference: aurocA - aurocB,
                                       lower: BootstrapInterval.quantile(differences, alpha),
                                       upper: BootstrapInterval.quantile(differences, 1 - alpha))
    }
}
