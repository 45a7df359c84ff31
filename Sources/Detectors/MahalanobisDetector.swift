// MahalanobisDetector: anomaly score (x−μ)ᵀ Σ⁺ (x−μ) / d with μ and Σ from trusted rows, Σ⁺ the
// pseudo-inverse from the Float64 symmetric eigendecomposition with eigenvalues at or below
// rcond·λmax dropped, and optional shrinkage. Scores a whole batch with one GEMM.
import Numerics

/// A fitted Mahalanobis-distance detector (larger score = more anomalous).
public struct MahalanobisDetector: Equatable {
    /// Fit settings.
    public struct Config: Equatable, Codable {
        /// Relative cutoff for eigenvalues kept in the pseudo-inverse.
        public var rcond: Double
        /// Shrinkage of the covariance before inversion.
        public var shrinkage: Shrinkage
        /// Settings with the defaults of METHOD.md §6 (rcond 1e-3, no shrinkage).
        public init(rcond: Double = 1e-3, shrinkage: Shrinkage = .none) {
            self.rcond = rcond; self.shrinkage = shrinkage
        }
    }

    /// Settings used to fit.
    public let config: Config
    /// Mean of the trusted rows.
    public let mean: [Double]
    /// Pseudo-inverse of the (shrunk) covariance.
    public let precision: Matrix64
    /// Shrinkage coefficient actually applied.
    public let shrinkageCoefficient: Double
    /// Number of trusted rows fitted on.
    public let sampleCount: Int

    /// Feature dimension.
    public var dimension: Int { mean.count }

    /// Creates a detector from its parts (used when loading).
    public init(config: Config, mean: [Double], precision: Matrix64, shrinkageCoefficient: Double, sampleCount: Int) {
        self.config = config; self.mean = mean; self.precision = precision
        self.shrinkageCoefficient = shrinkageCoefficient; self.sampleCount = sampleCount
    }

    /// Fits from streamed statistics.
    public static func fit(_ acc: CovarianceAccumulator, config: Config = Config()) throws -> MahalanobisDetector {
        guard acc.count >= 1 else { throw DetectorError.tooFewSamples(what: "mahalanobis fit", needed: 1, actual: acc.count) }
        guard config.rcond >= 0 && config.rcond < 1 else {
            throw DetectorError.invalidParameter(name: "rcond", value: "\(config.rcond)", reason: "must lie in [0, 1)")
        }
        let s = try config.shrinkage.coefficient(for: acc)
        let covariance = Shrinkage.apply(s, to: acc.covariance)
        // Σ⁺ over the kept eigenpairs only, with one dsyrk (Matrix64.symmetricPseudoInverse is
        // the general reference it is tested against).
        let precision = SymmetricKernels.pseudoInverse(try covariance.symmetricEigen(), rcond: config.rcond)
        return MahalanobisDetector(config: config, mean: acc.mean, precision: precision,
                                   shrinkageCoefficient: s, sampleCount: acc.count)
    }

    /// Fits on a batch of trusted rows, streamed in chunks of `batchSize`.
    public static func fit(rows: Tensor, config: Config = Config(), batchSize: Int = 4096) throws -> MahalanobisDetector {
        guard rows.rank == 2 else {
            throw DetectorError.invalidParameter(name: "rows shape", value: "\(rows.shape)", reason: "must be [rows, features]")
        }
        var acc = CovarianceAccumulator(dimension: rows.shape[1])
        let d = rows.shape[1]
        var start = 0
        while start < rows.shape[0] {
            let end = min(start + batchSize, rows.shape[0])
            try acc.add(Tensor(shape: [end - start, d], data: Array(rows.data[(start * d)..<(end * d)])))
            start = end
        }
        return try fit(acc, config: config)
    }

    /// Scores a batch of Float32 rows (see `scores(_: Matrix64)`).
    public func scores(_ x: Tensor) throws -> [Double] {
        guard x.rank == 2, x.shape[1] == dimension else {
            throw DetectorError.dimensionMismatch(what: "mahalanobis scores", expected: dimension, actual: x.shape.last ?? 0)
        }
        return try scores(Matrix64(x))
    }

    /// Scores a batch of rows: D = X − μ, P = D Σ⁺ (one GEMM), score_i = ⟨P_i, D_i⟩ / d.
    public func scores(_ x: Matrix64) throws -> [Double] {
        guard x.cols == dimension else {
            throw DetectorError.dimensionMismatch(what: "mahalanobis scores", expected: dimension, actual: x.cols)
        }
        let n = x.rows, d = dimension
        var centred = x
        for i in 0..<n { for j in 0..<d { centred.data[i * d + j] -= mean[j] } }
        let projected = Matrix64.matmul(centred, precision)
        return (0..<n).map { i in
            var s = 0.0
            for j in 0..<d { s += projected.data[i * d + j] * centred.data[i * d + j] }
            return s / Double(d)
        }
    }

    /// Reference for `scores`: one row at a time with explicit loops.
    public func scoresNaive(_ x: Matrix64) -> [Double] {
        let n = x.rows, d = dimension
        return (0..<n).map { i in
            let diff = (0..<d).map { x[i, $0] - mean[$0] }
            var s = 0.0
            for a in 0..<d { for b in 0..<d { s += diff[a] * precision[a, b] * diff[b] } }
            return s / Double(d)
        }
    }
}
