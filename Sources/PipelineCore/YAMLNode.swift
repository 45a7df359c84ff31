// YAMLNode: a YAML document read through Yams (libyaml) into a small tree whose every node
// knows its file, line and column. Guards against alias-expansion bombs and duplicate keys.

import Foundation
import Yams

/// A YAML node with its location. Scalars are resolved with the YAML 1.2 core schema when plain
/// (unquoted) and kept as strings when quoted.
public indirect enum YAMLNode {
    case scalar(Value, SourceLocation)
    case mapping([(key: Located<String>, value: YAMLNode)], SourceLocation)
    case sequence([YAMLNode], SourceLocation)

    public var location: SourceLocation {
        switch self {
        case let .scalar(_, l), let .mapping(_, l), let .sequence(_, l): return l
        }
    }

    /// The node's type as error messages name it.
    public var typeName: String {
        switch self {
        case let .scalar(v, _): return v.typeName
        case .mapping: return "map"
        case .sequence: return "list"
        }
    }

    /// Converts to a plain `Value` (locations dropped).
    public var value: Value {
        switch self {
        case let .scalar(v, _): return v
        case let .sequence(items, _): return .list(items.map(\.value))
        case let .mapping(pairs, _): return .map(pairs.map { ($0.key.value, $0.value.value) })
        }
    }

    /// The most nodes a document may expand to. Ordinary pipelines have a few thousand; an
    /// alias bomb ("billion laughs") has billions.
    public static let nodeLimit = 200_000

    /// Parses YAML text. `file` is used in locations only.
    public static func parse(_ text: String, file: String) throws -> YAMLNode {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text, Resolver.basic)
        } catch let e as YamlError {
            throw convert(e, text: text, file: file)
        }
        guard let root else { return .mapping([], SourceLocation(file: file, line: 1, column: 1)) }
        var budget = nodeLimit
        return try convert(root, file: file, budget: &budget)
    }

    /// Reads and parses a file.
    public static func load(path: String) throws -> YAMLNode {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "not readable" : "no such file"
            throw PipelineError.fileNotFound(path: path, reason: reason)
        }
        if let bad = firstInvalidUTF8(data, file: path) { throw PipelineError.invalidUTF8(bad) }
        return try parse(String(decoding: data, as: UTF8.self), file: path)
    }

    /// The line and column (counted in characters, as YAML counts them) of the first byte of
    /// `data` that is not UTF-8, or nil when all of it is.
    static func firstInvalidUTF8(_ data: Data, file: String) -> SourceLocation? {
        var parser = Unicode.UTF8.ForwardParser()
        var bytes = data.makeIterator()
        var line = 1, column = 1
        while true {
            switch parser.parseScalar(from: &bytes) {
            case .valid(let scalar):
                if scalar.count == 1 && scalar.first == UInt8(ascii: "\n") { line += 1; column = 1 } else { column += 1 }
            case .emptyInput:
                return nil
            case .error:
                return SourceLocation(file: file, line: line, column: column)
            }
        }
    }

    /// Line and column of the character `offset` characters into `text`.
    static func location(ofCharacter offset: Int, in text: String, file: String) -> SourceLocation {
        let end = text.index(text.startIndex, offsetBy: offset, limitedBy: text.endIndex) ?? text.endIndex
        var line = 1, column = 1
        for c in text[..<end] {
            if c == "\n" || c == "\r\n" { line += 1; column = 1 } else { column += 1 }
        }
        return SourceLocation(file: file, line: line, column: column)
    }

    static func convert(_ e: YamlError, text: String, file: String) -> PipelineError {
        switch e {
        case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
            return .yamlSyntax(SourceLocation(file: file, line: mark.line, column: mark.column), problem: problem)
        case let .duplicatedKeysInMapping(duplicates, context):
            let key = duplicates.first ?? "?"
            let loc = locateDuplicate(key: key, after: context.mark.line, in: text, file: file)
                ?? SourceLocation(file: file, line: context.mark.line, column: context.mark.column)
            return .duplicateKey(loc, key: key)
        case let .reader(problem, offset, _, _):
            return .yamlSyntax(offset.map { location(ofCharacter: $0, in: text, file: file) } ?? SourceLocation(file: file), problem: problem)
        default:
            return .yamlSyntax(SourceLocation(file: file), problem: "\(e)")
        }
    }

    /// Finds the second line at or after `line` that defines `key:` at the same indentation as the
    /// first, so a duplicate key error points at the duplicate rather than at its mapping.
    static func locateDuplicate(key: String, after line: Int, in text: String, file: String) -> SourceLocation? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var firstIndent: Int?
        var i = max(0, line - 1)
        while i < lines.count {
            let l = lines[i]
            let indent = l.prefix(while: { $0 == " " }).count
            let rest = l.dropFirst(indent)
            for candidate in [key, "\"\(key)\"", "'\(key)'"] where rest.hasPrefix(candidate + ":") {
                if let f = firstIndent {
                    if f == indent { return SourceLocation(file: file, line: i + 1, column: indent + 1) }
                } else {
                    firstIndent = indent
                }
            }
            i += 1
        }
        return nil
    }

    static func convert(_ node: Node, file: String, budget: inout Int) throws -> YAMLNode {
        budget -= 1
        let loc = SourceLocation(file: file, line: node.mark?.line ?? 0, column: node.mark?.column ?? 0)
        guard budget >= 0 else { throw PipelineError.yamlTooLarge(loc, nodes: nodeLimit) }
        switch node {
        case let .scalar(s):
            if s.string.utf8.contains(0) { throw PipelineError.nulCharacter(loc) }
            return .scalar(s.style == .plain ? resolvePlain(s.string) : .string(s.string), loc)
        case let .sequence(seq):
            var items: [YAMLNode] = []
            items.reserveCapacity(seq.count)
            for n in seq { items.append(try convert(n, file: file, budget: &budget)) }
            return .sequence(items, loc)
        case let .mapping(map):
            var pairs: [(key: Located<String>, value: YAMLNode)] = []
            var seen = Set<String>()
            for (k, v) in map {
                let kl = SourceLocation(file: file, line: k.mark?.line ?? 0, column: k.mark?.column ?? 0)
                guard case let .scalar(ks) = k else {
                    throw PipelineError.wrongType(kl, field: "key", expected: "a plain string", got: "a complex key")
                }
                if ks.string == "<<" {
                    // Merge key: copy the entries of the aliased map(s) that are not set here.
                    let merged = try convert(v, file: file, budget: &budget)
                    let sources: [YAMLNode]
                    if case let .sequence(items, _) = merged { sources = items } else { sources = [merged] }
                    for src in sources {
                        guard case let .mapping(mp, _) = src else {
                            throw PipelineError.wrongType(kl, field: "<<", expected: "a map or list of maps", got: src.typeName)
                        }
                        for p in mp where !map.keys.contains(where: { $0.string == p.key.value }) && !seen.contains(p.key.value) {
                            seen.insert(p.key.value)
                            pairs.append(p)
                        }
                    }
                    continue
                }
                if ks.string.utf8.contains(0) { throw PipelineError.nulCharacter(kl) }
                guard seen.insert(ks.string).inserted else { throw PipelineError.duplicateKey(kl, key: ks.string) }
                pairs.append((Located(ks.string, kl), try convert(v, file: file, budget: &budget)))
            }
            return .mapping(pairs, loc)
        case .alias:
            return .scalar(.null, loc)
        }
    }

    /// YAML 1.2 core-schema resolution of a plain scalar.
    static func resolvePlain(_ s: String) -> Value {
        switch s {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf": return .double(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .double(-.infinity)
        case ".nan", ".NaN", ".NAN": return .double(.nan)
        default: break
        }
        if let i = Int(s) { return .int(i) }
        if s.hasPrefix("0x"), let i = Int(s.dropFirst(2), radix: 16) { return .int(i) }
        if let first = s.first, first.isNumber || first == "-" || first == "+" || first == ".",
           let d = Double(s) { return .double(d) }
        return .string(s)
    }
}
