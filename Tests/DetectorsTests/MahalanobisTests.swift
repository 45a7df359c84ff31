// Mahalanobis and diagonal Mahalanobis against numpy (pinv hermitian with rcond, n < d and
// low-rank cases) and sklearn's Ledoit-Wolf; streaming invariance; save/load round trips.
import XCTest
import Numerics
@testable import Detectors

final class MahalanobisTests: XCTestCase {
    var cases: [[String: Any]] { Fixtures.json("mahalanobis.json") as! [[String: Any]] }

    func accumulate(_ train: Matrix64, batch: Int) -> CovarianceAccumulator {
        var acc = CovarianceAccumulator(dimension: train.cols)
        var start = 0
        while start < train.rows {
            let end = min(start + batch, train.rows)
            acc.add(slice(train, start..<end))
            start = end
        }
        return acc
    }

    func config(_ c: [String: Any]) -> MahalanobisDetector.Config {
        var config = MahalanobisDetector.Config(rcond: c["rcond"] as! Double)
        if let s = c["shrinkage"] as? Double { config.shrinkage = .fixed(s) }
        if c["shrinkage"] as? String == "ledoit-wolf" { config.shrinkage = .ledoitWolf }
        return config
    }

    func testScoresMatchNumpyPinv() throws {
        XCTAssertEqual(cases.count, 6)
        for c in cases {
            let name = c["name"] as! String
            let train = matrix(c["train"]), test = matrix(c["test"])
            let acc = accumulate(train, batch: 7)
            assertClose(acc.mean, c["mean"] as! [Double], relative: 1e-12, absolute: 1e-12, name)
            assertClose(acc.covariance.data, matrix(c["covariance"]).data, relative: 1e-10, absolute: 1e-12, name)
            let detector = try MahalanobisDetector.fit(acc, config: config(c))
            if let lw = c["ledoitWolfShrinkage"] as? Double {
                XCTAssertEqual(detector.shrinkageCoefficient, lw, accuracy: 1e-10, name)
                XCTAssertGreaterThan(lw, 0, "fixture should exercise non-zero shrinkage")
            }
            let scores = try detector.scores(test)
            assertClose(scores, c["scores"] as! [Double], relative: 1e-7, absolute: 1e-9, name)
            assertClose(detector.scoresNaive(test), scores, relative: 1e-10, absolute: 1e-12, "naive vs GEMM \(name)")
            let diag = try DiagMahalanobisDetector.fit(acc)
            assertClose(try diag.scores(test), c["diagScores"] as! [Double], relative: 1e-9, name)
        }
    }

    func testBatchingDoesNotChangeStatistics() {
        let train = matrix(cases[0]["train"])
        let one = accumulate(train, batch: 1), all = accumulate(train, batch: 1000), odd = accumulate(train, batch: 13)
        assertClose(one.covariance.data, all.covariance.data, relative: 1e-11, absolute: 1e-12)
        assertClose(odd.mean, all.mean, relative: 1e-12, absolute: 1e-13)
        XCTAssertEqual(one.sumFourthPowerOfNorms, all.sumFourthPowerOfNorms, accuracy: 1e-8 * all.sumFourthPowerOfNorms)
        // Merging two halves equals streaming everything.
        var left = accumulate(slice(train, 0..<25), batch: 4)
        let right = accumulate(slice(train, 25..<train.rows), batch: 9)
        left.merge(right)
        XCTAssertEqual(left.count, train.rows)
        assertClose(left.covariance.data, all.covariance.data, relative: 1e-11, absolute: 1e-12)
        XCTAssertEqual(left.sumFourthPowerOfNorms, all.sumFourthPowerOfNorms, accuracy: 1e-8 * all.sumFourthPowerOfNorms)
    }

    func testFourthMomentMatchesDirectSum() {
        let train = matrix(cases[1]["train"])
        let acc = accumulate(train, batch: 2)
        var direct = 0.0
        for i in 0..<train.rows {
            var q = 0.0
            for j in 0..<train.cols { let e = train[i, j] - acc.mean[j]; q += e * e }
            direct += q * q
        }
        XCTAssertEqual(acc.sumFourthPowerOfNorms, direct, accuracy: 1e-9 * direct)
    }

    func testClosedFormIdentityCovariance() throws {
        // Points ±e_i (i = 1..3): mean 0, covariance I·(2/6) = I/3; x = (1,1,1) scores 3·3/3 = 3.
        var rows: [Double] = []
        for i in 0..<3 { for s in [1.0, -1.0] { var r = [0.0, 0, 0]; r[i] = s; rows += r } }
        var acc = CovarianceAccumulator(dimension: 3)
        try acc.add(Tensor(shape: [6, 3], doubles: rows))
        let detector = try MahalanobisDetector.fit(acc)
        XCTAssertEqual(try detector.scores(Tensor(shape: [1, 3], data: [1, 1, 1]))[0], 3, accuracy: 1e-12)
        XCTAssertEqual(try DiagMahalanobisDetector.fit(acc).scores(Tensor(shape: [1, 3], data: [1, 1, 1]))[0], 3, accuracy: 1e-12)
    }

    func testInputErrors() throws {
        var acc = CovarianceAccumulator(dimension: 3)
        XCTAssertThrowsError(try acc.add(Tensor(shape: [2, 4]))) {
            XCTAssertEqual($0 as? DetectorError, .dimensionMismatch(what: "covariance batch", expected: 3, actual: 4))
        }
        XCTAssertThrowsError(try acc.add(Tensor(shape: [1, 3], data: [1, .nan, 0]))) {
            XCTAssertEqual($0 as? DetectorError, .nonFinite(what: "covariance batch", index: 1))
        }
        XCTAssertThrowsError(try MahalanobisDetector.fit(acc)) { XCTAssertTrue("\($0)".contains("at least 1")) }
        try acc.add(Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6]))
        XCTAssertThrowsError(try MahalanobisDetector.fit(acc, config: .init(shrinkage: .fixed(1.5))))
    }

    func testSaveAndLoadRoundTrip() throws {
        let c = cases[4]
        let train = matrix(c["train"]), test = matrix(c["test"])
        let acc = accumulate(train, batch: 10)
        let detector = try MahalanobisDetector.fit(acc, config: config(c))
        let path = tempPath("maha.safetensors")
        try DetectorArchive.save(.mahalanobis(detector), to: path)
        guard case .mahalanobis(let loaded) = try DetectorArchive.load(path: path) else { return XCTFail("wrong kind") }
        XCTAssertEqual(loaded, detector)
        XCTAssertEqual(try loaded.scores(test), try detector.scores(test))
        // The config's keys are sorted (Foundation re-sorting them changes nothing), so the file's
        // bytes do not depend on the process's hash seed.
        let stored = try XCTUnwrap(try SafeTensorsFile(path: path).metadata["config"])
        let resorted = try JSONSerialization.data(withJSONObject: JSONSerialization.jsonObject(with: Data(stored.utf8)), options: [.sortedKeys])
        XCTAssertEqual(stored, String(decoding: resorted, as: UTF8.self))
        XCTAssertTrue(stored.hasPrefix(#"{"rcond":"#), stored)
        let diag = try DiagMahalanobisDetector.fit(acc)
        try DetectorArchive.save(.diagMahalanobis(diag), to: path)
        XCTAssertEqual(try DetectorArchive.load(path: path), .diagMahalanobis(diag))
        // A plain safetensors file without the detector metadata is rejected with its path.
        try SafeTensors.write([("x", .f64(shape: [1], data: [1]))], to: path)
        XCTAssertThrowsError(try DetectorArchive.load(path: path)) { XCTAssertTrue("\($0)".contains(path)) }
    }
}
