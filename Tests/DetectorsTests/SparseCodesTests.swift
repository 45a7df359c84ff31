// SparseCodes' products against dense GEMMs on a random top-k pattern (including an all-zero
// row), and the SAE's sparse decode, backward, row normalisation and decoder-gradient projection
// against their dense / plain-loop references.
import Base
import XCTest
import Numerics
@testable import Detectors

final class SparseCodesTests: XCTestCase {
    private func random(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = SplitMix64(seed: seed)
        return Tensor(shape: shape, data: (0..<Tensor.count(of: shape)).map { _ in Float(rng.nextGaussian()) })
    }

    /// n×m codes with about a quarter non-zero and row 2 empty.
    private func codes(_ n: Int, _ m: Int, seed: UInt64) -> Tensor {
        var rng = SplitMix64(seed: seed)
        var t = random([n, m], seed: seed + 1)
        for i in 0..<t.count where rng.nextUniform() < 0.75 || i / m == 2 { t.data[i] = 0 }
        return t
    }

    func testProductsMatchDenseGEMMs() {
        let z = codes(6, 11, seed: 1), w = random([11, 7], seed: 3), g = random([6, 7], seed: 4)
        let s = SparseCodes(z)
        XCTAssertEqual(s.rowStart[3] - s.rowStart[2], 0)
        XCTAssertEqual(s.dense, z)
        assertClose(s.times(w).data.map(Double.init), Tensor.matmul(z, w).data.map(Double.init), relative: 1e-5, absolute: 1e-5)
        assertClose(s.transposeTimes(g).data.map(Double.init), Tensor.matmul(z, g, transposeA: .transposed).data.map(Double.init),
                    relative: 1e-5, absolute: 1e-5)
        let full = Tensor.matmul(g, w, transposeB: .transposed)
        var masked = full
        for i in 0..<masked.count where z.data[i] == 0 { masked.data[i] = 0 }
        assertClose(s.sampledProduct(g, w).dense.data.map(Double.init), masked.data.map(Double.init), relative: 1e-5, absolute: 1e-5)
        assertClose(s.columnSums().map(Double.init), z.sum(axis: 0).data.map(Double.init), relative: 1e-6, absolute: 1e-6)
    }

    func testSAESparsePathsMatchDenseReferences() {
        let x = random([9, 6], seed: 7)
        var model = SparseAutoencoder(inputDimension: 6, latentCount: 14, k: 3, dataMean: x.mean(axis: 0).data, seed: 8)
        model.encoderWeights = random([14, 6], seed: 9)
        model.encoderBias = random([14], seed: 10).data.map { 0.2 * $0 }
        let f = model.forward(x)
        XCTAssertGreaterThan(f.codes.data.filter { $0 != 0 }.count, 9, "codes are not trivially empty")
        func close(_ a: [Float], _ b: [Float], _ what: String) {
            assertClose(a.map(Double.init), b.map(Double.init), relative: 1e-4, absolute: 1e-5, what)
        }
        close(model.decode(f.codes).data, model.decodeDense(f.codes).data, "decode")
        let fast = model.backward(x, f), dense = model.backwardDense(x, f)
        close(fast.encoderWeights.data, dense.encoderWeights.data, "encoderWeights")
        close(fast.encoderBias, dense.encoderBias, "encoderBias")
        close(fast.decoderWeights.data, dense.decoderWeights.data, "decoderWeights")
        close(fast.decoderBias, dense.decoderBias, "decoderBias")
        var a = fast.decoderWeights, b = fast.decoderWeights
        model.projectDecoderGradient(&a)
        model.projectDecoderGradientNaive(&b)
        close(a.data, b.data, "projection")
        var w1 = random([5, 6], seed: 11).data, w2 = w1
        for j in 0..<6 { w1[6 + j] = 0; w2[6 + j] = 0 }   // a zero row stays zero
        SparseAutoencoder.normaliseRows(&w1, rows: 5, cols: 6)
        SparseAutoencoder.normaliseRowsNaive(&w2, rows: 5, cols: 6)
        close(w1, w2, "normaliseRows")
        XCTAssertEqual(Array(w1[6..<12]), [Float](repeating: 0, count: 6))
    }
}
