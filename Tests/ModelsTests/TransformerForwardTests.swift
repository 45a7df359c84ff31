// TransformerForwardTests: the fast forward against the naive Double reference, determinism,
// causal masking, LoRA merge equivalence, closed-form read-outs and error reporting.

import XCTest
import Models

final class TransformerForwardTests: XCTestCase {
    let families = ModelFamily.allCases

    /// Largest |a - b| over all entries, relative to the largest |b| (at least 1).
    func scaledDifference(_ a: [Float], _ b: [Double]) -> Double {
        let scale = max(b.map(abs).max() ?? 0, 1)
        return zip(a, b).map { abs(Double($0) - $1) }.max()! / scale
    }

    func testFastForwardMatchesNaiveReference() throws {
        for family in families {
            for withLoRA in [false, true] {
                let model = try ModelFixtures.model(family)
                if withLoRA {
                    try model.attachLoRA(LoRAConfig(rank: 3, alpha: 6, targets: LoRAConfig.allProjections(family)), seed: 4, bStd: 0.2)
                }
                let tokens = ModelFixtures.tokens(), targets = ModelFixtures.targets(tokens), mask = ModelFixtures.mask()
                let loss = try model.forward(tokens: tokens, batchSize: ModelFixtures.B, targets: targets, lossMask: mask)
                let T = ModelFixtures.T
                for b in 0..<ModelFixtures.B {
                    let ref = try ReferenceTransformer.run(config: model.config, parameters: model.parameters.array,
                                                           lora: model.lora, tokens: Array(tokens[b * T ..< (b + 1) * T]))
                    for t in 0..<T {
                        let tag = "\(family) lora=\(withLoRA) b=\(b) t=\(t)"
                        XCTAssertLessThan(scaledDifference(try model.logits(batch: b, position: t), ref.logits[t]), 1e-5, tag)
                        for l in 0...model.config.nLayers {
                            XCTAssertLessThan(scaledDifference(try model.residual(layer: l, batch: b, position: t), ref.residuals[l][t]), 1e-5, tag)
                        }
                        for l in 0..<model.config.nLayers {
                            let heads = try model.headOutputs(layer: l, batch: b, position: t).flatMap { $0 }
                            XCTAssertLessThan(scaledDifference(heads, ref.heads[l][t]), 1e-5, tag)
                        }
                    }
                }
                let refLoss = try ModelFixtures.referenceLoss(config: model.config, parameters: model.parameters.array,
                                                              lora: model.lora, tokens: tokens, targets: targets, mask: mask)
                XCTAssertEqual(Double(loss), refLoss, accuracy: 1e-5 * refLoss, "\(family) lora=\(withLoRA)")
                XCTAssertEqual(model.meanLoss, refLoss, accuracy: 1e-5 * refLoss)
            }
        }
    }

    func testSameSeedGivesBitwiseEqualLossAndGradients() throws {
        for family in families {
            let tokens = ModelFixtures.tokens(), targets = ModelFixtures.targets(tokens)
            var results: [(Float, [Float], [Float])] = []
            for _ in 0..<2 {
                let model = try Transformer(config: ModelFixtures.config(family), seed: 42)
                let loss = try model.forward(tokens: tokens, batchSize: ModelFixtures.B, targets: targets)
                try model.backward()
                results.append((loss, model.parameters.array, model.gradients.array))
            }
            XCTAssertEqual(results[0].0.bitPattern, results[1].0.bitPattern, "\(family) loss")
            XCTAssertEqual(results[0].1, results[1].1, "\(family) parameters")
            XCTAssertEqual(results[0].2, results[1].2, "\(family) gradients")
            let other = try Transformer(config: ModelFixtures.config(family), seed: 43)
            XCTAssertNotEqual(other.parameters.array, results[0].1, "a different seed must give different parameters")
            // A freshly initialised byte model is close to uniform: loss near log 256.
            XCTAssertEqual(Double(results[0].0), log(256.0), accuracy: 0.1)
        }
    }

    func testFutureTokensDoNotChangeEarlierLogits() throws {
        for family in families {
            let model = try ModelFixtures.model(family)
            var tokens = ModelFixtures.tokens()
            let T = ModelFixtures.T
            try model.forward(tokens: tokens, batchSize: ModelFixtures.B)
            let before = try (0..<T).map { try model.logits(batch: 1, position: $0) }
            tokens[T + 5] = (tokens[T + 5] + 1) % 256
            try model.forward(tokens: tokens, batchSize: ModelFixtures.B)
            for t in 0..<5 {
                XCTAssertEqual(try model.logits(batch: 1, position: t), before[t], "\(family): position \(t) saw the future")
            }
            for t in 5..<T {
                XCTAssertNotEqual(try model.logits(batch: 1, position: t), before[t], "\(family): position \(t) ignored token 5")
            }
        }
    }

    func testLoRAMergeEqualsAdapterForward() throws {
        for family in families {
            let model = try ModelFixtures.model(family)
            let tokens = ModelFixtures.tokens()
            try model.forward(tokens: tokens, batchSize: ModelFixtures.B)
            let base = try model.logits(batch: 0, position: 7)
            // Fresh adapters (B = 0) leave the model unchanged, exactly.
            try model.attachLoRA(LoRAConfig(rank: 4, alpha: 8, targets: LoRAConfig.allProjections(family)), seed: 1)
            try model.forward(tokens: tokens, batchSize: ModelFixtures.B)
            XCTAssertEqual(try model.logits(batch: 0, position: 7), base)
            try model.attachLoRA(LoRAConfig(rank: 4, alpha: 8, targets: LoRAConfig.allProjections(family)), seed: 1, bStd: 0.3)
            try model.forward(tokens: tokens, batchSize: ModelFixtures.B)
            let adapted = try (0..<16).map { try model.logits(batch: $0 / 8, position: $0 % 8) }
            XCTAssertGreaterThan(zip(adapted[7], base).map { abs($0 - $1) }.max()!, 1e-2, "adapters must change the output")
            let merged = try Transformer(config: model.config, parameters: model.mergedParameters())
            try merged.forward(tokens: tokens, batchSize: ModelFixtures.B)
            try model.mergeLoRA()
            XCTAssertNil(model.lora)
            XCTAssertTrue(model.trainBase)
            try model.forward(tokens: tokens, batchSize: ModelFixtures.B)
            for i in 0..<16 {
                let a = adapted[i]
                for m in [try merged.logits(batch: i / 8, position: i % 8), try model.logits(batch: i / 8, position: i % 8)] {
                    let diff = zip(a, m).map { abs($0 - $1) }.max()!
                    XCTAssertLessThan(diff, 1e-4 * max(1, a.map(abs).max()!), "\(family) merged vs adapter at \(i)")
                }
            }
        }
    }

    func testLoRATargetsSelectProjections() throws {
        let layout = try ParameterLayout(config: ModelFixtures.config(.gpt2))
        let attnOnly = try LoRAAdapters(config: LoRAConfig(rank: 2, alpha: 2, targets: ["attn.c_proj"]), layout: layout, seed: 0)
        XCTAssertEqual(attnOnly.sites.map(\.linear.module), ["h.0.attn.c_proj", "h.1.attn.c_proj"])
        let both = try LoRAAdapters(config: LoRAConfig(rank: 2, alpha: 2, targets: ["c_proj"]), layout: layout, seed: 0)
        XCTAssertEqual(both.sites.count, 4)
        XCTAssertEqual(both.tensors["h.0.mlp.c_proj.lora_A.weight"]?.shape, [2, 32])
        XCTAssertEqual(both.tensors["h.0.mlp.c_proj.lora_B.weight"]?.shape, [16, 2])
        XCTAssertThrowsError(try LoRAAdapters(config: LoRAConfig(rank: 2, alpha: 2, targets: ["q_proj"]), layout: layout, seed: 0)) {
            XCTAssertTrue("\($0)".contains("'q_proj' matches no projection of a gpt2 model"), "\($0)")
        }
        XCTAssertThrowsError(try LoRAAdapters(config: LoRAConfig(rank: 0, alpha: 2, targets: ["c_fc"]), layout: layout, seed: 0))
    }

    func testResidualZeroIsTheEmbedding() throws {
        for family in families {
            let model = try ModelFixtures.model(family)
            let tokens = ModelFixtures.tokens()
            try model.forward(tokens: tokens, batchSize: ModelFixtures.B)
            let (b, t) = (1, 6)
            let tok = tokens[b * ModelFixtures.T + t]
            let C = model.config.dModel
            let wte = try model.layout.tensors.slice(model.layout.tokenEmbeddingName)
            var expected = (0..<C).map { model.parameters[wte.offset + tok * C + $0] }
            if family == .gpt2 {
                let wpe = try model.layout.tensors.slice("wpe.weight")
                expected = (0..<C).map { expected[$0] + model.parameters[wpe.offset + t * C + $0] }
            }
            XCTAssertEqual(try model.residual(layer: 0, batch: b, position: t), expected)
        }
    }

    func testErrorsNameTheProblem() throws {
        let model = try Transformer(config: ModelFixtures.config(.llama), seed: 0)
        XCTAssertThrowsError(try model.forward(tokens: [1, 2, 300, 4], batchSize: 1)) {
            XCTAssertEqual($0 as? ModelError, .tokenOutOfRange(index: 2, token: 300, vocabSize: 256))
            XCTAssertEqual("\($0)", "tokens[2] = 300 is outside the vocabulary [0, 256)")
        }
        XCTAssertThrowsError(try model.forward(tokens: [1, 2, 3], batchSize: 2)) {
            XCTAssertEqual("\($0)", "3 tokens cannot be split into 2 sequences of equal, positive length")
        }
        XCTAssertThrowsError(try model.forward(tokens: [Int](repeating: 1, count: 9), batchSize: 1)) {
            XCTAssertEqual($0 as? ModelError, .sequenceTooLong(length: 9, maxSeq: 8))
        }
        XCTAssertThrowsError(try model.forward(tokens: [1, 2, 3, 4], batchSize: 2, targets: [1, 2, 3])) {
            XCTAssertEqual($0 as? ModelError, .shapeMismatch(argument: "targets", expected: 4, got: 3))
        }
        XCTAssertThrowsError(try model.residual(layer: 0, batch: 0, position: 0)) {
            XCTAssertEqual($0 as? ModelError, .noForwardPass(operation: "residual"))
        }
        try model.forward(tokens: [1, 2, 3, 4], batchSize: 1)
        XCTAssertThrowsError(try model.backward()) { XCTAssertEqual($0 as? ModelError, .noTargets) }
        XCTAssertThrowsError(try model.residual(layer: 3, batch: 0, position: 0)) {
            XCTAssertEqual($0 as? ModelError, .indexOutOfRange(what: "layer", index: 3, count: 3))
        }
        XCTAssertEqual(try model.residualStream(batch: 0, position: 3),
                       try (0...2).map { try model.residual(layer: $0, batch: 0, position: 3) })
        var bad = ModelFixtures.config(.gpt2)
        bad.nHeads = 3
        XCTAssertThrowsError(try Transformer(config: bad, seed: 0)) {
            XCTAssertEqual("\($0)", "model config: field 'nHeads' = 3 is invalid: must divide dModel (16)")
        }
    }

    /// A forward-only pass (activation extraction) allocates no activation gradients: reading them
    /// before a backward pass is an error, and a backward pass allocates them.
    func testGradientsAreAllocatedByTheFirstBackwardPass() throws {
        let model = try Transformer(config: ModelFixtures.config(.llama), seed: 0)
        try model.forward(tokens: [1, 2, 3, 4, 5, 6], batchSize: 2)
        XCTAssertThrowsError(try model.residualGradient(layer: 0, batch: 0, position: 0)) {
            XCTAssertEqual($0 as? ModelError, .noBackwardPass(operation: "residualGradient"))
            XCTAssertEqual("\($0)", "residualGradient needs a backward pass after the forward pass")
        }
        var direction = [Float](repeating: 0, count: 256)
        direction[7] = 1
        try model.backward(logitDirection: direction, batch: 1, position: 2)
        let g = try model.residualGradient(layer: 0, batch: 1, position: 2)
        XCTAssertEqual(g.count, model.config.dModel)
        XCTAssertTrue(g.contains { $0 != 0 }, "logit 7 at (1, 2) depends on the embedding there")
        XCTAssertEqual(try model.headOutputGradients(layer: 0, batch: 0, position: 0).count, model.config.nHeads)
        try model.forward(tokens: [1, 2, 3, 4], batchSize: 1)   // a new shape: new activations, no gradients yet
        XCTAssertThrowsError(try model.headOutputGradients(layer: 0, batch: 0, position: 0)) {
            XCTAssertEqual($0 as? ModelError, .noBackwardPass(operation: "headOutputGradients"))
        }
    }

    func testAnswerRowsStartAtTheBasesLikeliestByte() throws {
        for family in families {
            let model = try ModelFixtures.model(family)
            let prompts = (0..<12).map { i in (0..<(3 + i % 5)).map { (i * 37 + $0 * 11) % 200 + 40 } }
            let before = model.parameters.array
            // The byte the untouched model predicts most often at the prompts' last positions.
            var counts = [Int: Int]()
            for p in prompts {
                try model.forward(tokens: p, batchSize: 1)
                let l = try model.logits(batch: 0, position: p.count - 1)
                counts[l.indices.max { l[$0] < l[$1] }!, default: 0] += 1
            }
            let expected = counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key < $1.key) }!.key
            let top = try model.initialiseAnswerRows(prompts: prompts, answers: [89, 78])
            XCTAssertEqual(counts[top], counts[expected], "\(family)")
            // On a prompt where that byte wins, Yes and No now tie with it for the largest logit.
            let p = try XCTUnwrap(prompts.first { p in
                try! model.forward(tokens: p, batchSize: 1)
                let l = try! model.logits(batch: 0, position: p.count - 1)
                return l[top] >= l.max()! - 1e-5
            })
            try model.forward(tokens: p, batchSize: 1)
            let l = try model.logits(batch: 0, position: p.count - 1)
            XCTAssertEqual(l[89], l[top], accuracy: 1e-5, "\(family)")
            XCTAssertEqual(l[78], l[top], accuracy: 1e-5, "\(family)")
            // Only the two answer rows changed.
            let after = model.parameters.array
            let head = try model.layout.tensors.slice(model.layout.lmHeadName), C = model.config.dModel
            let changed = Set(after.indices.filter { after[$0] != before[$0] })
            XCTAssertFalse(changed.isEmpty)
            XCTAssertTrue(changed.allSatisfy { ($0 - head.offset) / C == 89 || ($0 - head.offset) / C == 78 }, "\(family)")
        }
    }
}
