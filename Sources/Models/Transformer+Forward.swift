// Transformer+Forward: the forward pass over a [B, T] batch of token ids, saving every
// activation the backward pass and the inspection functions need.

extension Transformer {
    /// Runs the model on `tokens` ([B, T] flattened row-major, T = tokens.count / batchSize)
    /// and returns the mean cross-entropy of `targets` ([B, T]) weighted by `lossMask`
    /// ([B, T], default all ones). Activations are kept for `backward()` and inspection.
    @discardableResult
    public func forward(tokens: [Int], batchSize: Int, targets: [Int], lossMask: [Float]? = nil) throws -> Float {
        try forwardChecked(tokens: tokens, batchSize: batchSize, targets: targets, lossMask: lossMask)
        return Float(meanLoss)
    }

    /// Runs the model on `tokens` without a loss (logits, residuals and head outputs only).
    public func forward(tokens: [Int], batchSize: Int) throws {
        try forwardChecked(tokens: tokens, batchSize: batchSize, targets: nil, lossMask: nil)
    }

    private func forwardChecked(tokens: [Int], batchSize B: Int, targets: [Int]?, lossMask: [Float]?) throws {
        guard B > 0, !tokens.isEmpty, tokens.count % B == 0 else {
            throw ModelError.invalidBatch(tokenCount: tokens.count, batchSize: B)
        }
        let T = tokens.count / B
        guard T <= config.maxSeq else { throw ModelError.sequenceTooLong(length: T, maxSeq: config.maxSeq) }
        for (i, tok) in tokens.enumerated() where tok < 0 || tok >= config.vocabSize {
            throw ModelError.tokenOutOfRange(index: i, token: tok, vocabSize: config.vocabSize)
        }
        if let targets {
            guard targets.count == tokens.count else {
                throw ModelError.shapeMismatch(argument: "targets", expected: tokens.count, got: targets.count)
            }
            for (i, tok) in targets.enumerated() where tok < 0 || tok >= config.vocabSize {
                throw ModelError.tokenOutOfRange(index: i, token: tok, vocabSize: config.vocabSize)
            }
        }
        if let lossMask, lossMask.count != tokens.count {
            throw ModelError.shapeMismatch(argument: "lossMask", expected: tokens.count, got: lossMask.count)
        }
        if B != batchSize || T != sequenceLength || acts.count == 0 {
            actLayout = ActivationLayout.make(config: config, parameters: layout, lora: lora, B: B, T: T)
            acts = FloatBuffer(count: actLayout.totalCount)
            dacts = FloatBuffer(count: 0)   // allocated by the first backward pass: a forward-only pass needs none
            batchSize = B
            sequenceLength = T
        }
        self.tokens = tokens
        self.targets = targets
        self.lossWeights = lossMask ?? [Float](repeating: 1, count: tokens.count)
        runForward()
    }

    /// The forward pass proper; shapes are fixed by `batchSize` and `sequenceLength`.
    private func runForward() {
        let (B, T) = (batchSize, sequenceLength)
        let (N, C, F, V) = (B * T, config.dModel, config.dFF, config.vocabSize)
        let (NH, hd) = (config.nHeads, config.headDim)
        let gpt2 = config.family == .gpt2
        tokens.withUnsafeBufferPointer { tok in
            Embedding.forward(out: A("residual.0"), tokens: tok.baseAddress!, wte: P(layout.tokenEmbeddingName),
                              wpe: gpt2 ? P("wpe.weight") : nil, B: B, T: T, C: C)
        }
        for l in 0..<config.nLayers {
            let blk = layout.blocks[l], h = "h.\(l)."
            let x = A("residual.\(l)")
            let n1 = A(h + "norm_1.out")
            normForward(blk.norm1, out: n1, mean: gpt2 ? A(h + "norm_1.mean") : nil, rstd: A(h + "norm_1.rstd"), inp: x, N: N)
            let heads = A(h + "attn.heads"), probs = A(h + "attn.probs")
            if gpt2 {
                let qkv = A(h + "attn.qkv")
                linearForward(blk.qkv[0], out: qkv, inp: n1, N: N)
                Attention.forward(out: heads, probs: probs, q: qkv, k: qkv + C, v: qkv + 2 * C,
                                  rowStride: 3 * C, B: B, T: T, NH: NH, hd: hd)
            } else {
                let q = A(h + "attn.q"), k = A(h + "attn.k"), v = A(h + "attn.v")
                linearForward(blk.qkv[0], out: q, inp: n1, N: N)
                linearForward(blk.qkv[1], out: k, inp: n1, N: N)
                linearForward(blk.qkv[2], out: v, inp: n1, N: N)
                Rotary.forward(x: q, cos: ropeCos, sin: ropeSin, rowStride: C, B: B, T: T, NH: NH, hd: hd)
                Rotary.forward(x: k, cos: ropeCos, sin: ropeSin, rowStride: C, B: B, T: T, NH: NH, hd: hd)
                Attention.forward(out: heads, probs: probs, q: q, k: k, v: v, rowStride: C, B: B, T: T, NH: NH, hd: hd)
            }
            let attnOut = A(h + "attn.out")
            linearForward(blk.attnOut, out: attnOut, inp: heads, N: N)
            let mid = A(h + "residual_mid")
            Residual.forward(out: mid, a: x, b: attnOut, N: N * C)
            let n2 = A(h + "norm_2.out")
            normForward(blk.norm2, out: n2, mean: gpt2 ? A(h + "norm_2.mean") : nil, rstd: A(h + "norm_2.rstd"), inp: mid, N: N)
            let act = A(h + "mlp.act")
            if gpt2 {
                let fc = A(h + "mlp.fc")
                linearForward(blk.mlpIn[0], out: fc, inp: n2, N: N)
                GELU.forward(out: act, inp: fc, N: N * F)
            } else {
                let gate = A(h + "mlp.gate"), up = A(h + "mlp.up")
                linearForward(blk.mlpIn[0], out: gate, inp: n2, N: N)
                linearForward(blk.mlpIn[1], out: up, inp: n2, N: N)
                SwiGLU.forward(out: act, sigmoid: A(h + "mlp.sigmoid"), gate: gate, up: up, N: N * F)
            }
            let mlpOut = A(h + "mlp.out")
            linearForward(blk.mlpOut, out: mlpOut, inp: act, N: N)
            Residual.forward(out: A("residual.\(l + 1)"), a: mid, b: mlpOut, N: N * C)
        }
        let xf = A("residual.\(config.nLayers)"), nf = A("final_norm.out")
        normForward(layout.finalNormModule, out: nf, mean: gpt2 ? A("final_norm.mean") : nil,
                    rstd: A("final_norm.rstd"), inp: xf, N: N)
        Matmul.forward(out: A("logits"), inp: nf, weight: P(layout.lmHeadName), bias: nil, N: N, C: C, OC: V)
        if let targets {
            meanLoss = targets.withUnsafeBufferPointer { tg in
                lossWeights.withUnsafeBufferPointer { w in
                    CrossEntropy.forward(losses: A("losses"), probs: A("probs"), logits: A("logits"),
                                         targets: tg.baseAddress!, weights: w.baseAddress!, N: N, V: V)
                }
            }
        } else {
            meanLoss = 0
        }
    }

    func normForward(_ module: String, out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>?,
                     rstd: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, N: Int) {
        if config.family == .gpt2 {
            LayerNorm.forward(out: out, mean: mean!, rstd: rstd, inp: inp, weight: P(module + ".weight"),
                              bias: P(module + ".bias"), N: N, C: config.dModel, eps: config.normEpsilon)
        } else {
            RMSNorm.forward(out: out, rstd: rstd, inp: inp, weight: P(module + ".weight"),
                            N: N, C: config.dModel, eps: config.normEpsilon)
        }
    }

    /// out[N, out] = inp[N, in] W^T + b, plus (alpha/r) (inp A^T) B^T when the module has an adapter.
    func linearForward(_ module: String, out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, N: Int) {
        let spec = linearByModule[module]!
        Matmul.forward(out: out, inp: inp, weight: P(spec.weightName), bias: spec.hasBias ? P(spec.biasName) : nil,
                       N: N, C: spec.inFeatures, OC: spec.outFeatures)
        if let lora, let site = lora.site(module) {
            let r = lora.config.rank
            let u = A(module + ".lora_u")
            Matmul.forward(out: u, inp: inp, weight: lora.parameters.pointer + site.aOffset, bias: nil,
                           N: N, C: spec.inFeatures, OC: r)
            Matmul.forward(out: out, inp: u, weight: lora.parameters.pointer + site.bOffset, bias: nil,
                           N: N, C: r, OC: spec.outFeatures, scale: lora.config.scale, accumulate: true)
        }
    }
}
