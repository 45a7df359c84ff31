// ParamChecker: checks a param value against its declared type, with the few safe coercions
// (an int where a number is expected, a scalar where a string is expected), and that path params
// are literal paths.

public enum ParamChecker {
    /// Refuses a path (or path map) param holding a runtime placeholder such as `${inputs.x}`:
    /// only a command's `run:` line fills those in, so the path would name no file. `inputs`
    /// (the kind's declared inputs) are suggested instead.
    public static func checkLiteralPaths(_ v: Value, as type: ParamType, field: String, at location: SourceLocation,
                                         inputs: [InputSpec]?) throws {
        let paths: [(String, String)]
        switch type {
        case .path: paths = [(field, v.description)]
        case .pathMap: paths = (v.mapValue ?? []).map { ("\(field).\($0.0)", $0.1.description) }
        default: return
        }
        for (name, path) in paths {
            guard let start = path.range(of: "${"), let end = path[start.upperBound...].firstIndex(of: "}"),
                  Template.isRuntimePlaceholder(String(path[start.upperBound..<end])) else { continue }
            let placeholder = String(path[start.lowerBound...end])
            var problem = "'\(placeholder)' is filled in only in a command's run line, so this path would name no file; "
                + "a path param is a literal path relative to the pipeline file (vars and matrix values may appear in it)"
            if let names = inputs?.map(\.name), !names.isEmpty {
                problem += "; to read another stage's output, wire it as an input: "
                    + names.map { "inputs: {\($0): STAGE}" }.joined(separator: " or ")
            }
            throw PipelineError.invalidValue(location, field: name, problem: problem)
        }
    }

    /// Returns the value converted to `type`, or throws `wrongType` naming `field` at `location`.
    public static func check(_ v: Value, as type: ParamType, field: String, at location: SourceLocation) throws -> Value {
        func fail() -> PipelineError {
            .wrongType(location, field: field, expected: type.withArticle, got: v == .null ? "null" : "\(v.typeName) '\(PipelineError.excerpt(v.description))'")
        }
        switch type {
        case .any:
            return v
        case .string, .path, .command:
            switch v {
            case .string: return v
            case .int, .double, .bool: return .string(v.description)
            default: throw fail()
            }
        case .int:
            if case .int = v { return v }
            if case let .string(s) = v, let i = Int(s) { return .int(i) }
            throw fail()
        case .double:
            if let d = v.doubleValue { return .double(d) }
            if case let .string(s) = v, let d = Double(s) { return .double(d) }
            throw fail()
        case .bool:
            if case .bool = v { return v }
            if case let .string(s) = v, s == "true" || s == "false" { return .bool(s == "true") }
            throw fail()
        case .list:
            if case .list = v { return v }
            throw fail()
        case .map:
            if case .map = v { return v }
            if v == .null { return .map([]) }
            throw fail()
        case .stringList:
            if v == .null { return .list([]) }
            if case let .string(s) = v { return .list([.string(s)]) }
            guard case let .list(items) = v else { throw fail() }
            return .list(try items.map { item in
                switch item {
                case .string, .int, .double, .bool: return .string(item.description)
                default: throw fail()
                }
            })
        case .stringMap, .pathMap:
            if v == .null { return .map([]) }
            guard case let .map(pairs) = v else { throw fail() }
            return .map(try pairs.map { k, item in
                switch item {
                case .string, .int, .double, .bool: return (k, .string(item.description))
                default: throw fail()
                }
            })
        case let .choice(options):
            guard case .string(let s) = v, options.contains(s) else {
                throw PipelineError.invalidValue(location, field: field,
                                                 problem: "'\(v)' is not one of \(options.joined(separator: ", "))"
                                                 + (suggestion(for: v.description, among: options).map { "; did you mean '\($0)'?" } ?? ""))
            }
            return v
        }
    }
}
