// ActivationsFile: writes the extractors' `activations.safetensors` (feature tensors `layers.{l}`
// or `heads.{l}`, F32 [N, width], plus the example metadata) through Numerics' `ActivationSet`,
// the one owner of the madpipe-activations/1 layout (docs/activations.md). Output is
// byte-deterministic.

import Foundation
import Numerics

/// Per-example metadata stored beside the features.
public struct ExampleMetadata: Equatable, Sendable {
    /// 0 = Alice, 1 = Bob.
    public var character: [Int64]
    /// The prompt's own character's label (0/1).
    public var label: [Int64]
    /// Alice's label.
    public var aliceLabel: [Int64]
    /// Bob's label.
    public var bobLabel: [Int64]
    /// The dataset's difficulty.
    public var difficulty: [Double]

    /// Creates metadata; all arrays must have the same length.
    public init(character: [Int64], label: [Int64], aliceLabel: [Int64], bobLabel: [Int64], difficulty: [Double]) {
        self.character = character
        self.label = label
        self.aliceLabel = aliceLabel
        self.bobLabel = bobLabel
        self.difficulty = difficulty
    }

    /// Number of examples.
    public var count: Int { character.count }
    /// alice_label == bob_label.
    public var agreement: [Bool] { zip(aliceLabel, bobLabel).map { $0 == $1 } }
}

/// Writer of the extractors' activation files.
public enum ActivationsFile {
    /// Serialises `features` (name -> row-major [N, width] floats, in the given order) and the
    /// metadata; `metadata` keys are stored in `__metadata__` (sorted) with `format` added.
    public static func encode(features: [(name: String, width: Int, data: [Float])], examples: ExampleMetadata,
                              metadata: [String: String]) throws -> [UInt8] {
        let N = examples.count
        for arr in [examples.label.count, examples.aliceLabel.count, examples.bobLabel.count, examples.difficulty.count] where arr != N {
            throw ExtractionError.shapeMismatch(argument: "example metadata", expected: N, got: arr)
        }
        for f in features where f.data.count != N * f.width {
            throw ExtractionError.shapeMismatch(argument: f.name, expected: N * f.width, got: f.data.count)
        }
        let tensors = features.map { (name: $0.name, value: SafeTensorValue.f32(Tensor(shape: [N, $0.width], data: $0.data))) }
        let rows = ActivationSet.rowTensors(character: examples.character, label: examples.label, aliceLabel: examples.aliceLabel,
                                            bobLabel: examples.bobLabel, agreement: examples.agreement, difficulty: examples.difficulty)
        return ActivationSet.encode(features: tensors, rows: rows, metadata: metadata)
    }

    /// Writes the file to `path` (temporary file, then rename).
    public static func write(features: [(name: String, width: Int, data: [Float])], examples: ExampleMetadata,
                             metadata: [String: String], to path: String) throws {
        let bytes = try encode(features: features, examples: examples, metadata: metadata)
        let tmp = path + ".tmp"
        try Data(bytes).write(to: URL(fileURLWithPath: tmp))
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        try FileManager.default.moveItem(atPath: tmp, toPath: path)
    }
}
