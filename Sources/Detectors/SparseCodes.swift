// SparseCodes: the non-zero entries of a top-k code matrix (n×m with at most k non-zeros per row)
// in compressed-row form, and the three products a top-k SAE needs from it, each costing
// O(n·k·d) instead of a dense GEMM's O(n·m·d): Z·W (decoding), Zᵀ·G (decoder and encoder weight
// gradients) and (A·Bᵀ) sampled at Z's pattern (the code gradient, needed only where a latent
// fired). The dense GEMMs they replace are the references they are tested against.
import CBLAS
import Numerics

/// Compressed-row storage of the non-zeros of a code matrix.
struct SparseCodes {
    /// Rows n and columns (latents) m of the dense matrix.
    let rows: Int, columns: Int
    /// Row i's entries are `columnIndices[rowStart[i]..<rowStart[i + 1]]` (ascending) with `values`.
    var rowStart: [Int], columnIndices: [Int], values: [Float]

    /// The non-zeros of a rank-2 tensor.
    init(_ dense: Tensor) {
        rows = dense.shape[0]; columns = dense.shape[1]
        rowStart = [0]; rowStart.reserveCapacity(rows + 1)
        columnIndices = []; values = []
        dense.data.withUnsafeBufferPointer { p in
            for i in 0..<rows {
                for j in 0..<columns where p[i * columns + j] != 0 {
                    columnIndices.append(j); values.append(p[i * columns + j])
                }
                rowStart.append(columnIndices.count)
            }
        }
    }

    /// The same pattern with other values.
    func with(values newValues: [Float]) -> SparseCodes {
        var s = self
        s.values = newValues
        return s
    }

    /// Z·W for W of shape m×d: row i is Σ_j z_ij W_j (n×d).
    func times(_ w: Tensor) -> Tensor {
        precondition(w.rank == 2 && w.shape[0] == columns, "Z·W: W must have \(columns) rows, got \(w.shape)")
        let d = w.shape[1]
        var out = Tensor(shape: [rows, d])
        w.data.withUnsafeBufferPointer { pw in
            out.data.withUnsafeMutableBufferPointer { po in
                for i in 0..<rows {
                    for e in rowStart[i]..<rowStart[i + 1] {
                        cblas_saxpy(Int32(d), values[e], pw.baseAddress! + columnIndices[e] * d, 1, po.baseAddress! + i * d, 1)
                    }
                }
            }
        }
        return out
    }

    /// Zᵀ·G for G of shape n×d: row j is Σ_i z_ij G_i (m×d).
    func transposeTimes(_ g: Tensor) -> Tensor {
        var out = Tensor(shape: [0])
        transposeTimes(g, into: &out)
        return out
    }

    /// Zᵀ·G written into `out`, whose storage is reused (zeroed) when it already has m×d elements:
    /// a training loop then does not fault in fresh pages for its largest arrays every step.
    func transposeTimes(_ g: Tensor, into out: inout Tensor) {
        precondition(g.rank == 2 && g.shape[0] == rows, "Zᵀ·G: G must have \(rows) rows, got \(g.shape)")
        let d = g.shape[1]
        if out.shape == [columns, d] {
            out.data.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        } else {
            out = Tensor(shape: [columns, d])
        }
        g.data.withUnsafeBufferPointer { pg in
            out.data.withUnsafeMutableBufferPointer { po in
                for i in 0..<rows {
                    for e in rowStart[i]..<rowStart[i + 1] {
                        cblas_saxpy(Int32(d), values[e], pg.baseAddress! + i * d, 1, po.baseAddress! + columnIndices[e] * d, 1)
                    }
                }
            }
        }
    }

    /// (A·Bᵀ) at this pattern, for A n×d and B m×d: entry (i, j) is ⟨A_i, B_j⟩.
    func sampledProduct(_ a: Tensor, _ b: Tensor) -> SparseCodes {
        precondition(a.rank == 2 && b.rank == 2 && a.shape[0] == rows && b.shape[0] == columns && a.shape[1] == b.shape[1],
                     "sampled A·Bᵀ: shapes \(a.shape) and \(b.shape) do not match \(rows)x\(columns)")
        let d = a.shape[1]
        var out = [Float](repeating: 0, count: values.count)
        a.data.withUnsafeBufferPointer { pa in
            b.data.withUnsafeBufferPointer { pb in
                for i in 0..<rows {
                    for e in rowStart[i]..<rowStart[i + 1] {
                        out[e] = cblas_sdot(Int32(d), pa.baseAddress! + i * d, 1, pb.baseAddress! + columnIndices[e] * d, 1)
                    }
                }
            }
        }
        return with(values: out)
    }

    /// Column sums (length m), accumulated in Float64.
    func columnSums() -> [Float] {
        var s = [Double](repeating: 0, count: columns)
        for e in values.indices { s[columnIndices[e]] += Double(values[e]) }
        return s.map(Float.init)
    }

    /// The dense n×m matrix.
    var dense: Tensor {
        var t = Tensor(shape: [rows, columns])
        for i in 0..<rows { for e in rowStart[i]..<rowStart[i + 1] { t.data[i * columns + columnIndices[e]] = values[e] } }
        return t
    }
}
