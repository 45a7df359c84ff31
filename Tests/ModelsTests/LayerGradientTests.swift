// LayerGradientTests: every layer's backward checked against central finite differences of its
// forward, plus closed-form cases and fast-vs-naive agreement for the BLAS matmul.
//
// Tolerance: each check differentiates the Double-accumulated scalar L = sum(w * out) with
// random w, so dL/dout = w is what backward receives. Inputs are O(1) and the step is
// eps = 1e-2. Float32 forward rounding (2^-24 ~ 6e-8 per operation, ~1e-6 after a few dozen
// operations) perturbs L by ~1e-6 * sum|w*out|, which the 2*eps division turns into ~1e-4
// relative noise at most; central-difference truncation is eps^2/6 * |f'''| ~ 2e-5. A correct
// backward therefore shows a norm-wise relative error around 1e-5..1e-4, and we require
// < 2e-3 (a 10x margin). A wrong term (missing factor, sign, transposed index) gives errors of
// order 0.1..1, far above the threshold.

import XCTest
import Models

final class LayerGradientTests: XCTestCase {
    let tolerance = 2e-3
    let eps: Float = 1e-2

    /// Asserts that `analytic` matches the finite-difference gradient of `f` at `x`.
    func check(_ name: String, _ x: [Float], _ analytic: [Float], _ f: ([Float]) -> Double,
               file: StaticString = #filePath, line: UInt = #line) {
        let numeric = GradientCheck.numericalGradient(x, eps: eps, f)
        let err = GradientCheck.relativeError(analytic, numeric)
        XCTAssertLessThan(err, tolerance, "\(name): relative error \(err)", file: file, line: line)
        XCTAssertGreaterThan(numeric.map(abs).max()!, 1e-3, "\(name): gradient is trivially zero", file: file, line: line)
    }

    // MARK: Matmul

    func testMatmulFastMatchesNaive() {
        let (N, C, OC) = (5, 7, 3)
        let x = GradientCheck.random(N * C, seed: 1), w = GradientCheck.random(OC * C, seed: 2)
        let b = GradientCheck.random(OC, seed: 3), start = GradientCheck.random(N * OC, seed: 4)
        for accumulate in [false, true] {
            let fast = buf(start), naive = buf(start)
            Matmul.forward(out: fast.pointer, inp: x, weight: w, bias: b, N: N, C: C, OC: OC, scale: 0.5, accumulate: accumulate)
            Matmul.forwardNaive(out: naive.pointer, inp: x, weight: w, bias: b, N: N, C: C, OC: OC, scale: 0.5, accumulate: accumulate)
            for i in 0..<(N * OC) { XCTAssertEqual(fast[i], naive[i], accuracy: 1e-5) }
        }
        let dout = GradientCheck.random(N * OC, seed: 5)
        let dxF = buf(GradientCheck.random(N * C, seed: 6)), dxN = buf(dxF.array)
        let dwF = buf(GradientCheck.random(OC * C, seed: 7)), dwN = buf(dwF.array)
        let dbF = buf([Float](repeating: 0.25, count: OC)), dbN = buf(dbF.array)
        Matmul.backward(dinp: dxF.pointer, dweight: dwF.pointer, dbias: dbF.pointer, dout: dout, inp: x, weight: w, N: N, C: C, OC: OC, scale: 0.5)
        Matmul.backwardNaive(dinp: dxN.pointer, dweight: dwN.pointer, dbias: dbN.pointer, dout: dout, inp: x, weight: w, N: N, C: C, OC: OC, scale: 0.5)
        for i in 0..<(N * C) { XCTAssertEqual(dxF[i], dxN[i], accuracy: 1e-5) }
        for i in 0..<(OC * C) { XCTAssertEqual(dwF[i], dwN[i], accuracy: 1e-5) }
        for i in 0..<OC { XCTAssertEqual(dbF[i], dbN[i], accuracy: 1e-5) }
    }

    func testMatmulKnownProduct() {
        // [1 2] x [[1 0],[0 1],[1 1]]^T + [0 0 10] = [1 2 13]  (weights are [out, in])
        let out = FloatBuffer(count: 3)
        Matmul.forward(out: out.pointer, inp: [1, 2], weight: [1, 0, 0, 1, 1, 1], bias: [0, 0, 10], N: 1, C: 2, OC: 3)
        XCTAssertEqual(out.array, [1, 2, 13])
    }

    func testMatmulGradients() {
        let (N, C, OC) = (4, 5, 3)
        let x = GradientCheck.random(N * C, seed: 11), w = GradientCheck.random(OC * C, seed: 12)
        let b = GradientCheck.random(OC, seed: 13), wOut = GradientCheck.random(N * OC, seed: 14)
        func L(_ x: [Float], _ w: [Float], _ b: [Float]) -> Double {
            let out = FloatBuffer(count: N * OC)
            Matmul.forward(out: out.pointer, inp: x, weight: w, bias: b, N: N, C: C, OC: OC)
            return GradientCheck.dot(wOut, out.array)
        }
        let dx = FloatBuffer(count: N * C), dw = FloatBuffer(count: OC * C), db = FloatBuffer(count: OC)
        Matmul.backward(dinp: dx.pointer, dweight: dw.pointer, dbias: db.pointer, dout: wOut, inp: x, weight: w, N: N, C: C, OC: OC)
        check("matmul dinp", x, dx.array) { L($0, w, b) }
        check("matmul dweight", w, dw.array) { L(x, $0, b) }
        check("matmul dbias", b, db.array) { L(x, w, $0) }
    }

    // MARK: Norms

    func testLayerNormGradientsAndNormalisation() {
        let (N, C) = (3, 8)
        let x = GradientCheck.random(N * C, seed: 21, scale: 2)
        let w = GradientCheck.random(C, seed: 22).map { $0 + 1 }, b = GradientCheck.random(C, seed: 23)
        let wOut = GradientCheck.random(N * C, seed: 24)
        func run(_ x: [Float], _ w: [Float], _ b: [Float]) -> (FloatBuffer, FloatBuffer, FloatBuffer) {
            let out = FloatBuffer(count: N * C), mean = FloatBuffer(count: N), rstd = FloatBuffer(count: N)
            LayerNorm.forward(out: out.pointer, mean: mean.pointer, rstd: rstd.pointer, inp: x, weight: w, bias: b, N: N, C: C, eps: 1e-5)
            return (out, mean, rstd)
        }
        // With unit weight and zero bias each row has mean 0 and variance 1 (up to eps).
        let (plain, _, _) = run(x, [Float](repeating: 1, count: C), [Float](repeating: 0, count: C))
        for n in 0..<N {
            let row = (0..<C).map { Double(plain[n * C + $0]) }
            XCTAssertEqual(row.reduce(0, +) / Double(C), 0, accuracy: 1e-5)
            XCTAssertEqual(row.map { $0 * $0 }.reduce(0, +) / Double(C), 1, accuracy: 1e-3)
        }
        let (_, mean, rstd) = run(x, w, b)
        let dx = FloatBuffer(count: N * C), dw = FloatBuffer(count: C), db = FloatBuffer(count: C)
        LayerNorm.backward(dinp: dx.pointer, dweight: dw.pointer, dbias: db.pointer, dout: wOut, inp: x, weight: w,
                           mean: mean.pointer, rstd: rstd.pointer, N: N, C: C)
        check("layernorm dinp", x, dx.array) { GradientCheck.dot(wOut, run($0, w, b).0.array) }
        check("layernorm dweight", w, dw.array) { GradientCheck.dot(wOut, run(x, $0, b).0.array) }
        check("layernorm dbias", b, db.array) { GradientCheck.dot(wOut, run(x, w, $0).0.array) }
    }

    func testRMSNormGradientsAndScale() {
        let (N, C) = (3, 8)
        let x = GradientCheck.random(N * C, seed: 31, scale: 2)
        let w = GradientCheck.random(C, seed: 32).map { $0 + 1 }, wOut = GradientCheck.random(N * C, seed: 33)
        func run(_ x: [Float], _ w: [Float]) -> (FloatBuffer, FloatBuffer) {
            let out = FloatBuffer(count: N * C), rstd = FloatBuffer(count: N)
            RMSNorm.forward(out: out.pointer, rstd: rstd.pointer, inp: x, weight: w, N: N, C: C, eps: 1e-5)
            return (out, rstd)
        }
        // Closed form: a constant row c maps to sign(c) * w (|c| >> eps).
        let (const, _) = run([Float](repeating: -3, count: C), w)
        for c in 0..<C { XCTAssertEqual(const[c], -w[c], accuracy: 1e-5) }
        let (_, rstd) = run(x, w)
        let dx = FloatBuffer(count: N * C), dw = FloatBuffer(count: C)
        RMSNorm.backward(dinp: dx.pointer, dweight: dw.pointer, dout: wOut, inp: x, weight: w, rstd: rstd.pointer, N: N, C: C)
        check("rmsnorm dinp", x, dx.array) { GradientCheck.dot(wOut, run($0, w).0.array) }
        check("rmsnorm dweight", w, dw.array) { GradientCheck.dot(wOut, run(x, $0).0.array) }
    }

    // MARK: Attention and rotary

    func testAttentionFusedGradientsAndCausalProbabilities() {
        let (B, T, NH, hd) = (2, 4, 2, 3)
        let C = NH * hd
        let qkv = GradientCheck.random(B * T * 3 * C, seed: 41, scale: 1.5)
        let wOut = GradientCheck.random(B * T * C, seed: 42)
        func run(_ qkv: [Float]) -> (FloatBuffer, FloatBuffer) {
            let out = FloatBuffer(count: B * T * C), probs = FloatBuffer(count: B * NH * T * T)
            let p = FloatBuffer(qkv)
            withExtendedLifetime(p) {
                Attention.forward(out: out.pointer, probs: probs.pointer, q: p.pointer, k: p.pointer + C, v: p.pointer + 2 * C,
                                  rowStride: 3 * C, B: B, T: T, NH: NH, hd: hd)
            }
            return (out, probs)
        }
        let (out, probs) = run(qkv)
        for row in 0..<(B * NH * T) {
            let t = row % T
            let p = (0..<T).map { probs[row * T + $0] }
            XCTAssertEqual(Double(p.reduce(0, +)), 1, accuracy: 1e-5)
            for t2 in (t + 1)..<T { XCTAssertEqual(p[t2], 0, "future position \(t2) attended from \(t)") }
        }
        // Position 0 can only attend to itself: its output is its own value vector.
        for h in 0..<NH { for i in 0..<hd {
            XCTAssertEqual(out[h * hd + i], qkv[2 * C + h * hd + i], accuracy: 1e-6)
        } }
        let dqkv = FloatBuffer(count: qkv.count)
        let q = buf(qkv)
        withExtendedLifetime(q) {
            Attention.backward(dq: dqkv.pointer, dk: dqkv.pointer + C, dv: dqkv.pointer + 2 * C, dout: wOut,
                               q: q.pointer, k: q.pointer + C, v: q.pointer + 2 * C, probs: probs.pointer,
                               rowStride: 3 * C, B: B, T: T, NH: NH, hd: hd)
        }
        check("attention dqkv", qkv, dqkv.array) { GradientCheck.dot(wOut, run($0).0.array) }
    }

    func testAttentionFastMatchesNaive() {
        let (B, T, NH, hd) = (2, 5, 2, 3)
        let C = NH * hd
        let qkv = buf(GradientCheck.random(B * T * 3 * C, seed: 45, scale: 1.5))
        let dout = GradientCheck.random(B * T * C, seed: 46)
        let outF = FloatBuffer(count: B * T * C), outN = FloatBuffer(count: B * T * C)
        let pF = FloatBuffer(count: B * NH * T * T), pN = FloatBuffer(count: B * NH * T * T)
        let start = GradientCheck.random(B * T * 3 * C, seed: 47)
        let dF = buf(start), dN = buf(start)
        withExtendedLifetime(qkv) {
            let (q, k, v) = (qkv.pointer, qkv.pointer + C, qkv.pointer + 2 * C)
            Attention.forward(out: outF.pointer, probs: pF.pointer, q: q, k: k, v: v, rowStride: 3 * C, B: B, T: T, NH: NH, hd: hd)
            Attention.forwardNaive(out: outN.pointer, probs: pN.pointer, q: q, k: k, v: v, rowStride: 3 * C, B: B, T: T, NH: NH, hd: hd)
            Attention.backward(dq: dF.pointer, dk: dF.pointer + C, dv: dF.pointer + 2 * C, dout: dout, q: q, k: k, v: v,
                               probs: pF.pointer, rowStride: 3 * C, B: B, T: T, NH: NH, hd: hd)
            Attention.backwardNaive(dq: dN.pointer, dk: dN.pointer + C, dv: dN.pointer + 2 * C, dout: dout, q: q, k: k, v: v,
                                    probs: pN.pointer, rowStride: 3 * C, B: B, T: T, NH: NH, hd: hd)
        }
        for i in 0..<outF.count { XCTAssertEqual(outF[i], outN[i], accuracy: 1e-5) }
        for i in 0..<pF.count { XCTAssertEqual(pF[i], pN[i], accuracy: 1e-6) }
        for i in 0..<dF.count { XCTAssertEqual(dF[i], dN[i], accuracy: 1e-5) }
    }

    func testAttentionSeparateBuffersGradients() {
        let (B, T, NH, hd) = (1, 5, 2, 2)
        let C = NH * hd
        let q = GradientCheck.random(B * T * C, seed: 51), k = GradientCheck.random(B * T * C, seed: 52)
        let v = GradientCheck.random(B * T * C, seed: 53), wOut = GradientCheck.random(B * T * C, seed: 54)
        func run(_ q: [Float], _ k: [Float], _ v: [Float]) -> (FloatBuffer, FloatBuffer) {
            let out = FloatBuffer(count: B * T * C), probs = FloatBuffer(count: B * NH * T * T)
            Attention.forward(out: out.pointer, probs: probs.pointer, q: q, k: k, v: v, rowStride: C, B: B, T: T, NH: NH, hd: hd)
            return (out, probs)
        }
        let probs = run(q, k, v).1
        let dq = FloatBuffer(count: q.count), dk = FloatBuffer(count: k.count), dv = FloatBuffer(count: v.count)
        Attention.backward(dq: dq.pointer, dk: dk.pointer, dv: dv.pointer, dout: wOut, q: q, k: k, v: v,
                           probs: probs.pointer, rowStride: C, B: B, T: T, NH: NH, hd: hd)
        check("attention dq", q, dq.array) { GradientCheck.dot(wOut, run($0, k, v).0.array) }
        check("attention dk", k, dk.array) { GradientCheck.dot(wOut, run(q, $0, v).0.array) }
        check("attention dv", v, dv.array) { GradientCheck.dot(wOut, run(q, k, $0).0.array) }
    }

    func testRotaryClosedFormsAndGradient() {
        let (B, T, NH, hd) = (1, 6, 2, 4)
        let C = NH * hd
        let table = Rotary.table(maxSeq: T, headDim: hd, theta: 10_000)
        // Pair i of position t is rotated by t * 10000^(-2i/hd): i = 0 -> angle t, i = 1 -> t / 100.
        XCTAssertEqual(Double(table.cos[3 * 2 + 0]), cos(3.0), accuracy: 1e-6)
        XCTAssertEqual(Double(table.sin[3 * 2 + 1]), sin(0.03), accuracy: 1e-6)
        func rot(_ x: [Float]) -> [Float] {
            let b = buf(x)
            Rotary.forward(x: b.pointer, cos: table.cos, sin: table.sin, rowStride: C, B: B, T: T, NH: NH, hd: hd)
            return b.array
        }
        let x = GradientCheck.random(B * T * C, seed: 61)
        let y = rot(x)
        for c in 0..<C { XCTAssertEqual(y[c], x[c], "position 0 must not rotate") }
        // Rotation preserves the norm of each (i, i + hd/2) pair.
        for t in 0..<T { for h in 0..<NH { for i in 0..<(hd / 2) {
            let a = t * C + h * hd + i, b = a + hd / 2
            XCTAssertEqual(x[a] * x[a] + x[b] * x[b], y[a] * y[a] + y[b] * y[b], accuracy: 1e-5)
        } } }
        // Relative positions: the same q, k placed at (m, n) give a score that depends on m - n only.
        let q = Array(x[0..<hd]), k = Array(x[hd..<2 * hd])
        func score(_ m: Int, _ n: Int) -> Float {
            var xs = [Float](repeating: 0, count: T * C)
            for i in 0..<hd { xs[m * C + i] = q[i]; xs[n * C + hd + i] = k[i] }
            let r = rot(xs)
            return (0..<hd).reduce(0) { $0 + r[m * C + $1] * r[n * C + hd + $1] }
        }
        XCTAssertEqual(score(4, 1), score(5, 2), accuracy: 1e-5)
        XCTAssertEqual(score(3, 3), score(0, 0), accuracy: 1e-5)
        XCTAssertNotEqual(score(4, 1), score(4, 3), accuracy: 1e-4)
        let wOut = GradientCheck.random(B * T * C, seed: 62)
        let d = buf(wOut)
        Rotary.backward(dx: d.pointer, cos: table.cos, sin: table.sin, rowStride: C, B: B, T: T, NH: NH, hd: hd)
        check("rotary dx", x, d.array) { GradientCheck.dot(wOut, rot($0)) }
    }

    // MARK: Elementwise

    func testGELUValuesAndGradient() {
        let x = GradientCheck.random(11, seed: 71, scale: 3)
        func run(_ x: [Float]) -> [Float] {
            let out = FloatBuffer(count: x.count)
            GELU.forward(out: out.pointer, inp: x, N: x.count)
            return out.array
        }
        // Reference values of torch.nn.functional.gelu(x, approximate="tanh").
        let known = run([0, 1, -1, 3])
        XCTAssertEqual(known[0], 0)
        XCTAssertEqual(known[1], 0.8411920, accuracy: 1e-6)
        XCTAssertEqual(known[2], -0.1588080, accuracy: 1e-6)
        XCTAssertEqual(known[3], 2.9963627, accuracy: 1e-5)
        let wOut = GradientCheck.random(11, seed: 72)
        let dx = FloatBuffer(count: 11)
        GELU.backward(dinp: dx.pointer, inp: x, dout: wOut, N: 11)
        check("gelu", x, dx.array) { GradientCheck.dot(wOut, run($0)) }
    }

    func testSwiGLUValuesAndGradients() {
        let n = 10
        let g = GradientCheck.random(n, seed: 81, scale: 3), u = GradientCheck.random(n, seed: 82, scale: 2)
        let sigmoid = FloatBuffer(count: n)
        func run(_ g: [Float], _ u: [Float]) -> [Float] {
            let out = FloatBuffer(count: n)
            SwiGLU.forward(out: out.pointer, sigmoid: sigmoid.pointer, gate: g, up: u, N: n)
            return out.array
        }
        // silu(0) = 0; silu(2) = 2 / (1 + e^-2) = 1.7615942.
        let known = run([0, 2] + [Float](repeating: 0, count: n - 2), [5, 1] + [Float](repeating: 0, count: n - 2))
        XCTAssertEqual(known[0], 0)
        XCTAssertEqual(known[1], 1.7615942, accuracy: 1e-6)
        XCTAssertEqual(sigmoid[1], 0.8807971, accuracy: 1e-6, "sigmoid(2) = 1 / (1 + e^-2) is saved")
        _ = run(g, u)
        let wOut = GradientCheck.random(n, seed: 83)
        let dg = FloatBuffer(count: n), du = FloatBuffer(count: n)
        SwiGLU.backward(dgate: dg.pointer, dup: du.pointer, dout: wOut, gate: g, up: u, sigmoid: sigmoid.pointer, N: n)
        check("swiglu dgate", g, dg.array) { GradientCheck.dot(wOut, run($0, u)) }
        check("swiglu dup", u, du.array) { GradientCheck.dot(wOut, run(g, $0)) }
    }

    /// The saved-sigmoid pair gives the recomputing reference's results bit for bit, so training
    /// results did not change when the backward pass stopped calling expf.
    func testSwiGLUMatchesTheReferenceBitForBit() {
        let n = 4099
        let g = GradientCheck.random(n, seed: 84, scale: 12), u = GradientCheck.random(n, seed: 85, scale: 2)
        let dout = GradientCheck.random(n, seed: 86)
        let out = FloatBuffer(count: n), sigmoid = FloatBuffer(count: n), ref = FloatBuffer(count: n)
        SwiGLU.forward(out: out.pointer, sigmoid: sigmoid.pointer, gate: g, up: u, N: n)
        SwiGLU.forwardNaive(out: ref.pointer, gate: g, up: u, N: n)
        XCTAssertEqual(out.array.map(\.bitPattern), ref.array.map(\.bitPattern))
        let start = GradientCheck.random(n, seed: 87)   // backward accumulates into what is there
        let dg = FloatBuffer(start), du = FloatBuffer(start), dgRef = FloatBuffer(start), duRef = FloatBuffer(start)
        SwiGLU.backward(dgate: dg.pointer, dup: du.pointer, dout: dout, gate: g, up: u, sigmoid: sigmoid.pointer, N: n)
        SwiGLU.backwardNaive(dgate: dgRef.pointer, dup: duRef.pointer, dout: dout, gate: g, up: u, N: n)
        XCTAssertEqual(dg.array.map(\.bitPattern), dgRef.array.map(\.bitPattern))
        XCTAssertEqual(du.array.map(\.bitPattern), duRef.array.map(\.bitPattern))
    }

    func testResidualGradient() {
        let a = GradientCheck.random(6, seed: 91), b = GradientCheck.random(6, seed: 92), wOut = GradientCheck.random(6, seed: 93)
        func run(_ a: [Float], _ b: [Float]) -> [Float] {
            let out = FloatBuffer(count: 6)
            Residual.forward(out: out.pointer, a: a, b: b, N: 6)
            return out.array
        }
        XCTAssertEqual(run(a, b), zip(a, b).map(+))
        let da = FloatBuffer(count: 6), db = FloatBuffer(count: 6)
        Residual.backward(da: da.pointer, db: db.pointer, dout: wOut, N: 6)
        check("residual da", a, da.array) { GradientCheck.dot(wOut, run($0, b)) }
        check("residual db", b, db.array) { GradientCheck.dot(wOut, run(a, $0)) }
    }

    func testEmbeddingGradients() {
        let (B, T, C, V) = (2, 3, 4, 5)
        let tokens = [0, 3, 3, 4, 1, 3]
        let wte = GradientCheck.random(V * C, seed: 101), wpe = GradientCheck.random(T * C, seed: 102)
        let wOut = GradientCheck.random(B * T * C, seed: 103)
        func run(_ wte: [Float], _ wpe: [Float]) -> [Float] {
            let out = FloatBuffer(count: B * T * C)
            Embedding.forward(out: out.pointer, tokens: tokens, wte: wte, wpe: wpe, B: B, T: T, C: C)
            return out.array
        }
        let y = run(wte, wpe)
        XCTAssertEqual(y[(1 * T + 2) * C + 1], wte[3 * C + 1] + wpe[2 * C + 1])
        let dwte = FloatBuffer(count: V * C), dwpe = FloatBuffer(count: T * C)
        Embedding.backward(dwte: dwte.pointer, dwpe: dwpe.pointer, dout: wOut, tokens: tokens, B: B, T: T, C: C)
        XCTAssertEqual(Array(dwte.array[2 * C..<3 * C]), [0, 0, 0, 0], "token 2 is never used")
        check("embedding dwte", wte, dwte.array) { GradientCheck.dot(wOut, run($0, wpe)) }
        check("embedding dwpe", wpe, dwpe.array) { GradientCheck.dot(wOut, run(wte, $0)) }
    }

    // MARK: Loss

    func testCrossEntropyClosedFormAndMaskedGradient() {
        let (N, V) = (4, 7)
        let targets = [1, 6, 0, 3]
        let mask: [Float] = [1, 0, 1, 0.5]
        let losses = FloatBuffer(count: N), probs = FloatBuffer(count: N * V)
        // Equal logits: every loss is log V.
        let uniform = CrossEntropy.forward(losses: losses.pointer, probs: probs.pointer, logits: [Float](repeating: 0.3, count: N * V),
                                           targets: targets, weights: mask, N: N, V: V)
        XCTAssertEqual(uniform, log(7.0), accuracy: 1e-6)
        let logits = GradientCheck.random(N * V, seed: 111, scale: 3)
        func L(_ z: [Float]) -> Double {
            let l = FloatBuffer(count: N), p = FloatBuffer(count: N * V)
            return withExtendedLifetime((l, p)) {
                CrossEntropy.forward(losses: l.pointer, probs: p.pointer, logits: z, targets: targets, weights: mask, N: N, V: V)
            }
        }
        _ = CrossEntropy.forward(losses: losses.pointer, probs: probs.pointer, logits: logits, targets: targets, weights: mask, N: N, V: V)
        let dz = FloatBuffer(count: N * V)
        CrossEntropy.backward(dlogits: dz.pointer, probs: probs.pointer, targets: targets, weights: mask, N: N, V: V)
        XCTAssertEqual(Array(dz.array[V..<2 * V]), [Float](repeating: 0, count: V), "masked position has no gradient")
        check("cross-entropy dlogits", logits, dz.array, L)
        // All-zero mask: loss 0 and no gradient (nothing to learn from).
        XCTAssertEqual(CrossEntropy.forward(losses: losses.pointer, probs: probs.pointer, logits: logits, targets: targets,
                                            weights: [0, 0, 0, 0], N: N, V: V), 0)
        // A position of weight 0 is skipped: an infinite logit there leaves the loss what it is
        // without it (before the skip, 0 * NaN made the mean NaN).
        var poisoned = logits
        poisoned[V + 2] = .infinity
        let clean = CrossEntropy.forward(losses: losses.pointer, probs: probs.pointer, logits: logits, targets: targets,
                                         weights: mask, N: N, V: V)
        let skipped = CrossEntropy.forward(losses: losses.pointer, probs: probs.pointer, logits: poisoned, targets: targets,
                                           weights: mask, N: N, V: V)
        XCTAssertEqual(skipped, clean)
        XCTAssertEqual(losses[1], 0, "the loss of a weight-0 position is written as 0")
    }
}
