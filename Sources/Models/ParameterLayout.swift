import Base
// ParameterLayout: the name, shape and offset of every weight of a transformer in its one
// parameter buffer, using Hugging Face tensor names, plus the list of linear projections.
//
// Storage convention: every linear weight is stored [out, in] like torch.nn.Linear, so a
// projection computes y = x W^T + b. Hugging Face Llama checkpoints use the same layout. Hugging
// Face GPT-2 checkpoints store their Conv1D weights (c_attn, c_proj, c_fc) as [in, out]: they
// must be transposed when imported or exported; names are otherwise identical.

/// One linear projection y = x W^T (+ b) inside the model.
public struct LinearSpec: Equatable, Sendable {
    /// Module path, e.g. `h.0.attn.c_attn` or `model.layers.0.self_attn.q_proj`.
    public let module: String
    public let inFeatures: Int
    public let outFeatures: Int
    public let hasBias: Bool
    /// `module + ".weight"`, shape [outFeatures, inFeatures].
    public var weightName: String { module + ".weight" }
    /// `module + ".bias"`, shape [outFeatures] (only when `hasBias`).
    public var biasName: String { module + ".bias" }
}

/// Per-block module paths, so the forward pass never builds names family by family.
struct BlockModules {
    let norm1: String, norm2: String
    /// GPT-2: one fused projection (c_attn); Llama: q, k, v.
    let qkv: [String]
    let attnOut: String
    /// GPT-2: [c_fc]; Llama: [gate_proj, up_proj].
    let mlpIn: [String]
    let mlpOut: String
}

/// Names, shapes and offsets of all parameters of a `ModelConfig`.
public struct ParameterLayout: Sendable {
    public let config: ModelConfig
    /// The tensors in buffer order.
    public let tensors: TensorLayout
    /// Every linear projection (LoRA can target these), in forward order.
    public let linears: [LinearSpec]
    let blocks: [BlockModules]

    /// Total number of parameters.
    public var count: Int { tensors.totalCount }

    public init(config: ModelConfig) throws {
        try config.validate()
        self.config = config
        let (V, C, F) = (config.vocabSize, config.dModel, config.dFF)
        var t = TensorLayout()
        var linears: [LinearSpec] = []
        var blocks: [BlockModules] = []
        func linear(_ module: String, _ inF: Int, _ outF: Int, bias: Bool) {
            t.append(module + ".weight", shape: [outF, inF])
            if bias { t.append(module + ".bias", shape: [outF]) }
            linears.append(LinearSpec(module: module, inFeatures: inF, outFeatures: outF, hasBias: bias))
        }
        switch config.family {
        case .gpt2:
            t.append("wte.weight", shape: [V, C])
            t.append("wpe.weight", shape: [config.maxSeq, C])
            for l in 0..<config.nLayers {
                let h = "h.\(l)"
                t.append("\(h).ln_1.weight", shape: [C]); t.append("\(h).ln_1.bias", shape: [C])
                linear("\(h).attn.c_attn", C, 3 * C, bias: true)
                linear("\(h).attn.c_proj", C, C, bias: true)
                t.append("\(h).ln_2.weight", shape: [C]); t.append("\(h).ln_2.bias", shape: [C])
                linear("\(h).mlp.c_fc", C, F, bias: true)
                linear("\(h).mlp.c_proj", F, C, bias: true)
                blocks.append(BlockModules(norm1: "\(h).ln_1", norm2: "\(h).ln_2",
                                           qkv: ["\(h).attn.c_attn"], attnOut: "\(h).attn.c_proj",
                                           mlpIn: ["\(h).mlp.c_fc"], mlpOut: "\(h).mlp.c_proj"))
            }
            t.append("ln_f.weight", shape: [C]); t.append("ln_f.bias", shape: [C])
        case .llama:
            t.append("model.embed_tokens.weight", shape: [V, C])
            for l in 0..<config.nLayers {
                let h = "model.layers.\(l)"
                t.append("\(h).input_layernorm.weight", shape: [C])
                for p in ["q_proj", "k_proj", "v_proj", "o_proj"] { linear("\(h).self_attn.\(p)", C, C, bias: false) }
                t.append("\(h).post_attention_layernorm.weight", shape: [C])
                linear("\(h).mlp.gate_proj", C, F, bias: false)
                linear("\(h).mlp.up_proj", C, F, bias: false)
                linear("\(h).mlp.down_proj", F, C, bias: false)
                blocks.append(BlockModules(
                    norm1: "\(h).input_layernorm", norm2: "\(h).post_attention_layernorm",
                    qkv: ["\(h).self_attn.q_proj", "\(h).self_attn.k_proj", "\(h).self_attn.v_proj"],
                    attnOut: "\(h).self_attn.o_proj",
                    mlpIn: ["\(h).mlp.gate_proj", "\(h).mlp.up_proj"], mlpOut: "\(h).mlp.down_proj"))
            }
            t.append("model.norm.weight", shape: [C])
            t.append("lm_head.weight", shape: [V, C])
        }
        self.tensors = t
        self.linears = linears
        self.blocks = blocks
    }

    /// Name of the token embedding ([V, C]).
    public var tokenEmbeddingName: String { config.family == .gpt2 ? "wte.weight" : "model.embed_tokens.weight" }
    /// Name of the output projection ([V, C]); GPT-2 ties it to the token embedding.
    public var lmHeadName: String { config.family == .gpt2 ? "wte.weight" : "lm_head.weight" }
    /// Module path of the final norm (`ln_f` or `model.norm`).
    public var finalNormModule: String { config.family == .gpt2 ? "ln_f" : "model.norm" }

    /// Deterministic initialisation from `seed`: linear weights and embeddings N(0, 0.02^2),
    /// the projections writing into the residual stream (attention output, MLP output) scaled by
    /// 1/sqrt(2 nLayers) as in GPT-2, biases 0, norm weights 1 (and norm biases 0).
    public func initialParameters(seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        var p = [Float](repeating: 0, count: count)
        let residualScale = 1.0 / Double(2 * config.nLayers).squareRoot()
        let residualWriters = Set(blocks.flatMap { [$0.attnOut + ".weight", $0.mlpOut + ".weight"] })
        for s in tensors.slices {
            let isNorm = s.name.contains("ln_") || s.name.contains("layernorm") || s.name == "model.norm.weight"
            if s.name.hasSuffix(".bias") { continue }
            if isNorm {
                for i in 0..<s.count { p[s.offset + i] = 1 }
                continue
            }
            let std = 0.02 * (residualWriters.contains(s.name) ? residualScale : 1)
            for i in 0..<s.count { p[s.offset + i] = Float(std * rng.nextGaussian()) }
        }
        return p
    }
}
