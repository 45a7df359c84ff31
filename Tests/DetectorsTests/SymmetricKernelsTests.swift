// SymmetricKernels against their references: the dsyrk Gram matrix and its in-place update
// c + AᵀA + α v vᵀ against triple loops (with more columns than one 64-wide mirroring tile), and the kept-eigenpair pseudo-inverse
// against Numerics' general symmetricPseudoInverse on a rank-deficient covariance (dsyrk path)
// and on an indefinite matrix (GEMM path), plus the Moore-Penrose identity A A⁺ A = A.
import Base
import XCTest
import Numerics
@testable import Detectors

final class SymmetricKernelsTests: XCTestCase {
    private func random(_ rows: Int, _ cols: Int, seed: UInt64) -> Matrix64 {
        var rng = SplitMix64(seed: seed)
        return Matrix64(rows: rows, cols: cols, data: (0..<(rows * cols)).map { _ in rng.nextGaussian() })
    }

    func testGramMatchesNaive() {
        for (rows, cols) in [(5, 3), (3, 70), (9, 130)] {
            let a = random(rows, cols, seed: UInt64(rows * cols))
            assertClose(SymmetricKernels.gram(a).data, SymmetricKernels.gramNaive(a).data, relative: 1e-12, absolute: 1e-12, "\(rows)x\(cols)")
        }
        XCTAssertEqual(SymmetricKernels.gram(Matrix64(rows: 0, cols: 2)).data, [0, 0, 0, 0])
    }

    func testAddGramInPlaceMatchesNaive() {
        for (rows, cols) in [(4, 3), (7, 90)] {
            let a = random(rows, cols, seed: 12), b = random(cols, cols, seed: 13)
            let start = Matrix64.matmul(b, b, transposeA: .transposed).data   // symmetric
            let v = random(1, cols, seed: 14).data
            var fast = start, slow = start
            SymmetricKernels.addGram(a, plus: 0.7, v, to: &fast)
            SymmetricKernels.addGramNaive(a, plus: 0.7, v, to: &slow)
            assertClose(fast, slow, relative: 1e-12, absolute: 1e-12, "\(rows)x\(cols)")
        }
    }

    func testPseudoInverseOfRankDeficientCovariance() throws {
        // 6 rows in 9 dimensions: the co-moment has rank 5 (after centring), so 4 eigenvalues drop.
        let x = random(6, 9, seed: 3)
        var acc = CovarianceAccumulator(dimension: 9)
        acc.add(x)
        let cov = acc.covariance
        let fast = SymmetricKernels.pseudoInverse(try cov.symmetricEigen(), rcond: 1e-3)
        let reference = try cov.symmetricPseudoInverse(rcond: 1e-3)
        assertClose(fast.data, reference.data, relative: 1e-9, absolute: 1e-9)
        let back = Matrix64.matmul(Matrix64.matmul(cov, fast), cov)
        assertClose(back.data, cov.data, relative: 1e-8, absolute: 1e-10)
    }

    func testPseudoInverseOfIndefiniteMatrix() throws {
        let b = random(5, 5, seed: 8)
        var a = Matrix64.matmul(b, b.transposed)
        for i in 0..<5 { a[i, i] -= 3 }   // some eigenvalues negative
        let eig = try a.symmetricEigen()
        XCTAssertTrue(eig.values.contains { $0 < 0 } && eig.values.contains { $0 > 0 })
        assertClose(SymmetricKernels.pseudoInverse(eig, rcond: 1e-6).data, try a.symmetricPseudoInverse(rcond: 1e-6).data,
                    relative: 1e-9, absolute: 1e-10)
        XCTAssertEqual(SymmetricKernels.pseudoInverse(try Matrix64(rows: 2, cols: 2).symmetricEigen(), rcond: 1e-3).data, [0, 0, 0, 0])
    }
}
