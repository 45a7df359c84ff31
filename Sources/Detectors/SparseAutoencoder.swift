// SparseAutoencoder: a top-k sparse autoencoder (METHOD.md §5). Encoder pre-activations
// (x − b_dec) W_encᵀ + b_enc → ReLU → keep the k largest per row; decoder x̂ = z W_dec + b_dec
// with unit-norm decoder rows; loss = fraction of variance unexplained (FVU). Forward and
// backward are plain functions over a batch: the encoder is one dense GEMM, and every product
// with the codes (at most k non-zeros per row) goes through SparseCodes in O(n·k·d); the dense
// GEMM versions (`decodeDense`, `backwardDense`) are kept as references.
import Base
import CBLAS
import Numerics

/// A top-k sparse autoencoder over d-dimensional inputs with m latents.
public struct SparseAutoencoder: Equatable {
    /// Input dimension d.
    public let inputDimension: Int
    /// Number of latents m.
    public let latentCount: Int
    /// Active latents kept per row.
    public let k: Int
    /// Encoder weights, m×d (row i reads latent i).
    public var encoderWeights: Tensor
    /// Encoder bias, m.
    public var encoderBias: [Float]
    /// Decoder weights, m×d (row i is latent i's unit-norm direction).
    public var decoderWeights: Tensor
    /// Decoder bias, d (initialised to the data mean).
    public var decoderBias: [Float]

    /// Creates an SAE with random unit decoder rows, the encoder tied to the decoder, zero
    /// encoder bias and the decoder bias set to `dataMean`.
    public init(inputDimension d: Int, latentCount m: Int, k: Int, dataMean: [Float], seed: UInt64) {
        precondition(k >= 1 && k <= m, "k must lie in 1...\(m), got \(k)")
        precondition(dataMean.count == d, "data mean has \(dataMean.count) entries, expected \(d)")
        inputDimension = d; latentCount = m; self.k = k
        var rng = SplitMix64(seed: seed)
        var w = (0..<(m * d)).map { _ in Float(rng.nextGaussian()) }
        SparseAutoencoder.normaliseRows(&w, rows: m, cols: d)
        decoderWeights = Tensor(shape: [m, d], data: w)
        encoderWeights = decoderWeights
        encoderBias = [Float](repeating: 0, count: m)
        decoderBias = dataMean
    }

    /// Scales each row of a row-major rows×cols buffer to unit L2 norm (zero rows stay zero),
    /// with BLAS dot and scale per row.
    public static func normaliseRows(_ w: inout [Float], rows: Int, cols: Int) {
        guard rows > 0 && cols > 0 else { return }
        w.withUnsafeMutableBufferPointer { p in
            for i in 0..<rows {
                let row = p.baseAddress! + i * cols
                let s = cblas_sdot(Int32(cols), row, 1, row, 1)
                cblas_sscal(Int32(cols), s > 0 ? 1 / s.squareRoot() : 0, row, 1)
            }
        }
    }

    /// Reference for `normaliseRows`: plain loops.
    public static func normaliseRowsNaive(_ w: inout [Float], rows: Int, cols: Int) {
        for i in 0..<rows {
            var s: Float = 0
            for j in 0..<cols { s += w[i * cols + j] * w[i * cols + j] }
            let inv = s > 0 ? 1 / s.squareRoot() : 0
            for j in 0..<cols { w[i * cols + j] *= inv }
        }
    }

    /// Intermediate values of a forward pass, kept for the backward pass.
    public struct Forward {
        /// Pre-activations, n×m.
        public let preActivations: Tensor
        /// Sparse codes after ReLU and top-k, n×m.
        public let codes: Tensor
        /// Reconstructions, n×d.
        public let reconstruction: Tensor
        /// Fraction of variance unexplained on this batch.
        public let fvu: Double
        /// Σ‖x − mean(x)‖² of the batch (the FVU denominator).
        public let totalVariance: Double
    }

    /// Sparse codes: ReLU of the pre-activations, keeping only the k largest positive values of
    /// each row (ties go to the lower latent index).
    public func encode(_ x: Tensor) -> (pre: Tensor, codes: Tensor) {
        let n = x.shape[0], d = inputDimension, m = latentCount
        var centred = x
        for i in 0..<n { for j in 0..<d { centred.data[i * d + j] -= decoderBias[j] } }
        var pre = Tensor.matmul(centred, encoderWeights, transposeB: .transposed)
        for i in 0..<n { for j in 0..<m { pre.data[i * m + j] += encoderBias[j] } }
        var codes = Tensor(shape: [n, m])
        var chosen = [Int](repeating: 0, count: k)
        for i in 0..<n {
            let row = i * m
            // Insertion into a k-sized buffer sorted by descending value.
            var filled = 0
            for j in 0..<m {
                let v = pre.data[row + j]
                guard v > 0 else { continue }
                if filled == k && v <= pre.data[row + chosen[k - 1]] { continue }
                var pos = min(filled, k - 1)
                if filled < k { filled += 1 }
                while pos > 0 && pre.data[row + chosen[pos - 1]] < v { chosen[pos] = chosen[pos - 1]; pos -= 1 }
                chosen[pos] = j
            }
            for t in 0..<filled { codes.data[row + chosen[t]] = pre.data[row + chosen[t]] }
        }
        return (pre, codes)
    }

    /// Reference for the top-k step of `encode`: sorts every row.
    public static func topKNaive(_ pre: Tensor, k: Int) -> Tensor {
        let n = pre.shape[0], m = pre.shape[1]
        var out = Tensor(shape: [n, m])
        for i in 0..<n {
            let order = (0..<m).sorted { a, b in
                let va = pre.data[i * m + a], vb = pre.data[i * m + b]
                return va != vb ? va > vb : a < b
            }
            for j in order.prefix(k) where pre.data[i * m + j] > 0 { out.data[i * m + j] = pre.data[i * m + j] }
        }
        return out
    }

    /// Reconstructs rows from codes: z W_dec + b_dec, over the non-zero codes only.
    public func decode(_ codes: Tensor) -> Tensor {
        var out = SparseCodes(codes).times(decoderWeights)
        let n = codes.shape[0], d = inputDimension
        for i in 0..<n { for j in 0..<d { out.data[i * d + j] += decoderBias[j] } }
        return out
    }

    /// Reference for `decode`: one dense GEMM over all m codes.
    public func decodeDense(_ codes: Tensor) -> Tensor {
        var out = Tensor.matmul(codes, decoderWeights)
        let n = codes.shape[0], d = inputDimension
        for i in 0..<n { for j in 0..<d { out.data[i * d + j] += decoderBias[j] } }
        return out
    }

    /// Σ‖x − mean(x)‖² over the rows of a batch, in Float64.
    public static func totalVariance(_ x: Tensor) -> Double {
        let n = x.shape[0], d = x.shape[1]
        var total = 0.0
        for j in 0..<d {
            var mean = 0.0
            for i in 0..<n { mean += Double(x.data[i * d + j]) }
            mean /= Double(n)
            for i in 0..<n { let e = Double(x.data[i * d + j]) - mean; total += e * e }
        }
        return total
    }

    /// Forward pass on a batch x (n×d).
    public func forward(_ x: Tensor) -> Forward {
        precondition(x.rank == 2 && x.shape[1] == inputDimension, "SAE input must be [n, \(inputDimension)], got \(x.shape)")
        let (pre, codes) = encode(x)
        let xhat = decode(codes)
        var sse = 0.0
        for i in 0..<x.count { let r = Double(xhat.data[i]) - Double(x.data[i]); sse += r * r }
        let total = max(SparseAutoencoder.totalVariance(x), 1e-30)
        return Forward(preActivations: pre, codes: codes, reconstruction: xhat, fvu: sse / total, totalVariance: total)
    }

    /// Gradients of the FVU with respect to every parameter.
    public struct Gradients {
        /// One gradient per parameter group, shaped like the parameter.
        public var encoderWeights: Tensor, encoderBias: [Float], decoderWeights: Tensor, decoderBias: [Float]
    }

    /// Backward pass of the FVU for batch x given its forward values. Only latents that fired
    /// (non-zero codes) pass gradient, so every product runs over the codes' non-zeros.
    public func backward(_ x: Tensor, _ f: Forward) -> Gradients {
        var g = Gradients(encoderWeights: Tensor(shape: [0]), encoderBias: [], decoderWeights: Tensor(shape: [0]), decoderBias: [])
        backward(x, f, into: &g)
        return g
    }

    /// `backward` writing into `g`, reusing the storage of its m×d weight gradients when their
    /// shapes already match (a training loop passes the previous step's gradients).
    public func backward(_ x: Tensor, _ f: Forward, into g: inout Gradients) {
        let n = x.shape[0], d = inputDimension
        // dL/dx̂ = 2 (x̂ − x) / V
        let scale = Float(2 / f.totalVariance)
        var dxhat = Tensor(shape: [n, d])
        for i in 0..<x.count { dxhat.data[i] = scale * (f.reconstruction.data[i] - x.data[i]) }
        let codes = SparseCodes(f.codes)
        codes.transposeTimes(dxhat, into: &g.decoderWeights)                          // dW_dec, m×d
        let dz = codes.sampledProduct(dxhat, decoderWeights)                          // n×m at the fired latents
        var centred = x
        for i in 0..<n { for j in 0..<d { centred.data[i * d + j] -= decoderBias[j] } }
        dz.transposeTimes(centred, into: &g.encoderWeights)                           // dW_enc, m×d
        let dbEnc = dz.columnSums()                                                    // m
        // b_dec enters the output directly and the encoder input with a minus sign.
        var fromEncoder = [Float](repeating: 0, count: d)
        encoderWeights.data.withUnsafeBufferPointer { pw in
            for j in dbEnc.indices where dbEnc[j] != 0 {
                cblas_saxpy(Int32(d), dbEnc[j], pw.baseAddress! + j * d, 1, &fromEncoder, 1)
            }
        }
        let fromOutput = dxhat.sum(axis: 0).data
        g.encoderBias = dbEnc
        g.decoderBias = (0..<d).map { fromOutput[$0] - fromEncoder[$0] }
    }

    /// Reference for `backward`: dense GEMMs over all m latents, masked afterwards.
    public func backwardDense(_ x: Tensor, _ f: Forward) -> Gradients {
        let n = x.shape[0], d = inputDimension, m = latentCount
        // dL/dx̂ = 2 (x̂ − x) / V
        let scale = Float(2 / f.totalVariance)
        var dxhat = Tensor(shape: [n, d])
        for i in 0..<x.count { dxhat.data[i] = scale * (f.reconstruction.data[i] - x.data[i]) }
        let dWdec = Tensor.matmul(f.codes, dxhat, transposeA: .transposed)           // m×d
        var dz = Tensor.matmul(dxhat, decoderWeights, transposeB: .transposed)        // n×m
        // Only the kept latents pass gradient (ReLU and top-k masks).
        for i in 0..<dz.count where f.codes.data[i] == 0 { dz.data[i] = 0 }
        var centred = x
        for i in 0..<n { for j in 0..<d { centred.data[i * d + j] -= decoderBias[j] } }
        let dWenc = Tensor.matmul(dz, centred, transposeA: .transposed)               // m×d
        let dbEnc = dz.sum(axis: 0).data                                              // m
        // b_dec enters the output directly and the encoder input with a minus sign.
        let fromEncoder = Tensor.matmul(Tensor(shape: [1, m], data: dbEnc), encoderWeights).data
        let fromOutput = dxhat.sum(axis: 0).data
        let dbDec = (0..<d).map { fromOutput[$0] - fromEncoder[$0] }
        return Gradients(encoderWeights: dWenc, encoderBias: dbEnc, decoderWeights: dWdec, decoderBias: dbDec)
    }

    /// Removes from each decoder-row gradient its component along that (unit) row, so a step
    /// moves the row along the sphere to first order.
    public func projectDecoderGradient(_ g: inout Tensor) {
        let d = inputDimension
        decoderWeights.data.withUnsafeBufferPointer { pw in
            g.data.withUnsafeMutableBufferPointer { pg in
                for i in 0..<latentCount {
                    let row = pw.baseAddress! + i * d, grad = pg.baseAddress! + i * d
                    cblas_saxpy(Int32(d), -cblas_sdot(Int32(d), grad, 1, row, 1), row, 1, grad, 1)
                }
            }
        }
    }

    /// Reference for `projectDecoderGradient`: plain loops.
    public func projectDecoderGradientNaive(_ g: inout Tensor) {
        let d = inputDimension
        for i in 0..<latentCount {
            var dot: Float = 0
            for j in 0..<d { dot += g.data[i * d + j] * decoderWeights.data[i * d + j] }
            for j in 0..<d { g.data[i * d + j] -= dot * decoderWeights.data[i * d + j] }
        }
    }
}
