// RankingMetrics: exact AUROC (Mann-Whitney with mid-ranks, so tied scores count half) and
// average precision (sklearn's step-wise definition over distinct thresholds), both over one
// radix sort of the scores (ScoreRadixSort), each with a quadratic or threshold-by-threshold
// reference beside it.

/// Threshold-free ranking metrics; positives are the anomalies (label true).
public enum RankingMetrics {
    static func check(_ metric: String, _ scores: [Double], _ labels: [Bool]) throws -> (Int, Int) {
        guard scores.count == labels.count else {
            throw DetectorError.lengthMismatch(what: metric, scores: scores.count, labels: labels.count)
        }
        if let bad = scores.firstIndex(where: { !$0.isFinite }) { throw DetectorError.nonFinite(what: "\(metric) scores", index: bad) }
        let positives = labels.filter { $0 }.count
        let negatives = labels.count - positives
        guard positives > 0 && negatives > 0 else {
            throw DetectorError.singleClass(metric: metric, positives: positives, negatives: negatives)
        }
        return (positives, negatives)
    }

    /// Area under the ROC curve: P(score⁺ > score⁻) + ½ P(score⁺ = score⁻).
    public static func auroc(scores: [Double], labels: [Bool]) throws -> Double {
        let (p, n) = try check("AUROC", scores, labels)
        let (keys, positive) = ScoreRadixSort.sorted(scores, labels)
        // Sum of mid-ranks (1-based) of the positives: a run of equal scores at ranks i+1...j
        // gives each member the rank (i + 1 + j) / 2.
        var rankSum = 0.0
        var i = 0
        while i < keys.count {
            var j = i, positivesInRun = 0
            while j < keys.count && keys[j] == keys[i] {
                if positive[j] { positivesInRun += 1 }
                j += 1
            }
            rankSum += Double(positivesInRun) * Double(i + 1 + j) / 2
            i = j
        }
        return (rankSum - Double(p) * Double(p + 1) / 2) / (Double(p) * Double(n))
    }

    /// Reference for `auroc`: compares every positive with every negative.
    public static func aurocNaive(scores: [Double], labels: [Bool]) throws -> Double {
        let (p, n) = try check("AUROC", scores, labels)
        var wins = 0.0
        for a in scores.indices where labels[a] {
            for b in scores.indices where !labels[b] {
                wins += scores[a] > scores[b] ? 1 : (scores[a] == scores[b] ? 0.5 : 0)
            }
        }
        return wins / (Double(p) * Double(n))
    }

    /// Average precision Σ_k (R_k − R_{k−1}) P_k over the distinct score thresholds, descending.
    public static func averagePrecision(scores: [Double], labels: [Bool]) throws -> Double {
        let (p, _) = try check("average precision", scores, labels)
        let (keys, positive) = ScoreRadixSort.sorted(scores, labels)
        // Walk the ascending keys from the top: each run of equal scores is one threshold.
        var tp = 0, fp = 0
        var ap = 0.0, previousRecall = 0.0
        var j = keys.count
        while j > 0 {
            var i = j - 1
            while i > 0 && keys[i - 1] == keys[j - 1] { i -= 1 }
            for k in i..<j { if positive[k] { tp += 1 } else { fp += 1 } }
            let recall = Double(tp) / Double(p)
            ap += (recall - previousRecall) * Double(tp) / Double(tp + fp)
            previousRecall = recall
            j = i
        }
        return ap
    }

    /// Reference for `averagePrecision`: recomputes precision and recall at every threshold.
    public static func averagePrecisionNaive(scores: [Double], labels: [Bool]) throws -> Double {
        let (p, _) = try check("average precision", scores, labels)
        let thresholds = Array(Set(scores)).sorted(by: >)
        var ap = 0.0, previousRecall = 0.0
        for t in thresholds {
            let tp = scores.indices.filter { scores[$0] >= t && labels[$0] }.count
            let predicted = scores.filter { $0 >= t }.count
            let recall = Double(tp) / Double(p)
            ap += (recall - previousRecall) * Double(tp) / Double(predicted)
            previousRecall = recall
        }
        return ap
    }
}
