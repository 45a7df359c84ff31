// The QUE detector against numpy/scipy (eigh whitening, scipy.linalg.expm), and a closed form.
import XCTest
import Numerics
@testable import Detectors

final class QUEDetectorTests: XCTestCase {
    func testMatchesScipyExpm() throws {
        let f = Fixtures.json("que.json") as! [String: Any]
        var acc = CovarianceAccumulator(dimension: 5)
        acc.add(matrix(f["trusted"]))
        let detector = try QUEDetector.fit(acc, rcond: f["rcond"] as! Double)
        let scores = try detector.scores(matrix(f["test"]), untrusted: matrix(f["untrusted"]))
        assertClose(scores, f["scores"] as! [Double], relative: 1e-8, absolute: 1e-10)
        let path = tempPath("que.safetensors")
        try DetectorArchive.save(.que(detector), to: path)
        XCTAssertEqual(try DetectorArchive.load(path: path), .que(detector))
    }

    func testClosedFormOneDimension() throws {
        // Trusted {−1, 1}: μ 0, σ² 1, W = 1. Untrusted {−2, 2}: S = 4, exp(4·4/4) = e⁴.
        var acc = CovarianceAccumulator(dimension: 1)
        acc.add(Matrix64(rows: 2, cols: 1, data: [-1, 1]))
        let detector = try QUEDetector.fit(acc)
        let s = try detector.scores(Matrix64(rows: 1, cols: 1, data: [0.5]), untrusted: Matrix64(rows: 2, cols: 1, data: [-2, 2]))
        XCTAssertEqual(s[0], 0.25 * exp(4), accuracy: 1e-10)
        // A constant untrusted batch has S = 0: exp(0) = I, so the score is the squared whitened norm.
        let flat = try detector.scores(Matrix64(rows: 1, cols: 1, data: [0.5]), untrusted: Matrix64(rows: 2, cols: 1, data: [3, 3]))
        XCTAssertEqual(flat[0], 0.25, accuracy: 1e-12)
    }

    func testConstantTrustedLayerScoresZero() throws {
        // A layer that is constant on trusted data (Llama's input to block 0 at the last token is
        // one embedding row) whitens everything to 0: every score is 0, nothing throws.
        var acc = CovarianceAccumulator(dimension: 2)
        acc.add(Matrix64(rows: 3, cols: 2, data: [1, 2, 1, 2, 1, 2]))
        let detector = try QUEDetector.fit(acc)
        let s = try detector.scores(Matrix64(rows: 2, cols: 2, data: [1, 2, 5, -1]),
                                    untrusted: Matrix64(rows: 2, cols: 2, data: [0, 0, 4, 4]))
        XCTAssertEqual(s, [0, 0])
    }
}
