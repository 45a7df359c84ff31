// JSONValue: the one JSON value type (null, bool, int, double, string, list, ordered map), its
// canonical and pretty encodings and the one JSON string escaper. Pipeline params (PipelineCore's
// `Value`), store records, quirky JSONL rows and safetensors headers are all this type; every
// hand-assembled JSON text in madpipe escapes its strings with `JSONValue.quoted`.

import Foundation

/// A JSON value. Ints and doubles are kept apart, maps keep their key order.
public indirect enum JSONValue: Hashable, Sendable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([JSONValue])
    /// An ordered map; keys are unique (the parser rejects duplicates).
    case map([(String, JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.int(a), .int(b)): return a == b
        case let (.double(a), .double(b)): return a == b || (a.isNaN && b.isNaN)
        case let (.string(a), .string(b)): return a == b
        case let (.list(a), .list(b)): return a == b
        case let (.map(a), .map(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(canonicalJSON)
    }

    /// The name of this value's type, as error messages show it.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "number"
        case .string: return "string"
        case .list: return "list"
        case .map: return "map"
        }
    }

    /// How the value reads inside a command line or a stage id: scalars plainly, others as JSON.
    public var description: String {
        switch self {
        case .null: return ""
        case let .bool(b): return b ? "true" : "false"
        case let .int(i): return String(i)
        case let .double(d): return JSONValue.format(d)
        case let .string(s): return s
        case .list, .map: return canonicalJSON
        }
    }

    public var stringValue: String? { if case let .string(s) = self { return s }; return nil }
    public var intValue: Int? {
        switch self {
        case let .int(i): return i
        case let .double(d) where d == d.rounded() && abs(d) < 9e15: return Int(d)
        default: return nil
        }
    }
    public var doubleValue: Double? {
        switch self {
        case let .int(i): return Double(i)
        case let .double(d): return d
        default: return nil
        }
    }
    public var boolValue: Bool? { if case let .bool(b) = self { return b }; return nil }
    public var listValue: [JSONValue]? { if case let .list(l) = self { return l }; return nil }
    public var mapValue: [(String, JSONValue)]? { if case let .map(m) = self { return m }; return nil }

    /// Looks a key up in a map value.
    public subscript(key: String) -> JSONValue? {
        guard case let .map(m) = self else { return nil }
        return m.first(where: { $0.0 == key })?.1
    }

    /// Shortest round-tripping decimal form, never locale dependent, never exponent-free ambiguity.
    static func format(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d > 0 ? "Infinity" : "-Infinity" }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int(d)) + ".0" }
        return "\(d)"
    }

    /// A canonical JSON text: map keys sorted, no whitespace, fixed number formatting. Two equal
    /// values always give the same bytes, so it is what cache keys hash.
    public var canonicalJSON: String {
        var out = ""
        writeCanonical(into: &out)
        return out
    }

    func writeCanonical(into out: inout String) {
        switch self {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .int(i): out += String(i)
        case let .double(d): out += d.isFinite ? JSONValue.format(d) : "\"\(JSONValue.format(d))\""
        case let .string(s): JSONValue.writeJSONString(s, into: &out)
        case let .list(items):
            out += "["
            for (i, v) in items.enumerated() {
                if i > 0 { out += "," }
                v.writeCanonical(into: &out)
            }
            out += "]"
        case let .map(pairs):
            out += "{"
            for (i, (k, v)) in pairs.sorted(by: { $0.0 < $1.0 }).enumerated() {
                if i > 0 { out += "," }
                JSONValue.writeJSONString(k, into: &out)
                out += ":"
                v.writeCanonical(into: &out)
            }
            out += "}"
        }
    }

    /// `s` as a JSON string literal, quotes included: `"` and `\` are backslash-escaped, newline,
    /// carriage return and tab as `\n`, `\r`, `\t`, other control characters below U+0020 as
    /// `\u00xx` (lower-case hex); everything else, non-ASCII included, is written as it is.
    public static func quoted(_ s: String) -> String {
        var out = ""
        writeJSONString(s, into: &out)
        return out
    }

    /// Appends `s` as a JSON string literal (see `quoted`) to `out`.
    public static func writeJSONString(_ s: String, into out: inout String) {
        out += "\""
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
            out += s
            out += "\""
            return
        }
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    out += String(format: "\\u%04x", u.value)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }
}
