import Base
// LoRAAdapters: low-rank adapters W' = W + (alpha / r) B A on chosen linear projections, kept in
// their own parameter and gradient buffers so the base weights can stay frozen.

/// Which projections get adapters, their rank and scaling.
public struct LoRAConfig: Codable, Equatable, Sendable {
    /// Rank r of each adapter.
    public var rank: Int
    /// Scaling numerator: the update is (alpha / rank) B A.
    public var alpha: Float
    /// Module names or suffixes, matched like peft's `target_modules`: a projection is adapted
    /// when its module path equals a target or ends with "." + target. Examples: Llama
    /// `["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]`; GPT-2
    /// `["c_attn", "c_proj", "c_fc"]` (`c_proj` matches both attention and MLP output; use
    /// `attn.c_proj` or `mlp.c_proj` for one of them).
    public var targets: [String]

    public init(rank: Int, alpha: Float, targets: [String]) {
        self.rank = rank
        self.alpha = alpha
        self.targets = targets
    }

    /// alpha / rank.
    public var scale: Float { alpha / Float(rank) }

    /// Every attention and MLP projection of `family`.
    public static func allProjections(_ family: ModelFamily) -> [String] {
        switch family {
        case .gpt2: return ["c_attn", "c_proj", "c_fc"]
        case .llama: return ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
        }
    }
}

/// One adapted projection: A is [rank, in], B is [out, rank].
public struct LoRASite: Equatable, Sendable {
    public let linear: LinearSpec
    /// Offset of `<module>.lora_A.weight` in the adapter buffer.
    public let aOffset: Int
    /// Offset of `<module>.lora_B.weight` in the adapter buffer.
    public let bOffset: Int
}

/// The adapters of one model: layout, parameters and gradients.
public final class LoRAAdapters {
    public let config: LoRAConfig
    /// Tensors named `<module>.lora_A.weight` ([r, in]) and `<module>.lora_B.weight` ([out, r]).
    public let tensors: TensorLayout
    /// Adapted projections in forward order.
    public let sites: [LoRASite]
    let siteByModule: [String: LoRASite]
    /// Adapter parameters (the trainable ones while the base is frozen).
    public let parameters: FloatBuffer
    /// Adapter gradients, shaped like `parameters`.
    public let gradients: FloatBuffer

    /// Builds adapters for every projection of `layout` that a target matches. A is drawn
    /// N(0, 1/in) from `seed`; B is N(0, bStd^2), i.e. zero by default so the adapted model
    /// starts equal to the base (a nonzero bStd is for tests).
    public init(config: LoRAConfig, layout: ParameterLayout, seed: UInt64, bStd: Float = 0) throws {
        guard config.rank > 0 else { throw ModelError.invalidLoRA(field: "rank", reason: "must be positive, got \(config.rank)") }
        guard !config.targets.isEmpty else { throw ModelError.invalidLoRA(field: "targets", reason: "is empty") }
        for target in config.targets where !layout.linears.contains(where: { Self.matches($0.module, target) }) {
            throw ModelError.invalidLoRA(field: "targets", reason: "entry '\(target)' matches no projection of a \(layout.config.family.rawValue) model")
        }
        var t = TensorLayout()
        var sites: [LoRASite] = []
        for spec in layout.linears where config.targets.contains(where: { Self.matches(spec.module, $0) }) {
            let a = t.append(spec.module + ".lora_A.weight", shape: [config.rank, spec.inFeatures])
            let b = t.append(spec.module + ".lora_B.weight", shape: [spec.outFeatures, config.rank])
            sites.append(LoRASite(linear: spec, aOffset: a.offset, bOffset: b.offset))
        }
        self.config = config
        self.tensors = t
        self.sites = sites
        self.siteByModule = Dictionary(uniqueKeysWithValues: sites.map { ($0.linear.module, $0) })
        parameters = FloatBuffer(count: t.totalCount)
        gradients = FloatBuffer(count: t.totalCount)
        var rng = SplitMix64(seed: seed)
        for site in sites {
            let aStd = 1 / Double(site.linear.inFeatures).squareRoot()
            for i in 0..<(config.rank * site.linear.inFeatures) {
                parameters[site.aOffset + i] = Float(aStd * rng.nextGaussian())
            }
            if bStd != 0 {
                for i in 0..<(config.rank * site.linear.outFeatures) {
                    parameters[site.bOffset + i] = Float(Double(bStd) * rng.nextGaussian())
                }
            }
        }
    }

    /// The adapter on `module`, if any.
    public func site(_ module: String) -> LoRASite? { siteByModule[module] }

    static func matches(_ module: String, _ target: String) -> Bool {
        module == target || module.hasSuffix("." + target)
    }
}
