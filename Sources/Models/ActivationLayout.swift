// ActivationLayout: where every saved activation of a forward pass lives in the one activation
// buffer (the gradient buffer uses the same layout). Names are internal except the documented
// `residual.{l}` and `h.{l}.attn.heads` that inspection reads.

enum ActivationLayout {
    /// Layout for a batch of B sequences of length T.
    static func make(config: ModelConfig, parameters: ParameterLayout, lora: LoRAAdapters?,
                     B: Int, T: Int) -> TensorLayout {
        let (N, C, F, V, NH) = (B * T, config.dModel, config.dFF, config.vocabSize, config.nHeads)
        let gpt2 = config.family == .gpt2
        var t = TensorLayout()
        for l in 0...config.nLayers { t.append("residual.\(l)", shape: [B, T, C]) }
        for l in 0..<config.nLayers {
            let h = "h.\(l)."
            t.append(h + "norm_1.out", shape: [N, C])
            if gpt2 { t.append(h + "norm_1.mean", shape: [N]) }
            t.append(h + "norm_1.rstd", shape: [N])
            if gpt2 {
                t.append(h + "attn.qkv", shape: [N, 3 * C])
            } else {
                for name in ["q", "k", "v"] { t.append(h + "attn." + name, shape: [N, C]) }
            }
            t.append(h + "attn.probs", shape: [B, NH, T, T])
            t.append(h + "attn.heads", shape: [N, C])
            t.append(h + "attn.out", shape: [N, C])
            t.append(h + "residual_mid", shape: [N, C])
            t.append(h + "norm_2.out", shape: [N, C])
            if gpt2 { t.append(h + "norm_2.mean", shape: [N]) }
            t.append(h + "norm_2.rstd", shape: [N])
            if gpt2 {
                t.append(h + "mlp.fc", shape: [N, F])
            } else {
                t.append(h + "mlp.gate", shape: [N, F])
                t.append(h + "mlp.up", shape: [N, F])
                t.append(h + "mlp.sigmoid", shape: [N, F])
            }
            t.append(h + "mlp.act", shape: [N, F])
            t.append(h + "mlp.out", shape: [N, C])
        }
        t.append("final_norm.out", shape: [N, C])
        if gpt2 { t.append("final_norm.mean", shape: [N]) }
        t.append("final_norm.rstd", shape: [N])
        t.append("logits", shape: [N, V])
        t.append("probs", shape: [N, V])
        t.append("losses", shape: [N])
        for site in lora?.sites ?? [] {
            t.append(site.linear.module + ".lora_u", shape: [N, lora!.config.rank])
        }
        return t
    }
}
