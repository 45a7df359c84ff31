// Value: what stage params, vars and matrix values hold. It is the one JSON value type
// (Base.JSONValue, with its canonical encoding that cache keys hash); this file adds only the
// YAML scalar resolution of `-p name=value`.

import Base

/// A parameter value after YAML resolution: a JSON value (null, bool, int, double, string, list,
/// ordered map).
public typealias Value = JSONValue

extension JSONValue {
    /// Parses a scalar the way YAML would resolve it (used for `-p name=value`).
    public static func parseScalar(_ text: String) -> Value {
        let t = text.trimmingCharacters(in: .whitespaces)
        switch t {
        case "", "~", "null", "Null", "NULL": return t.isEmpty ? .string("") : .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default: break
        }
        if let i = Int(t) { return .int(i) }
        if let d = Double(t), t.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) { return .double(d) }
        return .string(text)
    }
}
