// PairedBootstrapTests: the paired quirky-vs-twin AUROC comparison (PairedBootstrapInterval):
// closed forms (identical scorers; a perfect against a constant scorer), the point estimates
// against scikit-learn (Fixtures/paired.json, scripts/fixtures/twins_fixtures.py), the pairing
// itself (a shared shift of both scorers cancels) and its errors.
import XCTest
import Base
@testable import Detectors

final class PairedBootstrapTests: XCTestCase {
    func testIdenticalScorersDifferByExactlyZero() throws {
        var rng = SplitMix64(seed: 7)
        let labels = (0..<200).map { $0 % 2 == 1 }
        let s = labels.map { rng.nextGaussian() + ($0 ? 0.7 : 0) }
        let c = try PairedBootstrapInterval.compute(a: s, b: s, labels: labels, resamples: 200, seed: 3)
        XCTAssertEqual(c.a, c.b)
        XCTAssertEqual(c.difference, 0)
        XCTAssertEqual(c.lower, 0)
        XCTAssertEqual(c.upper, 0)
    }

    /// A perfectly separating scorer has AUROC 1 on every resample and a constant one 1/2 (all
    /// ties), so the difference is 1/2 with the interval [1/2, 1/2].
    func testPerfectAgainstConstantScorerIsOneHalfWithPointInterval() throws {
        let labels = (0..<100).map { $0 % 3 == 0 }
        let perfect = labels.map { $0 ? 2.0 : 1.0 }
        let constant = [Double](repeating: 0.25, count: labels.count)
        let c = try PairedBootstrapInterval.compute(a: perfect, b: constant, labels: labels, resamples: 100, seed: 1)
        XCTAssertEqual(c.a, 1)
        XCTAssertEqual(c.b, 0.5)
        XCTAssertEqual(c.difference, 0.5)
        XCTAssertEqual(c.lower, 0.5)
        XCTAssertEqual(c.upper, 0.5)
    }

    func testPointEstimatesMatchSklearn() throws {
        let cases = Fixtures.json("paired.json") as! [[String: Any]]
        XCTAssertEqual(cases.count, 3)
        for (i, k) in cases.enumerated() {
            let labels = k["labels"] as! [Bool], a = k["a"] as! [Double], b = k["b"] as! [Double]
            let c = try PairedBootstrapInterval.compute(a: a, b: b, labels: labels, resamples: 50, seed: 0)
            XCTAssertEqual(c.a, k["auroc_a"] as! Double, accuracy: 1e-12, "case \(i)")
            XCTAssertEqual(c.b, k["auroc_b"] as! Double, accuracy: 1e-12, "case \(i)")
            XCTAssertEqual(c.difference, k["difference"] as! Double, accuracy: 1e-12, "case \(i)")
            XCTAssertLessThanOrEqual(c.lower, c.upper, "case \(i)")
        }
    }

    /// The pairing: b is a plus small per-prompt noise, so on every resample both AUROCs move
    /// together and the interval of the difference is far narrower than either AUROC's own
    /// interval (an unpaired bootstrap, resampling a and b independently, would be about sqrt(2)
    /// times wider than one of them).
    func testPairedIntervalIsNarrowerThanEitherAUROCsOwnInterval() throws {
        var rng = SplitMix64(seed: 11)
        let labels = (0..<400).map { $0 % 2 == 1 }
        let a = labels.map { rng.nextGaussian() + ($0 ? 0.5 : 0) }
        let b = a.map { $0 + 0.05 * rng.nextGaussian() }
        let paired = try PairedBootstrapInterval.compute(a: a, b: b, labels: labels, resamples: 300, seed: 2)
        let own = try BootstrapInterval.compute(scores: a, labels: labels, resamples: 300, seed: 2)
        XCTAssertLessThan(paired.upper - paired.lower, 0.25 * (own.upper - own.lower))
        XCTAssertTrue(paired.lower <= paired.difference && paired.difference <= paired.upper)
    }

    func testErrors() {
        XCTAssertThrowsError(try PairedBootstrapInterval.compute(a: [1, 2], b: [1], labels: [false, true]))
        XCTAssertThrowsError(try PairedBootstrapInterval.compute(a: [1, 2], b: [1, 2], labels: [true, true]))
        XCTAssertThrowsError(try PairedBootstrapInterval.compute(a: [1, 2], b: [1, 2], labels: [false, true], resamples: 0))
    }
}
