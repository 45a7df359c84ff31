// AUROC and average precision against sklearn on tie-heavy fixtures and closed forms; the
// radix-sorted versions against the naive references and the radix sort against a comparison
// sort; the seeded bootstrap interval.
import Base
import XCTest
import Numerics
@testable import Detectors

final class MetricsTests: XCTestCase {
    func testMatchesSklearnWithTies() throws {
        let cases = Fixtures.json("metrics.json") as! [[String: Any]]
        XCTAssertEqual(cases.count, 5)
        for (k, c) in cases.enumerated() {
            let scores = c["scores"] as! [Double], labels = (c["labels"] as! [Int]).map { $0 == 1 }
            XCTAssertEqual(try RankingMetrics.auroc(scores: scores, labels: labels), c["auroc"] as! Double, accuracy: 1e-12, "case \(k)")
            XCTAssertEqual(try RankingMetrics.averagePrecision(scores: scores, labels: labels), c["averagePrecision"] as! Double,
                           accuracy: 1e-12, "case \(k)")
            XCTAssertEqual(try RankingMetrics.aurocNaive(scores: scores, labels: labels), c["auroc"] as! Double, accuracy: 1e-12)
            XCTAssertEqual(try RankingMetrics.averagePrecisionNaive(scores: scores, labels: labels), c["averagePrecision"] as! Double,
                           accuracy: 1e-12)
        }
    }

    func testClosedForms() throws {
        let labels = [false, false, true, true]
        XCTAssertEqual(try RankingMetrics.auroc(scores: [0, 1, 2, 3], labels: labels), 1)
        XCTAssertEqual(try RankingMetrics.auroc(scores: [3, 2, 1, 0], labels: labels), 0)
        XCTAssertEqual(try RankingMetrics.auroc(scores: [1, 1, 1, 1], labels: labels), 0.5)
        XCTAssertEqual(try RankingMetrics.averagePrecision(scores: [0, 1, 2, 3], labels: labels), 1)
        // Ranking: + − + −  → AP = ½·1 + ½·(2/3).
        XCTAssertEqual(try RankingMetrics.averagePrecision(scores: [4, 3, 2, 1], labels: [true, false, true, false]),
                       0.5 + 0.5 * 2 / 3, accuracy: 1e-12)
    }

    func testErrors() {
        XCTAssertThrowsError(try RankingMetrics.auroc(scores: [1, 2], labels: [true, true])) {
            XCTAssertEqual($0 as? DetectorError, .singleClass(metric: "AUROC", positives: 2, negatives: 0))
        }
        XCTAssertThrowsError(try RankingMetrics.auroc(scores: [1], labels: [true, false])) {
            XCTAssertEqual($0 as? DetectorError, .lengthMismatch(what: "AUROC", scores: 1, labels: 2))
        }
        XCTAssertThrowsError(try RankingMetrics.averagePrecision(scores: [1, .nan], labels: [true, false]))
    }

    func testRadixSortMatchesComparisonSort() {
        var rng = SplitMix64(seed: 21)
        // Ties, both zeros, negatives, and magnitudes from 1e-300 to 1e300 (every key byte varies).
        let pool: [Double] = [0, -0.0, 1, -1, 1e-300, -1e-300, 1e300, -1e300, .leastNonzeroMagnitude, -.greatestFiniteMagnitude]
        let scores = (0..<3000).map { i -> Double in
            i % 3 == 0 ? pool[rng.nextInt(below: pool.count)] : (rng.nextGaussian() * 1e3).rounded() / 8
        }
        let labels = scores.indices.map { _ in rng.nextUniform() < 0.4 }
        let fast = ScoreRadixSort.sorted(scores, labels), slow = ScoreRadixSort.sortedNaive(scores, labels)
        XCTAssertEqual(fast.keys, slow.keys)
        XCTAssertEqual(fast.labels, slow.labels)
        XCTAssertEqual(ScoreRadixSort.key(-0.0), ScoreRadixSort.key(0))
        XCTAssertLessThan(ScoreRadixSort.key(-2), ScoreRadixSort.key(-1))
        XCTAssertLessThan(ScoreRadixSort.key(-1e-300), ScoreRadixSort.key(0))
        XCTAssertLessThan(ScoreRadixSort.key(0), ScoreRadixSort.key(.leastNonzeroMagnitude))
    }

    func testFastMetricsMatchNaiveOnTieHeavyData() throws {
        var rng = SplitMix64(seed: 4)
        let labels = (0..<1500).map { _ in rng.nextUniform() < 0.3 }
        let scores = labels.map { (rng.nextGaussian() + ($0 ? 0.7 : 0)).rounded(.toNearestOrEven) / 2 }   // few distinct values
        XCTAssertEqual(try RankingMetrics.auroc(scores: scores, labels: labels),
                       try RankingMetrics.aurocNaive(scores: scores, labels: labels), accuracy: 1e-12)
        XCTAssertEqual(try RankingMetrics.averagePrecision(scores: scores, labels: labels),
                       try RankingMetrics.averagePrecisionNaive(scores: scores, labels: labels), accuracy: 1e-12)
        // −0 and +0 tie: one positive at −0 against one negative at +0 counts half.
        XCTAssertEqual(try RankingMetrics.auroc(scores: [-0.0, 0], labels: [true, false]), 0.5)
    }

    func testBootstrapIsSeededAndBracketsEstimate() throws {
        var scores: [Double] = [], labels: [Bool] = []
        for i in 0..<60 { scores.append(Double((i * 37) % 23) + (i % 2 == 0 ? 6 : 0)); labels.append(i % 2 == 0) }
        let a = try BootstrapInterval.compute(scores: scores, labels: labels, resamples: 300, seed: 7)
        let b = try BootstrapInterval.compute(scores: scores, labels: labels, resamples: 300, seed: 7)
        let c = try BootstrapInterval.compute(scores: scores, labels: labels, resamples: 300, seed: 8)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        XCTAssertEqual(a.estimate, try RankingMetrics.auroc(scores: scores, labels: labels))
        XCTAssertLessThan(a.lower, a.estimate)
        XCTAssertGreaterThan(a.upper, a.estimate)
        // Four times the data roughly halves the width.
        let big = try BootstrapInterval.compute(scores: scores + scores + scores + scores, labels: labels + labels + labels + labels,
                                                resamples: 300, seed: 7)
        XCTAssertLessThan(big.upper - big.lower, 0.7 * (a.upper - a.lower))
        XCTAssertEqual(BootstrapInterval.quantile([0, 10], 0.25), 2.5)
    }
}
