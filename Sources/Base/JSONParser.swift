// JSONParser: the one JSON reader, producing `JSONValue` (ints stay ints, objects keep their key
// order), and the pretty writer. Records, indexes, summaries, safetensors headers and JSONL rows
// all go through it.

/// A JSON syntax error with its byte offset.
public struct JSONError: Error, CustomStringConvertible {
    public var offset: Int
    public var problem: String
    public var description: String { "invalid JSON at byte \(offset): \(problem)" }
}

extension JSONValue {
    /// Parses JSON text. Objects keep their key order.
    public static func parseJSON(_ text: String) throws -> JSONValue {
        var bytes = Array(text.utf8)
        bytes.append(0)
        var p = JSONParser(bytes: bytes)
        p.skipSpace()
        let v = try p.value(depth: 0)
        p.skipSpace()
        guard p.i == p.bytes.count - 1 else { throw JSONError(offset: p.i, problem: "trailing characters") }
        return v
    }

    /// Parses JSON bytes.
    public static func parseJSON(bytes: [UInt8]) throws -> JSONValue {
        try parseJSON(String(decoding: bytes, as: UTF8.self))
    }

    /// Indented JSON with keys in their stored order, for files people read.
    public func prettyJSON(indent: String = "") -> String {
        switch self {
        case .list(let items) where !items.isEmpty:
            let inner = indent + "  "
            return "[\n" + items.map { inner + $0.prettyJSON(indent: inner) }.joined(separator: ",\n") + "\n\(indent)]"
        case .map(let pairs) where !pairs.isEmpty:
            let inner = indent + "  "
            return "{\n" + pairs.map { k, v in
                var key = ""
                JSONValue.writeJSONString(k, into: &key)
                return inner + key + ": " + v.prettyJSON(indent: inner)
            }.joined(separator: ",\n") + "\n\(indent)}"
        case .list: return "[]"
        case .map: return "{}"
        default: return canonicalJSON
        }
    }
}

struct JSONParser {
    var bytes: [UInt8]
    var i = 0

    mutating func skipSpace() {
        while true {
            switch bytes[i] {
            case 0x20, 0x0A, 0x0D, 0x09: i += 1
            default: return
            }
        }
    }

    mutating func expect(_ word: String, _ v: JSONValue) throws -> JSONValue {
        for b in word.utf8 {
            guard bytes[i] == b else { throw JSONError(offset: i, problem: "expected \(word)") }
            i += 1
        }
        return v
    }

    mutating func value(depth: Int) throws -> JSONValue {
        guard depth < 512 else { throw JSONError(offset: i, problem: "nesting too deep") }
        switch bytes[i] {
        case UInt8(ascii: "{"):
            i += 1
            var pairs: [(String, JSONValue)] = []
            skipSpace()
            if bytes[i] == UInt8(ascii: "}") { i += 1; return .map(pairs) }
            while true {
                skipSpace()
                guard bytes[i] == UInt8(ascii: "\"") else { throw JSONError(offset: i, problem: "expected a key") }
                let k = try string()
                skipSpace()
                guard bytes[i] == UInt8(ascii: ":") else { throw JSONError(offset: i, problem: "expected ':'") }
                i += 1
                skipSpace()
                pairs.append((k, try value(depth: depth + 1)))
                skipSpace()
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "}") { i += 1; return .map(pairs) }
                throw JSONError(offset: i, problem: "expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            i += 1
            var items: [JSONValue] = []
            skipSpace()
            if bytes[i] == UInt8(ascii: "]") { i += 1; return .list(items) }
            while true {
                skipSpace()
                items.append(try value(depth: depth + 1))
                skipSpace()
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "]") { i += 1; return .list(items) }
                throw JSONError(offset: i, problem: "expected ',' or ']'")
            }
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try expect("true", .bool(true))
        case UInt8(ascii: "f"): return try expect("false", .bool(false))
        case UInt8(ascii: "n"): return try expect("null", .null)
        default: return try number()
        }
    }

    mutating func number() throws -> JSONValue {
        let start = i
        var isInt = true
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        while true {
            let c = bytes[i]
            if c >= 0x30 && c <= 0x39 { i += 1; continue }
            if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E")
                || c == UInt8(ascii: "+") || (c == UInt8(ascii: "-") && i > start) {
                isInt = false; i += 1; continue
            }
            break
        }
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        if isInt, let n = Int(text) { return .int(n) }
        if let d = Double(text), !text.isEmpty { return .double(d) }
        throw JSONError(offset: start, problem: "unexpected character")
    }

    mutating func string() throws -> String {
        i += 1
        var out = [UInt8]()
        while true {
            let c = bytes[i]
            switch c {
            case 0 where i == bytes.count - 1: throw JSONError(offset: i, problem: "unterminated string")
            case UInt8(ascii: "\""): i += 1; return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                i += 1
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code), bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                        i += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw JSONError(offset: i - 6, problem: "bad \\u escape: a high surrogate followed by something other than a low one") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    out.append(contentsOf: Array(String(Character(Unicode.Scalar(code) ?? "\u{FFFD}")).utf8))
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                default: throw JSONError(offset: i - 2, problem: "bad escape '\\\(Character(Unicode.Scalar(e)))' in a string")
                }
            case 0..<0x20:
                throw JSONError(offset: i, problem: "control character \(c) unescaped in a string")
            default:
                out.append(c)
                i += 1
            }
        }
    }

    mutating func hex4() throws -> UInt32 {
        guard i + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[i..<i + 4], as: UTF8.self), radix: 16) else {
            throw JSONError(offset: i, problem: "bad \\u escape")
        }
        i += 4
        return v
    }
}
