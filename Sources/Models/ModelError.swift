// ModelError: every failure the Models module reports, as a value that says which argument,
// tensor or field was wrong and why, in text a user can act on.

/// Errors thrown by model construction, forward/backward passes and inspection.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    /// A configuration field holds a value the model cannot use.
    case invalidConfig(field: String, value: Int, reason: String)
    /// A token id at `index` of the flattened [B, T] token array is outside [0, vocabSize).
    case tokenOutOfRange(index: Int, token: Int, vocabSize: Int)
    /// The token array is empty or not a whole number of rows of `batchSize`.
    case invalidBatch(tokenCount: Int, batchSize: Int)
    /// The sequence length exceeds the configured context.
    case sequenceTooLong(length: Int, maxSeq: Int)
    /// An argument array has the wrong number of elements.
    case shapeMismatch(argument: String, expected: Int, got: Int)
    /// A tensor name is not part of the layout.
    case unknownTensor(name: String)
    /// A LoRA setting is unusable (bad rank, target matching no projection, ...).
    case invalidLoRA(field: String, reason: String)
    /// An operation needs adapters but none are attached.
    case noLoRAAttached
    /// An operation needs the activations of a forward pass that has not run.
    case noForwardPass(operation: String)
    /// An operation reads gradients, but no backward pass has run since the forward pass set the shape.
    case noBackwardPass(operation: String)
    /// A backward pass from the loss was requested but the forward pass had no targets.
    case noTargets
    /// A layer, batch row, position or head index is out of range.
    case indexOutOfRange(what: String, index: Int, count: Int)

    public var description: String {
        switch self {
        case let .invalidConfig(field, value, reason):
            return "model config: field '\(field)' = \(value) is invalid: \(reason)"
        case let .tokenOutOfRange(index, token, vocabSize):
            return "tokens[\(index)] = \(token) is outside the vocabulary [0, \(vocabSize))"
        case let .invalidBatch(tokenCount, batchSize):
            return "\(tokenCount) tokens cannot be split into \(batchSize) sequences of equal, positive length"
        case let .sequenceTooLong(length, maxSeq):
            return "sequence length \(length) exceeds the model's maxSeq \(maxSeq)"
        case let .shapeMismatch(argument, expected, got):
            return "argument '\(argument)' has \(got) elements, expected \(expected)"
        case let .unknownTensor(name):
            return "no tensor named '\(name)' in the layout"
        case let .invalidLoRA(field, reason):
            return "LoRA config: '\(field)' \(reason)"
        case .noLoRAAttached:
            return "no LoRA adapters are attached to this model"
        case let .noForwardPass(operation):
            return "\(operation) needs a forward pass first"
        case let .noBackwardPass(operation):
            return "\(operation) needs a backward pass after the forward pass"
        case .noTargets:
            return "backward from the loss needs a forward pass with targets"
        case let .indexOutOfRange(what, index, count):
            return "\(what) index \(index) is out of range 0..<\(count)"
        }
    }
}
