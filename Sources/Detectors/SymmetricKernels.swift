// SymmetricKernels: the two symmetric products behind Mahalanobis fitting, through BLAS's
// symmetric rank-k update (dsyrk), which computes one triangle and so needs half the FLOPs of a
// general GEMM: the co-moment AᵀA of a centred batch (added in place), and the pseudo-inverse V_J diag(1/λ_J) V_Jᵀ
// over the kept eigenpairs J only (with n ≤ d trusted rows most eigenvalues are dropped). Each
// has a plain reference beside it.
import CBLAS
import Numerics

/// Symmetric matrix products for the covariance and its pseudo-inverse.
enum SymmetricKernels {
    /// AᵀA (cols × cols) of a row-major matrix A via cblas_dsyrk, both triangles filled.
    static func gram(_ a: Matrix64) -> Matrix64 {
        let n = a.cols, k = a.rows
        var c = Matrix64(rows: n, cols: n)
        guard n > 0 && k > 0 else { return c }
        a.data.withUnsafeBufferPointer { pa in
            c.data.withUnsafeMutableBufferPointer { pc in
                cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(n), Int32(k), 1,
                            pa.baseAddress, Int32(n), 0, pc.baseAddress, Int32(n))
            }
        }
        mirrorUpper(&c.data, n)
        return c
    }

    /// Reference for `gram`: the general product Aᵀ·A by triple loop.
    static func gramNaive(_ a: Matrix64) -> Matrix64 {
        Matrix64.matmulNaive(a, a, transposeA: .transposed)
    }

    /// c ← c + AᵀA + α v vᵀ for a symmetric row-major c of side A.cols, in place: dsyrk and dsyr
    /// update the upper triangle, which is then mirrored, so no side×side temporary is allocated
    /// (a streaming covariance of d = 4096 otherwise faults in 128 MiB of fresh pages per batch).
    static func addGram(_ a: Matrix64, plus alpha: Double, _ v: [Double], to c: inout [Double]) {
        let n = a.cols, k = a.rows
        precondition(c.count == n * n && v.count == n, "addGram: c must be \(n)x\(n) and v of length \(n)")
        guard n > 0 else { return }
        c.withUnsafeMutableBufferPointer { pc in
            if k > 0 {
                a.data.withUnsafeBufferPointer { pa in
                    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(n), Int32(k), 1,
                                pa.baseAddress, Int32(n), 1, pc.baseAddress, Int32(n))
                }
            }
            if alpha != 0 {
                v.withUnsafeBufferPointer { pv in
                    cblas_dsyr(CblasRowMajor, CblasUpper, Int32(n), alpha, pv.baseAddress, 1, pc.baseAddress, Int32(n))
                }
            }
        }
        mirrorUpper(&c, n)
    }

    /// Reference for `addGram`: plain loops over every entry.
    static func addGramNaive(_ a: Matrix64, plus alpha: Double, _ v: [Double], to c: inout [Double]) {
        let n = a.cols
        let g = gramNaive(a)
        for i in 0..<n { for j in 0..<n { c[i * n + j] += g[i, j] + alpha * v[i] * v[j] } }
    }

    /// Pseudo-inverse Σ_{j∈J} v_j v_jᵀ / λ_j of the matrix with eigendecomposition `eig`, J the
    /// eigenvalues with |λ| > rcond · max|λ| (numpy's `pinv(hermitian=True)` rule, as
    /// `Matrix64.symmetricPseudoInverse`). When every kept λ is positive (a covariance) this is
    /// W Wᵀ with W = V_J diag(λ_J^{-1/2}), one dsyrk with inner dimension |J|; otherwise a GEMM.
    static func pseudoInverse(_ eig: SymmetricEigen, rcond: Double) -> Matrix64 {
        let n = eig.values.count
        let cutoff = rcond * (eig.values.map(abs).max() ?? 0)
        let kept = (0..<n).filter { abs(eig.values[$0]) > cutoff && eig.values[$0] != 0 }
        let r = kept.count
        var p = Matrix64(rows: n, cols: n)
        guard r > 0 else { return p }
        let positive = kept.allSatisfy { eig.values[$0] > 0 }
        // W (n × r): the kept eigenvector columns, scaled by λ^{-1/2} (or by 1/λ for the GEMM).
        let scale = kept.map { positive ? 1 / eig.values[$0].squareRoot() : 1 / eig.values[$0] }
        var w = [Double](repeating: 0, count: n * r)
        for i in 0..<n {
            let row = i * n
            for (t, j) in kept.enumerated() { w[i * r + t] = eig.vectors.data[row + j] * scale[t] }
        }
        if positive {
            w.withUnsafeBufferPointer { pw in
                p.data.withUnsafeMutableBufferPointer { pp in
                    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(n), Int32(r), 1,
                                pw.baseAddress, Int32(r), 0, pp.baseAddress, Int32(n))
                }
            }
            mirrorUpper(&p.data, n)
            return p
        }
        var v = [Double](repeating: 0, count: n * r)
        for i in 0..<n { for (t, j) in kept.enumerated() { v[i * r + t] = eig.vectors.data[i * n + j] } }
        return Matrix64.matmul(Matrix64(rows: n, cols: r, data: w), Matrix64(rows: n, cols: r, data: v), transposeB: .transposed)
    }

    /// Copies the upper triangle of a row-major n×n matrix onto its lower triangle, in cache-sized tiles.
    static func mirrorUpper(_ c: inout [Double], _ n: Int) {
        let tile = 64
        c.withUnsafeMutableBufferPointer { p in
            for bi in stride(from: 0, to: n, by: tile) {
                for bj in stride(from: bi, to: n, by: tile) {
                    for i in bi..<min(bi + tile, n) {
                        for j in max(bj, i + 1)..<max(min(bj + tile, n), i + 1) { p[j * n + i] = p[i * n + j] }
                    }
                }
            }
        }
    }
}
