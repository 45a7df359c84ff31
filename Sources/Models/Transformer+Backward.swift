// Transformer+Backward: reverse-mode pass from a gradient on the logits (the loss's, or any
// caller-chosen one for attribution) down to the parameters and every saved activation.

extension Transformer {
    /// Accumulates d(mean masked loss)/d(parameters) into `gradients` (when `trainBase`) and into
    /// the adapter gradients (when LoRA is attached). Call `zeroGradients()` first for a fresh step.
    public func backward() throws {
        guard acts.count > 0 else { throw ModelError.noForwardPass(operation: "backward") }
        guard let targets else { throw ModelError.noTargets }
        prepareGradients()
        targets.withUnsafeBufferPointer { tg in
            lossWeights.withUnsafeBufferPointer { w in
                CrossEntropy.backward(dlogits: D("logits"), probs: A("probs"), targets: tg.baseAddress!,
                                      weights: w.baseAddress!, N: batchSize * sequenceLength, V: config.vocabSize)
            }
        }
        runBackward(baseGrads: trainBase, loraGrads: lora != nil)
    }

    /// Back-propagates an arbitrary gradient on the logits ([B, T, V] flattened), i.e. the
    /// gradient of the scalar sum(logitGradient * logits). Activation gradients are always
    /// computed (see `headOutputGradients`); parameter gradients only when asked.
    public func backward(logitGradient: [Float], parameterGradients: Bool = false) throws {
        guard acts.count > 0 else { throw ModelError.noForwardPass(operation: "backward") }
        let n = batchSize * sequenceLength * config.vocabSize
        guard logitGradient.count == n else {
            throw ModelError.shapeMismatch(argument: "logitGradient", expected: n, got: logitGradient.count)
        }
        prepareGradients()
        logitGradient.withUnsafeBufferPointer { D("logits").update(from: $0.baseAddress!, count: n) }
        runBackward(baseGrads: parameterGradients && trainBase, loraGrads: parameterGradients && lora != nil)
    }

    /// Back-propagates the scalar `direction . logits[batch, position]` (direction: [V]), e.g.
    /// direction = onehot(' Yes') - onehot(' No') for the attribution of logit(Yes) - logit(No).
    public func backward(logitDirection direction: [Float], batch: Int, position: Int,
                         parameterGradients: Bool = false) throws {
        guard acts.count > 0 else { throw ModelError.noForwardPass(operation: "backward") }
        try checkIndex("batch", batch, batchSize)
        try checkIndex("position", position, sequenceLength)
        let V = config.vocabSize
        guard direction.count == V else { throw ModelError.shapeMismatch(argument: "direction", expected: V, got: direction.count) }
        var g = [Float](repeating: 0, count: batchSize * sequenceLength * V)
        let base = (batch * sequenceLength + position) * V
        for i in 0..<V { g[base + i] = direction[i] }
        try backward(logitGradient: g, parameterGradients: parameterGradients)
    }

    /// Zeroes the activation gradients, allocating them at the first backward pass after a new shape.
    private func prepareGradients() {
        if dacts.count == actLayout.totalCount { dacts.zero() } else { dacts = FloatBuffer(count: actLayout.totalCount) }
    }

    /// The backward pass proper; expects D("logits") set and every other activation gradient 0.
    private func runBackward(baseGrads: Bool, loraGrads: Bool) {
        let (B, T) = (batchSize, sequenceLength)
        let (N, C, F, V) = (B * T, config.dModel, config.dFF, config.vocabSize)
        let (NH, hd) = (config.nHeads, config.headDim)
        let gpt2 = config.family == .gpt2
        let L = config.nLayers

        let nf = "final_norm.out"
        Matmul.backward(dinp: D(nf), dweight: baseGrads ? G(layout.lmHeadName) : nil, dbias: nil,
                        dout: D("logits"), inp: A(nf), weight: P(layout.lmHeadName), N: N, C: C, OC: V)
        normBackward(layout.finalNormModule, dinp: D("residual.\(L)"), dout: D(nf), inp: A("residual.\(L)"),
                     mean: gpt2 ? A("final_norm.mean") : nil, rstd: A("final_norm.rstd"), N: N, baseGrads: baseGrads)

        for l in stride(from: L - 1, through: 0, by: -1) {
            let blk = layout.blocks[l], h = "h.\(l)."
            let lin = { (module: String, dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, inp: UnsafePointer<Float>) in
                self.linearBackward(module, dinp: dinp, dout: dout, inp: inp, N: N, baseGrads: baseGrads, loraGrads: loraGrads)
            }
            // residual.{l+1} = mid + mlp.out
            Residual.backward(da: D(h + "residual_mid"), db: D(h + "mlp.out"), dout: D("residual.\(l + 1)"), N: N * C)
            lin(blk.mlpOut, D(h + "mlp.act"), D(h + "mlp.out"), A(h + "mlp.act"))
            if gpt2 {
                GELU.backward(dinp: D(h + "mlp.fc"), inp: A(h + "mlp.fc"), dout: D(h + "mlp.act"), N: N * F)
                lin(blk.mlpIn[0], D(h + "norm_2.out"), D(h + "mlp.fc"), A(h + "norm_2.out"))
            } else {
                SwiGLU.backward(dgate: D(h + "mlp.gate"), dup: D(h + "mlp.up"), dout: D(h + "mlp.act"),
                                gate: A(h + "mlp.gate"), up: A(h + "mlp.up"), sigmoid: A(h + "mlp.sigmoid"), N: N * F)
                lin(blk.mlpIn[0], D(h + "norm_2.out"), D(h + "mlp.gate"), A(h + "norm_2.out"))
                lin(blk.mlpIn[1], D(h + "norm_2.out"), D(h + "mlp.up"), A(h + "norm_2.out"))
            }
            normBackward(blk.norm2, dinp: D(h + "residual_mid"), dout: D(h + "norm_2.out"), inp: A(h + "residual_mid"),
                         mean: gpt2 ? A(h + "norm_2.mean") : nil, rstd: A(h + "norm_2.rstd"), N: N, baseGrads: baseGrads)
            // mid = residual.{l} + attn.out
            Residual.backward(da: D("residual.\(l)"), db: D(h + "attn.out"), dout: D(h + "residual_mid"), N: N * C)
            lin(blk.attnOut, D(h + "attn.heads"), D(h + "attn.out"), A(h + "attn.heads"))
            if gpt2 {
                let q = A(h + "attn.qkv"), dq = D(h + "attn.qkv")
                Attention.backward(dq: dq, dk: dq + C, dv: dq + 2 * C, dout: D(h + "attn.heads"),
                                   q: q, k: q + C, v: q + 2 * C, probs: A(h + "attn.probs"),
                                   rowStride: 3 * C, B: B, T: T, NH: NH, hd: hd)
                lin(blk.qkv[0], D(h + "norm_1.out"), dq, A(h + "norm_1.out"))
            } else {
                let dq = D(h + "attn.q"), dk = D(h + "attn.k"), dv = D(h + "attn.v")
                Attention.backward(dq: dq, dk: dk, dv: dv, dout: D(h + "attn.heads"),
                                   q: A(h + "attn.q"), k: A(h + "attn.k"), v: A(h + "attn.v"),
                                   probs: A(h + "attn.probs"), rowStride: C, B: B, T: T, NH: NH, hd: hd)
                Rotary.backward(dx: dq, cos: ropeCos, sin: ropeSin, rowStride: C, B: B, T: T, NH: NH, hd: hd)
                Rotary.backward(dx: dk, cos: ropeCos, sin: ropeSin, rowStride: C, B: B, T: T, NH: NH, hd: hd)
                lin(blk.qkv[0], D(h + "norm_1.out"), dq, A(h + "norm_1.out"))
                lin(blk.qkv[1], D(h + "norm_1.out"), dk, A(h + "norm_1.out"))
                lin(blk.qkv[2], D(h + "norm_1.out"), dv, A(h + "norm_1.out"))
            }
            normBackward(blk.norm1, dinp: D("residual.\(l)"), dout: D(h + "norm_1.out"), inp: A("residual.\(l)"),
                         mean: gpt2 ? A(h + "norm_1.mean") : nil, rstd: A(h + "norm_1.rstd"), N: N, baseGrads: baseGrads)
        }
        if baseGrads {
            tokens.withUnsafeBufferPointer { tok in
                Embedding.backward(dwte: G(layout.tokenEmbeddingName), dwpe: gpt2 ? G("wpe.weight") : nil,
                                   dout: D("residual.0"), tokens: tok.baseAddress!, B: B, T: T, C: C)
            }
        }
    }

    func normBackward(_ module: String, dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                      inp: UnsafePointer<Float>, mean: UnsafePointer<Float>?, rstd: UnsafePointer<Float>,
                      N: Int, baseGrads: Bool) {
        if config.family == .gpt2 {
            LayerNorm.backward(dinp: dinp, dweight: baseGrads ? G(module + ".weight") : nil,
                               dbias: baseGrads ? G(module + ".bias") : nil, dout: dout, inp: inp,
                               weight: P(module + ".weight"), mean: mean!, rstd: rstd, N: N, C: config.dModel)
        } else {
            RMSNorm.backward(dinp: dinp, dweight: baseGrads ? G(module + ".weight") : nil, dout: dout,
                             inp: inp, weight: P(module + ".weight"), rstd: rstd, N: N, C: config.dModel)
        }
    }

    /// Gradient of `linearForward`: dinp += ..., base dW/db when `baseGrads`, adapter dA/dB when `loraGrads`.
    func linearBackward(_ module: String, dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                        inp: UnsafePointer<Float>, N: Int, baseGrads: Bool, loraGrads: Bool) {
        let spec = linearByModule[module]!
        Matmul.backward(dinp: dinp, dweight: baseGrads ? G(spec.weightName) : nil,
                        dbias: baseGrads && spec.hasBias ? G(spec.biasName) : nil,
                        dout: dout, inp: inp, weight: P(spec.weightName),
                        N: N, C: spec.inFeatures, OC: spec.outFeatures)
        if let lora, let site = lora.site(module) {
            let r = lora.config.rank
            let u = A(module + ".lora_u"), du = D(module + ".lora_u")
            // out += s * u B^T  ->  du += s * dout B ; dB += s * dout^T u
            Matmul.backward(dinp: du, dweight: loraGrads ? lora.gradients.pointer + site.bOffset : nil, dbias: nil,
                            dout: dout, inp: u, weight: lora.parameters.pointer + site.bOffset,
                            N: N, C: r, OC: spec.outFeatures, scale: lora.config.scale)
            // u = inp A^T  ->  dinp += du A ; dA += du^T inp
            Matmul.backward(dinp: dinp, dweight: loraGrads ? lora.gradients.pointer + site.aOffset : nil, dbias: nil,
                            dout: du, inp: inp, weight: lora.parameters.pointer + site.aOffset,
                            N: N, C: spec.inFeatures, OC: r)
        }
    }

    func checkIndex(_ what: String, _ index: Int, _ count: Int) throws {
        guard index >= 0 && index < count else { throw ModelError.indexOutOfRange(what: what, index: index, count: count) }
    }
}
