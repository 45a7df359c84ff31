// StageKey: a stage instance's cache key: SHA-256 of a canonical encoding of everything that
// determines its result. The parts are kept in the record so `madpipe explain` can diff them.

import Crypto
import Foundation

/// Bumped when the store's layout or the key encoding changes; part of every key.
/// 2: object and dependency digests are BLAKE3 (1: SHA-256).
public let storeFormatVersion = 2

/// The ingredients of a cache key.
public struct KeyParts: Equatable {
    public var kind: String
    public var kindVersion: Int
    /// Resolved params (runtime placeholders such as `${inputs.x}` kept literally).
    public var params: Value
    /// Input name -> producer digest, or a list of `[stage id, digest]` pairs for gathered inputs.
    public var inputs: [(String, Value)]
    /// Path-typed params -> content digest of the file or directory they name.
    public var files: [(String, Value)]

    public init(kind: String, kindVersion: Int, params: Value, inputs: [(String, Value)], files: [(String, Value)]) {
        self.kind = kind
        self.kindVersion = kindVersion
        self.params = params
        self.inputs = inputs
        self.files = files
    }

    public static func == (a: KeyParts, b: KeyParts) -> Bool { a.value == b.value }

    /// The canonical value that is hashed.
    public var value: Value {
        .map([
            ("store", .int(storeFormatVersion)),
            ("kind", .string(kind)),
            ("kindVersion", .int(kindVersion)),
            ("params", params),
            ("inputs", .map(inputs)),
            ("files", .map(files)),
        ])
    }

    /// Hex SHA-256 of the canonical JSON of `value`.
    public var key: String { sha256Hex(value.canonicalJSON) }

    /// Reads parts back from a record.
    public init?(_ v: Value) {
        guard let kind = v["kind"]?.stringValue, let kv = v["kindVersion"]?.intValue, let params = v["params"] else { return nil }
        self.init(kind: kind, kindVersion: kv, params: params,
                  inputs: v["inputs"]?.mapValue ?? [], files: v["files"]?.mapValue ?? [])
    }

    /// Human-readable differences from `old` to `self`, one line each, for `madpipe explain`.
    public func differences(from old: KeyParts) -> [String] {
        var out: [String] = []
        if kind != old.kind { out.append("kind changed: \(old.kind) -> \(kind)") }
        if kindVersion != old.kindVersion {
            out.append("implementation of kind '\(kind)' changed: version \(old.kindVersion) -> \(kindVersion)")
        }
        out += KeyParts.diff(label: "param", old: old.params.mapValue ?? [], new: params.mapValue ?? [])
        out += KeyParts.diff(label: "input", old: old.inputs, new: inputs)
        out += KeyParts.diff(label: "file", old: old.files, new: files)
        return out
    }

    static func diff(label: String, old: [(String, Value)], new: [(String, Value)]) -> [String] {
        var out: [String] = []
        let oldMap = Dictionary(old, uniquingKeysWith: { a, _ in a })
        let newMap = Dictionary(new, uniquingKeysWith: { a, _ in a })
        for (k, v) in new {
            if let o = oldMap[k] {
                if o != v { out.append("\(label) '\(k)' changed: \(short(o)) -> \(short(v))") }
            } else {
                out.append("\(label) '\(k)' added: \(short(v))")
            }
        }
        for (k, v) in old where newMap[k] == nil { out.append("\(label) '\(k)' removed (was \(short(v)))") }
        return out
    }

    static func short(_ v: Value) -> String {
        let s: String
        if case let .string(str) = v { s = str.count == 64 && str.allSatisfy(\.isHexDigit) ? String(str.prefix(12)) : str }
        else { s = v.canonicalJSON }
        return s.count > 120 ? String(s.prefix(117)) + "..." : s
    }
}

/// Hex SHA-256 of a string's UTF-8 bytes.
public func sha256Hex(_ s: String) -> String {
    sha256Hex(Data(s.utf8))
}

/// Hex SHA-256 of bytes.
public func sha256Hex(_ d: Data) -> String {
    hex(SHA256.hash(data: d))
}

/// Lower-case hex of a digest.
public func hex<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(64)
    for b in bytes {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 15)])
    }
    return String(decoding: out, as: UTF8.self)
}
