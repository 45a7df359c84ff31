// PipelineError: every error madpipe reports about pipelines, params, stages and the store.
// All user-facing error text is composed here, in `description`, and nowhere else.

/// An error with the place it refers to. `description` is the full user-facing message,
/// starting with `FILE:LINE:COL:` when a location is known.
public enum PipelineError: Error, CustomStringConvertible, Equatable {
    // Reading files
    case fileNotFound(path: String, reason: String)
    case yamlSyntax(SourceLocation, problem: String)
    case duplicateKey(SourceLocation, key: String)
    case yamlTooLarge(SourceLocation, nodes: Int)
    case includeCycle(SourceLocation, chain: [String])
    /// A string holds U+0000, which every C API (exec, environment, paths) would cut it at.
    case nulCharacter(SourceLocation)
    /// Bytes that are not UTF-8, located at the first invalid byte.
    case invalidUTF8(SourceLocation)
    // Structure and types
    case wrongType(SourceLocation, field: String, expected: String, got: String)
    case unknownKey(SourceLocation, key: String, within: String, suggestion: String?)
    case missingField(SourceLocation, field: String, within: String)
    case invalidValue(SourceLocation, field: String, problem: String)
    // Names
    case unknownKind(SourceLocation, kind: String, suggestion: String?)
    case unknownParam(SourceLocation, kind: String, param: String, suggestion: String?)
    case unknownAxis(SourceLocation, axis: String, suggestion: String?)
    case unknownStage(SourceLocation, name: String, suggestion: String?)
    case unknownVariable(SourceLocation, name: String, suggestion: String?)
    /// A template reference names a matrix axis that its stage does not sweep (not in `over`).
    case axisNotSwept(SourceLocation, reference: String, axis: String, stage: String)
    case unknownAxisValue(SourceLocation, axis: String, value: String, suggestion: String?)
    case emptyMatrix(SourceLocation, detail: String)
    /// A stage's matrix would take the plan past `Planner.instanceLimit` instances; a count of
    /// nil is beyond what an Int holds.
    case tooManyInstances(SourceLocation, stage: String, instances: Int?, total: Int?, limit: Int)
    case noMatchingInstance(SourceLocation, reference: String, instance: String)
    case cycle(SourceLocation, path: [String])
    case badOverride(text: String, problem: String)
    // Running
    case stageFailed(stage: String, reason: String, logTail: String, logPath: String?)
    case store(path: String, problem: String)
    case interrupted

    public var location: SourceLocation? {
        switch self {
        case let .yamlSyntax(l, _), let .duplicateKey(l, _), let .yamlTooLarge(l, _), let .includeCycle(l, _),
             let .nulCharacter(l), let .invalidUTF8(l), let .tooManyInstances(l, _, _, _, _),
             let .wrongType(l, _, _, _), let .unknownKey(l, _, _, _), let .missingField(l, _, _),
             let .invalidValue(l, _, _), let .unknownKind(l, _, _), let .unknownParam(l, _, _, _),
             let .unknownAxis(l, _, _), let .unknownStage(l, _, _), let .unknownVariable(l, _, _),
             let .axisNotSwept(l, _, _, _),
             let .unknownAxisValue(l, _, _, _), let .emptyMatrix(l, _), let .noMatchingInstance(l, _, _),
             let .cycle(l, _):
            return l
        default:
            return nil
        }
    }

    public var description: String {
        let prefix = location.map { "\($0): " } ?? ""
        return prefix + message
    }

    /// True for mistakes on the command line rather than in a file (exit code 2).
    public var isUsageError: Bool {
        if case .badOverride = self { return true }
        return false
    }

    private static func hint(_ s: String?) -> String {
        s.map { "; did you mean '\($0)'?" } ?? ""
    }

    /// At most `limit` characters of the first line of `s`, marked with `...` when cut: how an
    /// error quotes a value, which may be a whole file that was never meant to be a pipeline.
    public static func excerpt(_ s: String, limit: Int = 40) -> String {
        let line = s.prefix { $0 != "\n" && $0 != "\r" }
        return line.count <= limit && line.count == s.count ? s : String(line.prefix(limit)) + "..."
    }

    private static func count(_ n: Int?) -> String { n.map(String.init) ?? "more than \(Int.max)" }

    /// The message without its location prefix.
    public var message: String {
        switch self {
        case let .fileNotFound(path, reason):
            return "cannot read '\(path)': \(reason)"
        case let .yamlSyntax(_, problem):
            return "YAML syntax error: \(problem)"
        case let .duplicateKey(_, key):
            return "duplicate key '\(key)' (each key may appear once in a mapping)"
        case let .yamlTooLarge(_, nodes):
            return "document expands to more than \(nodes) nodes (alias expansion bomb?); refusing to read it"
        case let .includeCycle(_, chain):
            return "include cycle: \(chain.joined(separator: " -> "))"
        case .nulCharacter:
            return "a string here holds a NUL character (\\0), which would silently cut it short; remove it"
        case .invalidUTF8:
            return "the file is not valid UTF-8 (first invalid byte here); save it as UTF-8"
        case let .wrongType(_, field, expected, got):
            return "field '\(field)' must be \(expected), not \(got)"
        case let .unknownKey(_, key, within, s):
            return "unknown key '\(Self.excerpt(key))' in \(within)\(Self.hint(s))"
        case let .missingField(_, field, within):
            return "missing required field '\(field)' in \(within)"
        case let .invalidValue(_, field, problem):
            return "invalid '\(field)': \(problem)"
        case let .unknownKind(_, kind, s):
            return "unknown stage kind '\(kind)'\(Self.hint(s)) (run 'madpipe kinds' to list them)"
        case let .unknownParam(_, kind, param, s):
            return "unknown param '\(param)' for stage kind '\(kind)'\(Self.hint(s))"
        case let .unknownAxis(_, axis, s):
            return "unknown matrix axis '\(axis)'\(Self.hint(s))"
        case let .unknownStage(_, name, s):
            return "reference to unknown stage '\(name)'\(Self.hint(s))"
        case let .unknownVariable(_, name, s):
            return "unknown variable '${\(name)}'\(Self.hint(s))"
        case let .axisNotSwept(_, reference, axis, stage):
            return "'${\(reference)}' uses matrix axis '\(axis)', which stage '\(stage)' does not sweep: add it to the stage's over"
        case let .unknownAxisValue(_, axis, value, s):
            return "axis '\(axis)' has no value '\(value)'\(Self.hint(s))"
        case let .emptyMatrix(_, detail):
            return "empty matrix: \(detail)"
        case let .tooManyInstances(_, stage, instances, total, limit):
            return "stage '\(stage)' expands to \(Self.count(instances)) instances, which takes the pipeline to "
                + "\(Self.count(total)); a pipeline may have at most \(limit) stage instances (counted before "
                + "matrix.exclude): sweep fewer axes or values, or split the sweep into several pipelines"
        case let .noMatchingInstance(_, reference, instance):
            return "reference '\(reference)' matches no stage instance for \(instance)"
        case let .cycle(_, path):
            return "dependency cycle: \(path.joined(separator: " -> "))"
        case let .badOverride(text, problem):
            return "bad parameter override '\(text)': \(problem)"
        case let .stageFailed(stage, reason, tail, logPath):
            var s = "stage \(stage) failed: \(reason)"
            if let logPath { s += "\n  log: \(logPath)" }
            if !tail.isEmpty {
                s += "\n  last lines of its log:\n" + tail.split(separator: "\n", omittingEmptySubsequences: false)
                    .map { "    | " + $0 }.joined(separator: "\n")
            }
            return s
        case let .store(path, problem):
            return "cache problem at '\(path)': \(problem)"
        case .interrupted:
            return "interrupted"
        }
    }
}
