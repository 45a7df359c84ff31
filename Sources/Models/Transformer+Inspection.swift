// Transformer+Inspection: read-outs of the last forward/backward pass that the activation
// extraction and attribution stages need: residual stream per layer, logits, per-head
// attention outputs and their gradients, per-position losses.

extension Transformer {
    /// The residual stream at (batch, position) entering block `layer` (0 ..< nLayers), or, for
    /// `layer == nLayers`, after the last block (the input of the final norm). [dModel]
    public func residual(layer: Int, batch: Int, position: Int) throws -> [Float] {
        try checkRead("residual", layer: layer, layers: config.nLayers + 1, batch: batch, position: position)
        let C = config.dModel
        let p = A("residual.\(layer)") + (batch * sequenceLength + position) * C
        return Array(UnsafeBufferPointer(start: p, count: C))
    }

    /// The whole residual stream at (batch, position): entry l is `residual(layer: l, ...)` for
    /// l = 0 ... nLayers, i.e. [nLayers + 1][dModel]. Activation extraction reads this at the
    /// last token of each prompt.
    public func residualStream(batch: Int, position: Int) throws -> [[Float]] {
        try (0...config.nLayers).map { try residual(layer: $0, batch: batch, position: position) }
    }

    /// The gradient of the last backward's scalar w.r.t. `residual(layer:batch:position:)`. [dModel]
    public func residualGradient(layer: Int, batch: Int, position: Int) throws -> [Float] {
        try checkRead("residualGradient", layer: layer, layers: config.nLayers + 1, batch: batch, position: position)
        let C = config.dModel
        let p = D("residual.\(layer)") + (batch * sequenceLength + position) * C
        return Array(UnsafeBufferPointer(start: p, count: C))
    }

    /// Logits at (batch, position). [vocabSize]
    public func logits(batch: Int, position: Int) throws -> [Float] {
        try checkRead("logits", layer: 0, layers: 1, batch: batch, position: position)
        let V = config.vocabSize
        let p = A("logits") + (batch * sequenceLength + position) * V
        return Array(UnsafeBufferPointer(start: p, count: V))
    }

    /// Head outputs of block `layer` at (batch, position): the input of the attention output
    /// projection split per head, [nHeads][headDim].
    public func headOutputs(layer: Int, batch: Int, position: Int) throws -> [[Float]] {
        try checkRead("headOutputs", layer: layer, layers: config.nLayers, batch: batch, position: position)
        return split(A("h.\(layer).attn.heads") + (batch * sequenceLength + position) * config.dModel)
    }

    /// Gradient of the last backward's scalar w.r.t. `headOutputs(layer:batch:position:)`, [nHeads][headDim].
    public func headOutputGradients(layer: Int, batch: Int, position: Int) throws -> [[Float]] {
        try checkRead("headOutputGradients", layer: layer, layers: config.nLayers, batch: batch, position: position)
        return split(D("h.\(layer).attn.heads") + (batch * sequenceLength + position) * config.dModel)
    }

    private func split(_ p: UnsafeMutablePointer<Float>) -> [[Float]] {
        let hd = config.headDim
        return (0..<config.nHeads).map { Array(UnsafeBufferPointer(start: p + $0 * hd, count: hd)) }
    }

    private func checkRead(_ operation: String, layer: Int, layers: Int, batch: Int, position: Int) throws {
        guard acts.count > 0 else { throw ModelError.noForwardPass(operation: operation) }
        try checkIndex("layer", layer, layers)
        try checkIndex("batch", batch, batchSize)
        try checkIndex("position", position, sequenceLength)
    }
}
