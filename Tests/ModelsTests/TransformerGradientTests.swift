// TransformerGradientTests: the whole model's backward (base parameters, LoRA adapters and the
// attribution gradient w.r.t. per-head attention outputs) against central finite differences.
//
// The finite differences are taken on ReferenceTransformer, the independent Double-precision
// forward (whose agreement with the fast forward is tested in TransformerForwardTests), so the
// numerical side is accurate to ~1e-10: with eps = 1e-3 the rounding noise is ~1e-16 / 1e-3 and
// the central-difference truncation eps^2/6 * |f'''| is ~1e-7 relative. What remains is the
// Float32 round-off of the analytic backward, ~1e-6..1e-5 relative over a few hundred
// accumulated products. Thresholds: norm-wise relative error < 1e-3 and every coordinate within
// 2e-3 of the largest checked gradient, at least 10x above that noise and far below the O(1)
// errors a wrong backward term produces.

import XCTest
import Models

final class TransformerGradientTests: XCTestCase {
    let eps: Float = 1e-3

    func assertGradientsMatch(_ name: String, analytic: [Float], numeric: [Double],
                              file: StaticString = #filePath, line: UInt = #line) {
        let rel = GradientCheck.relativeError(analytic, numeric)
        let worst = GradientCheck.maxScaledError(analytic, numeric)
        XCTAssertLessThan(rel, 1e-3, "\(name): norm-wise relative error \(rel)", file: file, line: line)
        XCTAssertLessThan(worst, 2e-3, "\(name): worst coordinate error \(worst)", file: file, line: line)
        XCTAssertGreaterThan(numeric.map(abs).max() ?? 0, 1e-3, "\(name): gradients trivially zero", file: file, line: line)
    }

    func checkBaseGradients(_ family: ModelFamily) throws {
        let model = try ModelFixtures.model(family)
        let tokens = ModelFixtures.tokens(), targets = ModelFixtures.targets(tokens), mask = ModelFixtures.mask()
        model.zeroGradients()
        try model.forward(tokens: tokens, batchSize: ModelFixtures.B, targets: targets, lossMask: mask)
        try model.backward()
        let analytic = model.gradients.array
        let coords = ModelFixtures.coordinates(model.layout.tensors, gradient: analytic, perTensor: 1, top: 12, seed: 5)
        var params = model.parameters.array
        let numeric = coords.map { i in
            GradientCheck.centralDifference(&params, i, eps: eps) { p in
                try! ModelFixtures.referenceLoss(config: model.config, parameters: p, tokens: tokens, targets: targets, mask: mask)
            }
        }
        assertGradientsMatch("\(family) parameters", analytic: coords.map { analytic[$0] }, numeric: numeric)
        // Every tensor receives some gradient (the loss depends on all of them).
        for s in model.layout.tensors.slices {
            XCTAssertTrue(analytic[s.offset ..< s.offset + s.count].contains { $0 != 0 }, "\(s.name) has no gradient")
        }
    }

    func testGPT2ParameterGradients() throws { try checkBaseGradients(.gpt2) }
    func testLlamaParameterGradients() throws { try checkBaseGradients(.llama) }

    func checkLoRAGradients(_ family: ModelFamily) throws {
        let model = try ModelFixtures.model(family)
        try model.attachLoRA(LoRAConfig(rank: 2, alpha: 4, targets: LoRAConfig.allProjections(family)), seed: 9, bStd: 0.2)
        let lora = try XCTUnwrap(model.lora)
        let tokens = ModelFixtures.tokens(), targets = ModelFixtures.targets(tokens), mask = ModelFixtures.mask()
        model.zeroGradients()
        try model.forward(tokens: tokens, batchSize: ModelFixtures.B, targets: targets, lossMask: mask)
        try model.backward()
        XCTAssertFalse(model.gradients.array.contains { $0 != 0 }, "frozen base must get no gradient")
        let analytic = lora.gradients.array
        let coords = ModelFixtures.coordinates(lora.tensors, gradient: analytic, perTensor: 1, top: 8, seed: 6)
        let base = model.parameters.array
        var adapter = lora.parameters.array
        let numeric = coords.map { i in
            GradientCheck.centralDifference(&adapter, i, eps: eps) { a in
                try! lora.parameters.assign(a)
                return try! ModelFixtures.referenceLoss(config: model.config, parameters: base, lora: lora,
                                                        tokens: tokens, targets: targets, mask: mask)
            }
        }
        try lora.parameters.assign(adapter)
        assertGradientsMatch("\(family) LoRA", analytic: coords.map { analytic[$0] }, numeric: numeric)
    }

    func testGPT2LoRAGradients() throws { try checkLoRAGradients(.gpt2) }
    func testLlamaLoRAGradients() throws { try checkLoRAGradients(.llama) }

    /// d(logit[Yes] - logit[No] at the last position) / d(head outputs), as attribution uses it.
    func checkAttribution(_ family: ModelFamily) throws {
        let model = try ModelFixtures.model(family)
        let T = ModelFixtures.T
        let tokens = ModelFixtures.tokens()
        let seq = Array(tokens[T ..< 2 * T])
        let (yes, no) = (89, 78)   // "Y", "N"
        var direction = [Float](repeating: 0, count: 256)
        direction[yes] = 1
        direction[no] = -1
        try model.forward(tokens: tokens, batchSize: ModelFixtures.B)
        try model.backward(logitDirection: direction, batch: 1, position: T - 1)
        XCTAssertFalse(model.gradients.array.contains { $0 != 0 }, "attribution must not touch parameter gradients by default")

        func scalar(_ perturbation: ReferenceTransformer.HeadPerturbation) -> Double {
            let logits = try! ReferenceTransformer.run(config: model.config, parameters: model.parameters.array,
                                                       tokens: seq, perturbation: perturbation).logits[T - 1]
            return logits[yes] - logits[no]
        }
        for (layer, position) in [(0, 3), (0, T - 1), (1, T - 1)] {
            let analytic = try model.headOutputGradients(layer: layer, batch: 1, position: position).flatMap { $0 }
            let numeric = (0..<model.config.dModel).map { c -> Double in
                var delta = [Double](repeating: 0, count: model.config.dModel)
                delta[c] = Double(eps)
                let plus = scalar(.init(layer: layer, position: position, delta: delta))
                delta[c] = -Double(eps)
                let minus = scalar(.init(layer: layer, position: position, delta: delta))
                return (plus - minus) / (2 * Double(eps))
            }
            assertGradientsMatch("\(family) head gradient layer \(layer) position \(position)", analytic: analytic, numeric: numeric)
        }
        // The last block's heads at an earlier position cannot reach the last position's logits.
        let unreachable = try model.headOutputGradients(layer: 1, batch: 1, position: 3).flatMap { $0 }
        XCTAssertEqual(unreachable, [Float](repeating: 0, count: model.config.dModel))
        // Batch row 0 is not involved at all.
        XCTAssertEqual(try model.headOutputGradients(layer: 0, batch: 0, position: T - 1).flatMap { $0 },
                       [Float](repeating: 0, count: model.config.dModel))
    }

    func testGPT2AttributionGradient() throws { try checkAttribution(.gpt2) }
    func testLlamaAttributionGradient() throws { try checkAttribution(.llama) }
}
