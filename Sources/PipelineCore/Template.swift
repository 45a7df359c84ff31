// Template: `${name}` substitution of vars and axis values inside params and commands, and
// `${name[key]}` lookups in map vars keyed by another name's value. Runtime placeholders
// (`${inputs.X}`, `${deps.X}`, `${work}`, `${out}`) are left for the stage.

/// Substitutes `${name}` references. `$$` writes a literal `$`. In a shell command line each
/// value is quoted as one shell word (`Shell.quote`); `${raw:name}` pastes it unquoted.
/// `${name[key]}` reads the entry of map var `name` named by the value of axis or var `key`
/// (`${lr[dataset]}` with `lr: {addition: 0.001, ...}`); lookups chain (`${lr[recipe][dataset]}`).
public struct Template {
    /// Values visible to templates: axis values first, then vars.
    public var scope: [String: Value]
    /// The stage whose params are substituted, and the pipeline's matrix axes: an axis missing
    /// from `scope` is one the stage does not sweep, and is reported as such.
    public var stage: String?
    public var axes: Set<String>

    public init(scope: [String: Value], stage: String? = nil, axes: Set<String> = []) {
        self.scope = scope
        self.stage = stage
        self.axes = axes
    }

    /// Placeholders a stage fills in when it runs; never part of a cache key's variation.
    public static func isRuntimePlaceholder(_ name: String) -> Bool {
        name.hasPrefix("inputs.") || name.hasPrefix("deps.") || name == "work" || name == "out"
    }

    /// The prefix of an unquoted reference in a shell command line: `${raw:name}`.
    public static let rawPrefix = "raw:"

    /// Applies the template to every string inside `value`. With `shell`, strings are shell
    /// command lines: substituted values are quoted for the shell and keep no type of their own.
    public func apply(_ value: Value, at location: SourceLocation, shell: Bool = false) throws -> Value {
        switch value {
        case let .string(s): return try apply(string: s, at: location, shell: shell)
        case let .list(items): return .list(try items.map { try apply($0, at: location, shell: shell) })
        case let .map(pairs): return .map(try pairs.map { ($0.0, try apply($0.1, at: location, shell: shell)) })
        default: return value
        }
    }

    /// A string that is exactly one `${name}` takes that value's type (not in a shell command
    /// line); otherwise the result is a string with each reference replaced by its text.
    public func apply(string s: String, at location: SourceLocation, shell: Bool = false) throws -> Value {
        guard s.contains("$") else { return .string(s) }
        if !shell, s.hasPrefix("${"), s.hasSuffix("}"), s.dropFirst(2).firstIndex(of: "}") == s.index(before: s.endIndex) {
            var name = String(s.dropFirst(2).dropLast())
            if name.hasPrefix(Template.rawPrefix) { name.removeFirst(Template.rawPrefix.count) }
            if let v = try resolve(name, in: s, at: location) { return v }
        }
        var out = ""
        var i = s.startIndex
        while i < s.endIndex {
            let c = s[i]
            let next = s.index(after: i)
            if c == "$", next < s.endIndex, s[next] == "$" {
                out.append("$")
                i = s.index(after: next)
            } else if c == "$", next < s.endIndex, s[next] == "{" {
                guard let close = s[next...].firstIndex(of: "}") else {
                    throw PipelineError.invalidValue(location, field: "template", problem: "unclosed '${' in \"\(s)\"")
                }
                var name = String(s[s.index(after: next)..<close])
                let raw = name.hasPrefix(Template.rawPrefix)
                if raw { name.removeFirst(Template.rawPrefix.count) }
                if let v = try resolve(name, in: s, at: location) {
                    out += shell && !raw ? Shell.quote(v.description) : v.description
                } else if Template.isRuntimePlaceholder(name) {
                    if raw {
                        throw PipelineError.invalidValue(location, field: "template", problem:
                            "'${raw:\(name)}': raw applies to vars and matrix values; '${\(name)}' is always quoted when the stage runs")
                    }
                    out += "${\(name)}"
                } else {
                    throw undefined(name, in: name, at: location)
                }
                i = s.index(after: close)
            } else {
                out.append(c)
                i = next
            }
        }
        return .string(out)
    }

    /// The value of `name` or of a lookup `base[key]...`; nil for an unknown plain name (the
    /// caller decides whether it is a runtime placeholder). A lookup that cannot be made throws.
    func resolve(_ name: String, in text: String, at location: SourceLocation) throws -> Value? {
        let (base, keys) = VarPath.split(name)
        if keys.isEmpty { return scope[name] }
        guard var value = scope[base] else { throw undefined(base, in: name, at: location) }
        var path = base
        for key in keys {
            guard let keyValue = scope[key] else { throw undefined(key, in: name, at: location) }
            guard let entries = value.mapValue else {
                throw PipelineError.invalidValue(location, field: "template", problem:
                    "'${\(name)}' in \"\(text)\": '\(path)' is not a map, so it has no entry for \(key)=\(keyValue)")
            }
            let wanted = keyValue.description
            guard let entry = entries.first(where: { $0.0 == wanted })?.1 else {
                throw PipelineError.invalidValue(location, field: "template", problem:
                    "'${\(name)}' in \"\(text)\": '\(path)' has no entry '\(wanted)' (for \(key)=\(wanted)); its entries: "
                    + entries.map(\.0).joined(separator: ", "))
            }
            value = entry
            path += "[\(key)]"
        }
        return value
    }

    /// The error for `name`, which nothing in scope defines, met in reference `${reference}`.
    func undefined(_ name: String, in reference: String, at location: SourceLocation) -> PipelineError {
        if let stage, axes.contains(name) {
            return .axisNotSwept(location, reference: reference, axis: name, stage: stage)
        }
        return .unknownVariable(location, name: name, suggestion: suggestion(for: name, among: Array(scope.keys).sorted()))
    }
}
