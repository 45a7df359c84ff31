// Transformer: the byte-level model itself: one parameter buffer, one gradient buffer, one
// activation buffer (and its gradient), optional LoRA adapters. The forward and backward passes
// are in Transformer+Forward.swift and Transformer+Backward.swift; inspection for activation
// extraction and attribution in Transformer+Inspection.swift.

/// A GPT-2-style or Llama-style transformer over bytes with hand-written backprop.
///
/// Usage: `forward(tokens:batchSize:targets:lossMask:)` returns the mean masked loss;
/// `zeroGradients()` then `backward()` accumulates d loss / d parameters into `gradients`
/// (or into `lora.gradients` when adapters are attached and the base is frozen).
/// `parameters` and `gradients` are stable raw buffers, so an optimiser updates them in place,
/// e.g. `adamW.step(params: model.parameters.pointer, grads: model.gradients.pointer, m: m, v: v,
/// count: model.parameters.count, t: step)`; with LoRA, pass `model.lora!.parameters` and
/// `model.lora!.gradients` instead.
public final class Transformer {
    public let config: ModelConfig
    /// Names, shapes and offsets of the parameters.
    public let layout: ParameterLayout
    /// All parameters, laid out by `layout`.
    public let parameters: FloatBuffer
    /// Gradients, shaped like `parameters`; backward accumulates into it.
    public let gradients: FloatBuffer
    /// Attached adapters, if any.
    public private(set) var lora: LoRAAdapters?
    /// Whether backward accumulates gradients of the base parameters. True by default;
    /// attaching LoRA sets it to false (frozen base).
    public var trainBase = true

    let linearByModule: [String: LinearSpec]
    let ropeCos: [Float]
    let ropeSin: [Float]

    // State of the last forward pass.
    var actLayout = TensorLayout()
    var acts = FloatBuffer(count: 0)
    var dacts = FloatBuffer(count: 0)
    var tokens: [Int] = []
    var targets: [Int]?
    var lossWeights: [Float] = []
    /// Batch size of the last forward pass (0 before any).
    public internal(set) var batchSize = 0
    /// Sequence length of the last forward pass (0 before any).
    public internal(set) var sequenceLength = 0
    /// Mean masked loss of the last forward pass with targets, in Double.
    public internal(set) var meanLoss: Double = 0

    /// A model with deterministic initial parameters drawn from `seed`.
    public convenience init(config: ModelConfig, seed: UInt64) throws {
        let layout = try ParameterLayout(config: config)
        try self.init(layout: layout, parameters: layout.initialParameters(seed: seed))
    }

    /// A model with the given parameters (laid out as `ParameterLayout(config:)`).
    public convenience init(config: ModelConfig, parameters: [Float]) throws {
        try self.init(layout: ParameterLayout(config: config), parameters: parameters)
    }

    init(layout: ParameterLayout, parameters: [Float]) throws {
        guard parameters.count == layout.count else {
            throw ModelError.shapeMismatch(argument: "parameters", expected: layout.count, got: parameters.count)
        }
        self.config = layout.config
        self.layout = layout
        self.parameters = FloatBuffer(parameters)
        self.gradients = FloatBuffer(count: layout.count)
        self.linearByModule = Dictionary(uniqueKeysWithValues: layout.linears.map { ($0.module, $0) })
        if config.family == .llama {
            (ropeCos, ropeSin) = Rotary.table(maxSeq: config.maxSeq, headDim: config.headDim, theta: config.ropeTheta)
        } else {
            (ropeCos, ropeSin) = ([], [])
        }
    }

    /// Sets every gradient (base and adapters) to zero.
    public func zeroGradients() {
        gradients.zero()
        lora?.gradients.zero()
    }

    // MARK: LoRA

    /// Attaches fresh adapters (see `LoRAAdapters.init`) and freezes the base parameters.
    public func attachLoRA(_ config: LoRAConfig, seed: UInt64, bStd: Float = 0) throws {
        lora = try LoRAAdapters(config: config, layout: layout, seed: seed, bStd: bStd)
        trainBase = false
        invalidateActivations()
    }

    /// Removes the adapters (without merging) and unfreezes the base.
    public func detachLoRA() {
        lora = nil
        trainBase = true
        invalidateActivations()
    }

    /// The base parameters with every adapter folded in: W + (alpha / r) B A.
    public func mergedParameters() throws -> [Float] {
        guard let lora else { throw ModelError.noLoRAAttached }
        var merged = parameters.array
        let r = lora.config.rank, s = lora.config.scale
        for site in lora.sites {
            let w = layout.tensors.offset(site.linear.weightName)
            let (inF, outF) = (site.linear.inFeatures, site.linear.outFeatures)
            for o in 0..<outF {
                for i in 0..<inF {
                    var acc: Float = 0
                    for k in 0..<r { acc += lora.parameters[site.bOffset + o * r + k] * lora.parameters[site.aOffset + k * inF + i] }
                    merged[w + o * inF + i] += s * acc
                }
            }
        }
        return merged
    }

    /// Folds the adapters into the base parameters and detaches them.
    public func mergeLoRA() throws {
        try parameters.assign(mergedParameters())
        detachLoRA()
    }

    func invalidateActivations() {
        actLayout = TensorLayout()
        acts = FloatBuffer(count: 0)
        dacts = FloatBuffer(count: 0)
        batchSize = 0
        sequenceLength = 0
    }

    // MARK: Buffer access (names are built by this module, so they exist)

    @inline(__always) func P(_ name: String) -> UnsafeMutablePointer<Float> {
        parameters.pointer + layout.tensors.offset(name)
    }
    @inline(__always) func G(_ name: String) -> UnsafeMutablePointer<Float> {
        gradients.pointer + layout.tensors.offset(name)
    }
    @inline(__always) func A(_ name: String) -> UnsafeMutablePointer<Float> {
        acts.pointer + actLayout.offset(name)
    }
    @inline(__always) func D(_ name: String) -> UnsafeMutablePointer<Float> {
        dacts.pointer + actLayout.offset(name)
    }
}
