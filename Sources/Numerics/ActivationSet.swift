// ActivationSet: the one reader and writer of the madpipe-activations/1 layout
// (docs/activations.md): one directory per split holding activations.safetensors (or .npy
// files), with per-layer [N, d] features and per-row character/label/alice_label/bob_label (I64),
// agreement (BOOL) and difficulty (F64) columns. Every writer (extract-activations,
// extract-attribution, load-activations, score's row columns) goes through `encode`/`rowTensors`;
// reading accepts the 0/1 columns as BOOL, I64 or U8, validates shapes, dtypes and finiteness and
// names the file and tensor in every error.
import Base
import Foundation

/// One split of an activations artifact, fully loaded.
public struct ActivationSplit: Equatable {
    /// Split name (trusted, untrusted, validation, test).
    public var name: String
    /// Feature tensors by layer index, each [N, d] Float32.
    public var layers: [Int: Tensor]
    /// 0 = Alice, 1 = Bob.
    public var character: [Int64]
    /// The prompt's own character's label.
    public var label: [Int64]
    /// Alice's label.
    public var aliceLabel: [Int64]
    /// Bob's label.
    public var bobLabel: [Int64]
    /// Whether Alice and Bob agree.
    public var agreement: [Bool]
    /// Optional difficulty per row.
    public var difficulty: [Double]?
    /// `__metadata__` (or metadata.json) entries.
    public var metadata: [String: String]

    /// Number of rows.
    public var count: Int { character.count }
    /// Layer indices, ascending.
    public var layerIndices: [Int] { layers.keys.sorted() }

    /// Creates a split.
    public init(name: String, layers: [Int: Tensor], character: [Int64], label: [Int64], aliceLabel: [Int64],
                bobLabel: [Int64], agreement: [Bool], difficulty: [Double]? = nil, metadata: [String: String] = [:]) {
        self.name = name; self.layers = layers; self.character = character; self.label = label
        self.aliceLabel = aliceLabel; self.bobLabel = bobLabel; self.agreement = agreement
        self.difficulty = difficulty; self.metadata = metadata
    }

    /// Layer `l` widened to a Matrix64.
    public func matrix(_ l: Int) -> Matrix64 {
        let t = layers[l]!
        return Matrix64(rows: t.shape[0], cols: t.shape[1], data: t.data.map(Double.init))
    }

    /// The per-row tensors (everything except layers), as `ActivationSet.rowTensors` lays them out.
    public var rowTensors: [(name: String, value: SafeTensorValue)] {
        ActivationSet.rowTensors(character: character, label: label, aliceLabel: aliceLabel, bobLabel: bobLabel,
                                 agreement: agreement, difficulty: difficulty)
    }
}

/// An error reading an activations directory.
public struct ActivationError: Error, CustomStringConvertible {
    /// File (or directory) concerned.
    public var path: String
    /// Tensor concerned, if any.
    public var tensor: String?
    /// What is wrong.
    public var problem: String
    /// The split concerned, when known.
    public var split: String? = nil
    public var description: String {
        "\(path)" + (split.map { ": split '\($0)'" } ?? "") + (tensor.map { ": tensor '\($0)'" } ?? "") + ": \(problem)"
    }
}

/// Reading and writing activation directories.
public enum ActivationSet {
    /// The format tag stored in metadata.
    public static let format = "madpipe-activations/1"
    /// Canonical split names in their usual order.
    public static let standardSplits = ["trusted", "untrusted", "validation", "test"]
    static let rowNames = ["character", "label", "alice_label", "bob_label", "agreement"]
    /// The dtypes a 0/1 row column may be stored as: BOOL (what madpipe and the PyTorch worker
    /// write for `agreement`), I64 (the label columns; `agreement` in files written before
    /// BOOL), U8 (external writers).
    public static let rowDTypes: [DType] = [.bool, .i64, .u8]

    /// The per-row tensors in the layout's order: character, label, alice_label, bob_label as
    /// I64, agreement as BOOL, then difficulty as F64 when present.
    public static func rowTensors(character: [Int64], label: [Int64], aliceLabel: [Int64], bobLabel: [Int64],
                                  agreement: [Bool], difficulty: [Double]?) -> [(name: String, value: SafeTensorValue)] {
        var out: [(name: String, value: SafeTensorValue)] = [
            ("character", .i64(shape: [character.count], data: character)),
            ("label", .i64(shape: [label.count], data: label)),
            ("alice_label", .i64(shape: [aliceLabel.count], data: aliceLabel)),
            ("bob_label", .i64(shape: [bobLabel.count], data: bobLabel)),
            ("agreement", .bool(shape: [agreement.count], data: agreement)),
        ]
        if let difficulty { out.append(("difficulty", .f64(shape: [difficulty.count], data: difficulty))) }
        return out
    }

    /// An activations.safetensors image: `features` (F32 `layers.{l}` or `heads.{l}`, in the given
    /// order), then `rows` (from `rowTensors`); `metadata` goes to `__metadata__` with `format` set.
    public static func encode(features: [(name: String, value: SafeTensorValue)], rows: [(name: String, value: SafeTensorValue)],
                              metadata: [String: String]) -> [UInt8] {
        var meta = metadata
        meta["format"] = format
        return SafeTensors.encode(features + rows, metadata: meta)
    }

    /// Split directories present under `root` (standard ones first, then others sorted).
    public static func splitNames(in root: String) -> [String] {
        let entries = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).filter { name in
            var isDir: ObjCBool = false
            return FileManager.default.fileExists(atPath: root + "/" + name, isDirectory: &isDir) && isDir.boolValue
        }
        return standardSplits.filter(entries.contains) + entries.filter { !standardSplits.contains($0) }.sorted()
    }

    /// The metadata of split `name` under `root` (the safetensors header, or metadata.json
    /// beside .npy files) without reading its tensors.
    public static func metadata(root: String, split name: String) throws -> [String: String] {
        let dir = root + "/" + name, st = dir + "/activations.safetensors"
        if FileManager.default.fileExists(atPath: st) {
            do { return try SafeTensorsFile(path: st).metadata } catch { throw ActivationError(path: st, tensor: nil, problem: "\(error)", split: name) }
        }
        guard let data = FileManager.default.contents(atPath: dir + "/metadata.json") else { return [:] }
        guard let obj = (try? JSONValue.parseJSON(bytes: Array(data)))?.mapValue else {
            throw ActivationError(path: dir + "/metadata.json", tensor: nil, problem: "not a JSON object", split: name)
        }
        return metadataStrings(obj)
    }

    /// metadata.json entries as strings (non-strings in their JSON form; later duplicates win).
    static func metadataStrings(_ pairs: [(String, JSONValue)]) -> [String: String] {
        Dictionary(pairs.map { ($0.0, $0.1.stringValue ?? $0.1.description) }, uniquingKeysWith: { _, last in last })
    }

    /// Reads split `name` under `root`, from activations.safetensors or .npy files.
    public static func read(root: String, split name: String) throws -> ActivationSplit {
        let dir = root + "/" + name
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw ActivationError(path: dir, tensor: nil, problem: "split directory not found (present: \(splitNames(in: root).joined(separator: ", ")))")
        }
        let st = dir + "/activations.safetensors"
        if FileManager.default.fileExists(atPath: st) { return try readSafeTensors(path: st, split: name) }
        return try readNPY(dir: dir, split: name)
    }

    /// The name prefix of the per-layer tensors: `layers.` (activations), or `heads.` when there
    /// are none (attribution features from extract-attribution).
    public static func layerPrefix(in names: [String]) -> String {
        names.contains { $0.hasPrefix("layers.") } ? "layers." : "heads."
    }

    static func readSafeTensors(path: String, split: String) throws -> ActivationSplit {
        let file: SafeTensorsFile
        do { file = try SafeTensorsFile(path: path) } catch { throw ActivationError(path: path, tensor: nil, problem: "\(error)") }
        var layers: [Int: Tensor] = [:]
        let prefix = layerPrefix(in: file.names)
        for name in file.names where name.hasPrefix(prefix) {
            guard let l = Int(name.dropFirst(prefix.count)), l >= 0 else { throw ActivationError(path: path, tensor: name, problem: "layer index is not a non-negative integer") }
            let info = try file.info(name)
            guard [.f32, .f64, .f16, .bf16].contains(info.dtype) else {
                throw ActivationError(path: path, tensor: name, problem: "dtype \(info.dtype.rawValue), expected F32 (or F16/BF16/F64)")
            }
            layers[l] = try file.tensor(name)
        }
        func ints(_ n: String) throws -> [Int64] {
            guard let info = file.tensors[n] else { throw ActivationError(path: path, tensor: n, problem: "missing (present: \(file.names.joined(separator: ", ")))") }
            guard rowDTypes.contains(info.dtype) else {
                throw ActivationError(path: path, tensor: n, problem: "dtype \(info.dtype.rawValue), expected \(rowDTypes.map(\.rawValue).joined(separator: ", "))")
            }
            guard info.shape.count == 1 else { throw ActivationError(path: path, tensor: n, problem: "shape \(info.shape), expected [N]") }
            return try file.int64s(n).data
        }
        let difficulty = file.tensors["difficulty"] != nil ? try file.doubles("difficulty").data : nil
        let s = ActivationSplit(name: split, layers: layers, character: try ints("character"), label: try ints("label"),
                                aliceLabel: try ints("alice_label"), bobLabel: try ints("bob_label"),
                                agreement: try ints("agreement").map { $0 != 0 }, difficulty: difficulty, metadata: file.metadata)
        try validate(s, path: path)
        return s
    }

    static func readNPY(dir: String, split: String) throws -> ActivationSplit {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
        var layers: [Int: Tensor] = [:]
        for f in files where f.hasPrefix("layers.") && f.hasSuffix(".npy") {
            let path = dir + "/" + f
            guard let l = Int(f.dropFirst(7).dropLast(4)), l >= 0 else { throw ActivationError(path: path, tensor: nil, problem: "layer index is not a non-negative integer") }
            let a: NPYArray
            do { a = try NPY.read(path: path) } catch { throw ActivationError(path: path, tensor: nil, problem: "\(error)") }
            if case .int64 = a.storage { throw ActivationError(path: path, tensor: nil, problem: "integer array, expected float32/float64 features") }
            if case .bool = a.storage { throw ActivationError(path: path, tensor: nil, problem: "bool array, expected float32/float64 features") }
            layers[l] = a.tensor
        }
        if layers.isEmpty && !files.contains("character.npy") {
            throw ActivationError(path: dir, tensor: nil, problem: "neither activations.safetensors nor layers.*.npy files found")
        }
        func ints(_ n: String) throws -> [Int64] {
            let path = dir + "/" + n + ".npy"
            guard FileManager.default.fileExists(atPath: path) else { throw ActivationError(path: path, tensor: nil, problem: "missing") }
            let a: NPYArray
            do { a = try NPY.read(path: path) } catch { throw ActivationError(path: path, tensor: nil, problem: "\(error)") }
            guard a.shape.count == 1 else { throw ActivationError(path: path, tensor: nil, problem: "shape \(a.shape), expected [N]") }
            switch a.storage {
            case .int64(let v): return v
            case .bool(let v): return v.map { $0 ? 1 : 0 }
            default: throw ActivationError(path: path, tensor: nil, problem: "dtype \(a.storage.descr), expected int64 (<i8) or bool")
            }
        }
        var metadata: [String: String] = [:]
        if let data = FileManager.default.contents(atPath: dir + "/metadata.json") {
            guard let obj = (try? JSONValue.parseJSON(bytes: Array(data)))?.mapValue else {
                throw ActivationError(path: dir + "/metadata.json", tensor: nil, problem: "not a JSON object")
            }
            metadata = metadataStrings(obj)
        }
        var difficulty: [Double]? = nil
        if files.contains("difficulty.npy") { difficulty = try NPY.read(path: dir + "/difficulty.npy").doubles }
        let s = ActivationSplit(name: split, layers: layers, character: try ints("character"), label: try ints("label"),
                                aliceLabel: try ints("alice_label"), bobLabel: try ints("bob_label"),
                                agreement: try ints("agreement").map { $0 != 0 }, difficulty: difficulty, metadata: metadata)
        try validate(s, path: dir)
        return s
    }

    /// Checks the split has rows, row counts agree, layers are 2-D, features and difficulty are
    /// finite, character is 0/1. Errors name the split and the tensor.
    public static func validate(_ s: ActivationSplit, path: String) throws {
        let n = s.count
        func fail(_ tensor: String?, _ problem: String) -> ActivationError {
            ActivationError(path: path, tensor: tensor, problem: problem, split: s.name)
        }
        guard n > 0 else { throw fail("character", "zero rows; a split must hold at least one row") }
        for (name, c) in [("label", s.label.count), ("alice_label", s.aliceLabel.count), ("bob_label", s.bobLabel.count),
                          ("agreement", s.agreement.count), ("difficulty", s.difficulty?.count ?? n)] where c != n {
            throw fail(name, "\(c) rows but 'character' has \(n)")
        }
        if let i = s.character.firstIndex(where: { $0 != 0 && $0 != 1 }) {
            throw fail("character", "value \(s.character[i]) at row \(i); expected 0 (Alice) or 1 (Bob)")
        }
        if let d = s.difficulty, let i = d.firstIndex(where: { !$0.isFinite }) {
            throw fail("difficulty", "\(d[i].isNaN ? "NaN" : "infinity") at row \(i)")
        }
        guard !s.layers.isEmpty else { throw fail(nil, "no layers.{l} (or heads.{l}) tensors") }
        for l in s.layerIndices {
            let t = s.layers[l]!
            guard t.rank == 2, t.shape[0] == n else { throw fail("layers.\(l)", "shape \(t.shape), expected [\(n), d]") }
            if let i = t.data.firstIndex(where: { !$0.isFinite }) {
                let d = max(t.shape[1], 1)
                throw fail("layers.\(l)", "\(t.data[i].isNaN ? "NaN" : "infinity") at row \(i / d), column \(i % d); activations must be finite")
            }
        }
    }

    /// True when every row of the [N, d] tensor equals the first (zero variance in every feature).
    public static func isConstant(_ t: Tensor) -> Bool {
        let d = t.rank == 2 ? t.shape[1] : t.data.count
        guard d > 0, t.data.count > d else { return true }
        for i in d..<t.data.count where t.data[i] != t.data[i % d] { return false }
        return true
    }

    /// Writes `s` as `root/<split>/activations.safetensors` (see `encode`), its metadata with
    /// `split` and `layers` (the count) set.
    public static func write(_ s: ActivationSplit, root: String) throws {
        let dir = root + "/" + s.name
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let features: [(name: String, value: SafeTensorValue)] = s.layerIndices.map { ("layers.\($0)", .f32(s.layers[$0]!)) }
        var meta = s.metadata
        meta["split"] = s.name
        meta["layers"] = "\(s.layers.count)"
        try SafeTensors.writeAtomically(encode(features: features, rows: s.rowTensors, metadata: meta), to: dir + "/activations.safetensors")
    }

    /// Selects layers from a `layers` param value ("all" or a list of indices); errors name the missing one.
    public static func selectLayers(_ requested: [String], available: [Int], path: String) throws -> [Int] {
        if requested.isEmpty || requested == ["all"] { return available }
        return try requested.map { r in
            guard let l = Int(r), available.contains(l) else {
                throw ActivationError(path: path, tensor: nil, problem: "layer '\(r)' not available (have \(available.map(String.init).joined(separator: ", ")))")
            }
            return l
        }
    }
}
