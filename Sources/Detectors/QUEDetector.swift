// QUEDetector: the quantum-entropy score of METHOD.md §6 (optional detector). Rows are
// whitened with the trusted statistics, w = (x − μ) W with W = Σ^{−1/2} (symmetric, from the
// eigendecomposition, eigenvalues at or below rcond·λmax dropped); S is the ML covariance of the
// whitened untrusted batch, and score = wᵀ exp(4 S / ‖S‖₂) w. The matrix exponential is taken
// through S's own eigendecomposition, and a batch is scored with GEMMs.
import Foundation
import Numerics

/// Whitening fitted on trusted rows, ready to score rows against an untrusted batch.
public struct QUEDetector: Equatable {
    /// Mean of the trusted rows.
    public let mean: [Double]
    /// Symmetric whitening matrix Σ^{−1/2} (d×d).
    public let whitening: Matrix64

    /// Creates a detector from its parts (used when loading).
    public init(mean: [Double], whitening: Matrix64) { self.mean = mean; self.whitening = whitening }

    /// Fits the whitening from streamed trusted statistics.
    public static func fit(_ acc: CovarianceAccumulator, rcond: Double = 1e-3) throws -> QUEDetector {
        guard acc.count >= 1 else { throw DetectorError.tooFewSamples(what: "QUE fit", needed: 1, actual: acc.count) }
        let eig = try acc.covariance.symmetricEigen()
        let d = acc.dimension
        let cutoff = rcond * (eig.values.map(abs).max() ?? 0)
        var scaled = eig.vectors
        for j in 0..<d {
            let lambda = eig.values[j]
            let factor = lambda > cutoff && lambda > 0 ? 1 / lambda.squareRoot() : 0
            for i in 0..<d { scaled[i, j] *= factor }
        }
        return QUEDetector(mean: acc.mean, whitening: Matrix64.matmul(scaled, eig.vectors, transposeB: .transposed))
    }

    func whiten(_ x: Matrix64) -> Matrix64 {
        var centred = x
        let d = mean.count
        for i in 0..<x.rows { for j in 0..<d { centred.data[i * d + j] -= mean[j] } }
        return Matrix64.matmul(centred, whitening)
    }

    /// exp(4 S / ‖S‖₂) for S the ML covariance of the whitened untrusted rows.
    public func entropyMatrix(untrusted: Matrix64) throws -> Matrix64 {
        guard untrusted.cols == mean.count else {
            throw DetectorError.dimensionMismatch(what: "QUE untrusted batch", expected: mean.count, actual: untrusted.cols)
        }
        guard untrusted.rows >= 2 else { throw DetectorError.tooFewSamples(what: "QUE untrusted batch", needed: 2, actual: untrusted.rows) }
        var acc = CovarianceAccumulator(dimension: mean.count)
        acc.add(whiten(untrusted))
        let eig = try acc.covariance.symmetricEigen()
        let norm = eig.values.map(abs).max() ?? 0
        // S = 0 (e.g. a layer that is constant over the trusted data, so whitening maps every row
        // to 0): exp(0) = I, and every score is the (zero) whitened norm.
        guard norm > 0 else { return Matrix64.identity(mean.count) }
        var scaled = eig.vectors
        let d = mean.count
        for j in 0..<d {
            let factor = exp(4 * eig.values[j] / norm)
            for i in 0..<d { scaled[i, j] *= factor }
        }
        return Matrix64.matmul(scaled, eig.vectors, transposeB: .transposed)
    }

    /// Scores rows `x` against the untrusted batch `untrusted`: wᵀ exp(4 S / ‖S‖₂) w.
    public func scores(_ x: Matrix64, untrusted: Matrix64) throws -> [Double] {
        guard x.cols == mean.count else { throw DetectorError.dimensionMismatch(what: "QUE scores", expected: mean.count, actual: x.cols) }
        let q = try entropyMatrix(untrusted: untrusted)
        let w = whiten(x)
        let wq = Matrix64.matmul(w, q)
        let d = mean.count
        return (0..<x.rows).map { i in
            var s = 0.0
            for j in 0..<d { s += wq.data[i * d + j] * w.data[i * d + j] }
            return s
        }
    }
}
