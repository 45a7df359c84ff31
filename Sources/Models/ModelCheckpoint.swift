// ModelCheckpoint: saving and loading a trained transformer as a directory holding
// `model.safetensors` (float32 tensors under Hugging Face names, in Hugging Face storage layout)
// and `config.json` (the model shape plus free-form training metadata such as step and val_loss).
//
// Layout on disk: GPT-2's Conv1D weights (c_attn, c_proj, c_fc) are stored [in, out] as Hugging
// Face does, and transposed back to madpipe's [out, in] on load. Every other tensor is stored as
// it is in the parameter buffer. Tensors are written in layout order; config.json has sorted keys
// and no timestamps, so the same model and metadata give byte-identical files.

import Base
import Foundation
import Numerics

/// An error reading or writing a checkpoint directory.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    /// A file of the checkpoint is missing.
    case missingFile(path: String)
    /// config.json is unreadable or a field is missing or of the wrong type.
    case badConfig(path: String, field: String, reason: String)
    /// A tensor the model needs is absent from model.safetensors.
    case missingTensor(path: String, name: String)
    /// A stored tensor's shape differs from the shape the config implies.
    case shapeMismatch(path: String, name: String, expected: [Int], got: [Int])
    /// model.safetensors holds tensors the config does not explain.
    case unexpectedTensors(path: String, names: [String])
    /// Reading or writing failed.
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case let .missingFile(path):
            return "checkpoint file \(path) does not exist"
        case let .badConfig(path, field, reason):
            return "\(path): field '\(field)' \(reason)"
        case let .missingTensor(path, name):
            return "\(path): tensor '\(name)' is missing"
        case let .shapeMismatch(path, name, expected, got):
            return "\(path): tensor '\(name)' has shape \(got), expected \(expected) (Hugging Face layout)"
        case let .unexpectedTensors(path, names):
            return "\(path): unexpected tensors \(names.prefix(5).joined(separator: ", "))\(names.count > 5 ? ", ..." : "")"
        case let .io(path, reason):
            return "\(path): \(reason)"
        }
    }
}

/// Saves and loads model checkpoints (see the file header for the format).
public enum ModelCheckpoint {
    /// File name of the weights inside a checkpoint directory.
    public static let weightsFile = "model.safetensors"
    /// File name of the configuration inside a checkpoint directory.
    public static let configFile = "config.json"

    /// Whether `name` is a GPT-2 Conv1D weight that Hugging Face stores as [in, out].
    static func isConv1DWeight(_ name: String, family: ModelFamily) -> Bool {
        family == .gpt2 && name.hasSuffix(".weight")
            && (name.contains(".attn.c_attn.") || name.contains(".attn.c_proj.")
                || name.contains(".mlp.c_fc.") || name.contains(".mlp.c_proj."))
    }

    /// The named tensors of `parameters` (laid out by `layout`) in Hugging Face storage layout,
    /// in layout order.
    public static func huggingFaceTensors(layout: ParameterLayout, parameters: [Float]) -> [(name: String, shape: [Int], data: [Float])] {
        layout.tensors.slices.map { s in
            let values = Array(parameters[s.offset..<(s.offset + s.count)])
            if isConv1DWeight(s.name, family: layout.config.family) {
                let (rows, cols) = (s.shape[0], s.shape[1])   // [out, in]
                return (s.name, [cols, rows], transpose(values, rows: rows, cols: cols))
            }
            return (s.name, s.shape, values)
        }
    }

    /// Row-major [rows, cols] -> [cols, rows].
    static func transpose(_ a: [Float], rows: Int, cols: Int) -> [Float] {
        var out = [Float](repeating: 0, count: a.count)
        for r in 0..<rows { for c in 0..<cols { out[c * rows + r] = a[r * cols + c] } }
        return out
    }

    /// Writes `model` to directory `dir` (created if needed). Attached LoRA adapters are merged
    /// into the saved weights (the model itself is left unchanged). `metadata` goes into
    /// config.json under "metadata" and into the safetensors header.
    public static func save(_ model: Transformer, to dir: String, metadata: [String: String]) throws {
        let params = model.lora != nil ? try model.mergedParameters() : model.parameters.array
        try save(config: model.config, parameters: params, to: dir, metadata: metadata)
    }

    /// Writes a checkpoint from a config and a parameter buffer laid out by `ParameterLayout(config:)`.
    public static func save(config: ModelConfig, parameters: [Float], to dir: String, metadata: [String: String]) throws {
        let layout = try ParameterLayout(config: config)
        guard parameters.count == layout.count else {
            throw ModelError.shapeMismatch(argument: "parameters", expected: layout.count, got: parameters.count)
        }
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw CheckpointError.io(path: dir, reason: "cannot create directory: \(error.localizedDescription)")
        }
        let tensors = huggingFaceTensors(layout: layout, parameters: parameters).map {
            (name: $0.name, value: SafeTensorValue.f32(Tensor(shape: $0.shape, data: $0.data)))
        }
        var header = metadata
        header["format"] = "pt"
        try SafeTensors.write(tensors, metadata: header, to: dir + "/" + weightsFile)
        let configPath = dir + "/" + configFile
        do {
            try Data(configJSON(config, metadata: metadata).utf8).write(to: URL(fileURLWithPath: configPath), options: .atomic)
        } catch {
            throw CheckpointError.io(path: configPath, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    /// The text of config.json: sorted keys, one field per line, fixed number formatting.
    public static func configJSON(_ c: ModelConfig, metadata: [String: String]) -> String {
        var fields: [(String, String)] = [
            ("family", JSONValue.quoted(c.family.rawValue)),
            ("vocab_size", "\(c.vocabSize)"),
            ("max_seq", "\(c.maxSeq)"),
            ("d_model", "\(c.dModel)"),
            ("n_layers", "\(c.nLayers)"),
            ("n_heads", "\(c.nHeads)"),
            ("d_ff", "\(c.dFF)"),
            ("norm_epsilon", "\(c.normEpsilon)"),
            ("rope_theta", "\(c.ropeTheta)"),
        ]
        let meta = metadata.keys.sorted().map { "    \(JSONValue.quoted($0)): \(JSONValue.quoted(metadata[$0]!))" }
        fields.append(("metadata", meta.isEmpty ? "{}" : "{\n" + meta.joined(separator: ",\n") + "\n  }"))
        fields.sort { $0.0 < $1.0 }
        return "{\n" + fields.map { "  \"\($0.0)\": \($0.1)" }.joined(separator: ",\n") + "\n}\n"
    }

    /// Reads the model shape and metadata from `dir/config.json`.
    public static func loadConfig(from dir: String) throws -> (config: ModelConfig, metadata: [String: String]) {
        let path = dir + "/" + configFile
        guard FileManager.default.fileExists(atPath: path) else { throw CheckpointError.missingFile(path: path) }
        guard let data = FileManager.default.contents(atPath: path),
              let json = try? JSONValue.parseJSON(bytes: Array(data)), json.mapValue != nil else {
            throw CheckpointError.badConfig(path: path, field: "(file)", reason: "is not a JSON object")
        }
        func int(_ key: String) throws -> Int {
            guard let v = json[key]?.intValue else { throw CheckpointError.badConfig(path: path, field: key, reason: "must be an integer") }
            return v
        }
        func double(_ key: String, default d: Double) throws -> Double {
            guard let raw = json[key] else { return d }
            guard let v = raw.doubleValue else { throw CheckpointError.badConfig(path: path, field: key, reason: "must be a number") }
            return v
        }
        guard let familyName = json["family"]?.stringValue else {
            throw CheckpointError.badConfig(path: path, field: "family", reason: "must be a string (gpt2 or llama)")
        }
        guard let family = ModelFamily(rawValue: familyName) else {
            throw CheckpointError.badConfig(path: path, field: "family", reason: "is '\(familyName)', expected gpt2 or llama")
        }
        let config = ModelConfig(family: family, vocabSize: try int("vocab_size"), maxSeq: try int("max_seq"),
                                 dModel: try int("d_model"), nLayers: try int("n_layers"), nHeads: try int("n_heads"),
                                 dFF: try int("d_ff"), normEpsilon: Float(try double("norm_epsilon", default: 1e-5)),
                                 ropeTheta: try double("rope_theta", default: 10_000))
        var metadata: [String: String] = [:]
        if let raw = json["metadata"] {
            guard let m = raw.mapValue else {
                throw CheckpointError.badConfig(path: path, field: "metadata", reason: "must be an object of strings")
            }
            for (k, v) in m { metadata[k] = v.stringValue ?? v.description }
        }
        return (config, metadata)
    }

    /// Loads the model saved in `dir` (Hugging Face names and layout; see the file header).
    public static func load(from dir: String) throws -> Transformer {
        let (config, _) = try loadConfig(from: dir)
        let layout = try ParameterLayout(config: config)
        let path = dir + "/" + weightsFile
        guard FileManager.default.fileExists(atPath: path) else { throw CheckpointError.missingFile(path: path) }
        let file = try SafeTensorsFile(path: path)
        var params = [Float](repeating: 0, count: layout.count)
        var used = Set<String>()
        for s in layout.tensors.slices {
            guard file.tensors[s.name] != nil else { throw CheckpointError.missingTensor(path: path, name: s.name) }
            used.insert(s.name)
            let t = try file.tensor(s.name)
            let conv = isConv1DWeight(s.name, family: config.family)
            let expected = conv ? [s.shape[1], s.shape[0]] : s.shape
            guard t.shape == expected else {
                throw CheckpointError.shapeMismatch(path: path, name: s.name, expected: expected, got: t.shape)
            }
            let values = conv ? transpose(t.data, rows: s.shape[1], cols: s.shape[0]) : t.data
            params.replaceSubrange(s.offset..<(s.offset + s.count), with: values)
        }
        // GPT-2 exports may carry a tied lm_head copy and the causal-mask buffers (attn.bias,
        // attn.masked_bias); anything else unknown is an error.
        let extra = file.names.filter { name in
            !used.contains(name) && !(config.family == .gpt2
                && (name == "lm_head.weight" || name.hasSuffix(".attn.bias") || name.hasSuffix(".attn.masked_bias")))
        }
        if !extra.isEmpty { throw CheckpointError.unexpectedTensors(path: path, names: extra) }
        return try Transformer(config: config, parameters: params)
    }
}
