// CovarianceAccumulator: streaming mean and covariance in Float64. Each batch's mean and
// co-moment matrix (one symmetric rank-k update over the centred batch) is merged into the running totals with
// Chan, Golub & LeVeque's pairwise update, so results do not depend on how rows are batched
// beyond rounding. It also keeps the few shifted sums Ledoit-Wolf needs (Σ‖x−μ‖⁴). A tensor on
// disk streams into it chunk by chunk through Numerics' SafeTensorsRowReader (`accumulate`).
import Numerics

/// Running mean and covariance of a stream of d-dimensional rows.
public struct CovarianceAccumulator: Equatable {
    /// Feature dimension.
    public let dimension: Int
    /// Rows seen so far.
    public private(set) var count: Int = 0
    /// Running mean.
    public private(set) var mean: [Double]
    /// Running co-moment Σ (x−μ)(x−μ)ᵀ (row-major d×d).
    public private(set) var comoment: [Double]
    // Sums about a fixed shift c (the first batch's mean) for the fourth moment:
    // q = ‖x−c‖²;  sumQ = Σ q,  sumQ2 = Σ q²,  sumQX = Σ q (x−c).
    private var shift: [Double] = []
    private var sumQ = 0.0, sumQ2 = 0.0
    private var sumQX: [Double]

    /// An empty accumulator for rows of `dimension` features.
    public init(dimension: Int) {
        self.dimension = dimension
        mean = [Double](repeating: 0, count: dimension)
        comoment = [Double](repeating: 0, count: dimension * dimension)
        sumQX = [Double](repeating: 0, count: dimension)
    }

    /// Adds a batch of rows (rank-2 tensor, one row per sample).
    public mutating func add(_ batch: Tensor) throws {
        guard batch.rank == 2 else {
            throw DetectorError.invalidParameter(name: "batch shape", value: "\(batch.shape)", reason: "must be [rows, features]")
        }
        guard batch.shape[1] == dimension else {
            throw DetectorError.dimensionMismatch(what: "covariance batch", expected: dimension, actual: batch.shape[1])
        }
        if let bad = batch.data.firstIndex(where: { !$0.isFinite }) {
            throw DetectorError.nonFinite(what: "covariance batch", index: bad)
        }
        add(Matrix64(batch))
    }

    /// Adds a batch of Float64 rows.
    public mutating func add(_ batch: Matrix64) {
        precondition(batch.cols == dimension, "batch has \(batch.cols) columns, accumulator \(dimension)")
        let m = batch.rows, d = dimension
        guard m > 0 else { return }
        // Batch mean and centred batch.
        var bmean = [Double](repeating: 0, count: d)
        for i in 0..<m { for j in 0..<d { bmean[j] += batch.data[i * d + j] } }
        for j in 0..<d { bmean[j] /= Double(m) }
        var centred = batch
        for i in 0..<m { for j in 0..<d { centred.data[i * d + j] -= bmean[j] } }
        // Fourth-moment sums about the shift.
        if shift.isEmpty { shift = bmean }
        for i in 0..<m {
            var q = 0.0
            for j in 0..<d { let e = batch.data[i * d + j] - shift[j]; q += e * e }
            sumQ += q; sumQ2 += q * q
            for j in 0..<d { sumQX[j] += q * (batch.data[i * d + j] - shift[j]) }
        }
        // Chan et al.: merge (count, mean, comoment) with (m, bmean, centredᵀcentred), in place:
        // comoment += centredᵀcentred + n m / (n + m) δ δᵀ (one dsyrk, half a GEMM's FLOPs, and a dsyr).
        let n = count, total = n + m
        let delta = (0..<d).map { bmean[$0] - mean[$0] }
        let factor = Double(n) * Double(m) / Double(total)
        SymmetricKernels.addGram(centred, plus: factor, delta, to: &comoment)
        for j in 0..<d { mean[j] += delta[j] * Double(m) / Double(total) }
        count = total
    }

    /// Merges another accumulator (e.g. from a parallel worker) into this one.
    public mutating func merge(_ other: CovarianceAccumulator) {
        precondition(other.dimension == dimension, "cannot merge accumulators of dimension \(other.dimension) and \(dimension)")
        guard other.count > 0 else { return }
        guard count > 0 else { self = other; return }
        let d = dimension
        // Re-express the other's shifted sums about our shift: x−c = (x−c') + (c'−c).
        let t = (0..<d).map { other.shift[$0] - shift[$0] }
        let tt = t.reduce(0) { $0 + $1 * $1 }
        // Σ (x−c')  and  Σ (x−c')(x−c')ᵀ of the other, from its mean and co-moment.
        let n2 = Double(other.count)
        let s1 = (0..<d).map { n2 * (other.mean[$0] - other.shift[$0]) }
        // q_new = q + 2 tᵀ(x−c') + ‖t‖²
        var tS1 = 0.0
        for j in 0..<d { tS1 += t[j] * s1[j] }
        // Σ (tᵀ(x−c'))² = tᵀ [M2 + n δδᵀ] t with δ = mean − c'.
        var tM2t = 0.0
        for i in 0..<d { for j in 0..<d { tM2t += t[i] * other.comoment[i * d + j] * t[j] } }
        var tDelta = 0.0
        for j in 0..<d { tDelta += t[j] * (other.mean[j] - other.shift[j]) }
        let sumTX2 = tM2t + n2 * tDelta * tDelta
        var tQX = 0.0
        for j in 0..<d { tQX += t[j] * other.sumQX[j] }
        let newQ = other.sumQ + 2 * tS1 + n2 * tt
        let newQ2 = other.sumQ2 + 4 * sumTX2 + n2 * tt * tt + 4 * tQX + 2 * tt * other.sumQ + 4 * tt * tS1
        // Σ q_new (x−c) = Σ (q + 2tᵀe + ‖t‖²)(e + t), e = x−c'.
        var s11t = [Double](repeating: 0, count: d)   // Σ e eᵀ t
        for i in 0..<d {
            var acc = 0.0
            for j in 0..<d {
                let eij = other.comoment[i * d + j] + n2 * (other.mean[i] - other.shift[i]) * (other.mean[j] - other.shift[j])
                acc += eij * t[j]
            }
            s11t[i] = acc
        }
        for i in 0..<d {
            sumQX[i] += other.sumQX[i] + other.sumQ * t[i] + 2 * s11t[i] + 2 * tS1 * t[i] + tt * s1[i] + n2 * tt * t[i]
        }
        sumQ += newQ; sumQ2 += newQ2
        // Chan merge of mean and co-moment.
        let n1 = Double(count), total = n1 + n2
        let delta = (0..<d).map { other.mean[$0] - mean[$0] }
        for i in 0..<d { for j in 0..<d {
            comoment[i * d + j] += other.comoment[i * d + j] + n1 * n2 / total * delta[i] * delta[j]
        } }
        for j in 0..<d { mean[j] += delta[j] * n2 / total }
        count += other.count
    }

    /// Maximum-likelihood covariance (co-moment / n), as sklearn's empirical_covariance.
    public var covariance: Matrix64 {
        Matrix64(rows: dimension, cols: dimension, data: comoment.map { $0 / Double(max(count, 1)) })
    }

    /// Per-feature maximum-likelihood variances.
    public var variances: [Double] { (0..<dimension).map { comoment[$0 * dimension + $0] / Double(max(count, 1)) } }

    /// Σ_k ‖x_k − μ‖⁴, recovered from the shifted sums:
    /// with δ = μ − c and r = ‖δ‖², Σ(q − 2δᵀb + r)² = Q2 − 4δᵀQX + 2rQ + 4δᵀM2δ + n r².
    public var sumFourthPowerOfNorms: Double {
        guard count > 0 else { return 0 }
        let d = dimension
        let delta = (0..<d).map { mean[$0] - shift[$0] }
        let r = delta.reduce(0) { $0 + $1 * $1 }
        var dQX = 0.0, dM2d = 0.0
        for i in 0..<d {
            dQX += delta[i] * sumQX[i]
            for j in 0..<d { dM2d += delta[i] * comoment[i * d + j] * delta[j] }
        }
        return sumQ2 - 4 * dQX + 2 * r * sumQ + 4 * dM2d + Double(count) * r * r
    }
}

/// Streaming a safetensors tensor into the accumulator.
extension SafeTensorsRowReader {
    /// Adds every row to `accumulator`, `chunkRows` rows at a time (by default 2²² values, 16 MiB
    /// of F32): memory stays at one chunk and its Float64 copies, plus the accumulator's d×d
    /// statistics, however large the tensor.
    public func accumulate(into accumulator: inout CovarianceAccumulator, chunkRows: Int? = nil) throws {
        let chunkRows = chunkRows ?? max(1, (1 << 22) / max(columns, 1))
        guard chunkRows >= 1 else {
            throw DetectorError.invalidParameter(name: "chunkRows", value: "\(chunkRows)", reason: "must be at least 1")
        }
        guard accumulator.dimension == columns else {
            throw DetectorError.dimensionMismatch(what: "\(path): \(tensor)", expected: accumulator.dimension, actual: columns)
        }
        var start = 0
        while start < rows {
            let end = min(start + chunkRows, rows)
            try accumulator.add(read(start..<end))
            start = end
        }
    }
}
