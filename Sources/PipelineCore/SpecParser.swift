// SpecParser: turns the YAML tree of a pipeline file (and the files it includes) into a
// PipelineSpec, checking structure and types and naming FILE:LINE:COL for every problem.

import Foundation

public enum SpecParser {
    static let topLevelKeys = ["pipeline", "description", "include", "vars", "matrix", "stages", "outputs", "executor"]
    static let stageKeys = ["kind", "description", "over", "inputs", "params", "resources", "exclude"]
    static let resourceKeys = ["cpus", "memory", "time", "gres", "gpus"]

    /// Reads a pipeline file and everything it includes.
    public static func load(path: String) throws -> PipelineSpec {
        let abs = absolutePath(path)
        var spec = PipelineSpec(name: "", file: abs, directory: (abs as NSString).deletingLastPathComponent)
        var chain: [String] = []
        var nameSet = false
        try read(file: abs, into: &spec, chain: &chain, isMain: true, nameSet: &nameSet)
        if !nameSet {
            throw PipelineError.missingField(SourceLocation(file: abs, line: 1, column: 1), field: "pipeline", within: "the pipeline file")
        }
        guard !spec.stages.isEmpty else {
            throw PipelineError.missingField(SourceLocation(file: abs, line: 1, column: 1), field: "stages", within: "the pipeline file")
        }
        return spec
    }

    /// Parses pipeline text (for tests and tools); `file` names it in locations.
    public static func parse(_ text: String, file: String) throws -> PipelineSpec {
        let root = try YAMLNode.parse(text, file: file)
        var spec = PipelineSpec(name: "", file: file, directory: (file as NSString).deletingLastPathComponent)
        var chain = [file]
        var nameSet = false
        try merge(root, file: file, into: &spec, chain: &chain, isMain: true, nameSet: &nameSet)
        if !nameSet {
            throw PipelineError.missingField(SourceLocation(file: file, line: 1, column: 1), field: "pipeline", within: "the pipeline file")
        }
        return spec
    }

    static func absolutePath(_ p: String) -> String {
        let path = p.hasPrefix("/") ? p : FileManager.default.currentDirectoryPath + "/" + p
        return URL(fileURLWithPath: path).standardizedFileURL.path
    }

    static func read(file: String, into spec: inout PipelineSpec, chain: inout [String], isMain: Bool, nameSet: inout Bool,
                     includedAt: SourceLocation? = nil) throws {
        if chain.contains(file) {
            throw PipelineError.includeCycle(includedAt ?? SourceLocation(file: file), chain: chain + [file])
        }
        let root: YAMLNode
        do {
            root = try YAMLNode.load(path: file)
        } catch let PipelineError.fileNotFound(path, reason) where includedAt != nil {
            throw PipelineError.invalidValue(includedAt!, field: "include", problem: "cannot read '\(path)': \(reason)")
        }
        if let includedAt {
            switch root {
            case .mapping: break
            case .scalar(.null, _): break
            default:
                // Name the file and what it holds, never its text: it may be any file at all.
                throw PipelineError.invalidValue(includedAt, field: "include",
                                                 problem: "'\(file)' is not a pipeline file: it holds a \(root.typeName), not a map of pipeline keys")
            }
        }
        if !isMain, !spec.files.contains(file) { spec.files.append(file) }
        chain.append(file)
        try merge(root, file: file, into: &spec, chain: &chain, isMain: isMain, nameSet: &nameSet)
        chain.removeLast()
    }

    static func merge(_ root: YAMLNode, file: String, into spec: inout PipelineSpec, chain: inout [String],
                      isMain: Bool, nameSet: inout Bool) throws {
        let top = try mapping(root, field: "the pipeline file")
        for (key, node) in top {
            switch key.value {
            case "pipeline":
                if isMain { spec.name = try identifier(node, field: "pipeline"); nameSet = true }
            case "description":
                if isMain { spec.description = try string(node, field: "description") }
            case "include":
                let dir = (file as NSString).deletingLastPathComponent
                for item in try sequence(node, field: "include", allowScalar: true) {
                    let rel = try string(item, field: "include")
                    let path = URL(fileURLWithPath: rel.hasPrefix("/") ? rel : dir + "/" + rel).standardizedFileURL.path
                    try read(file: path, into: &spec, chain: &chain, isMain: false, nameSet: &nameSet, includedAt: item.location)
                }
            case "vars":
                for (k, v) in try mapping(node, field: "vars") {
                    try checkIdentifier(k, field: "vars")
                    if let i = spec.vars.firstIndex(where: { $0.name == k.value }) {
                        spec.vars[i].value = Located(v.value, v.location)
                    } else {
                        spec.vars.append((k.value, Located(v.value, v.location)))
                    }
                }
            case "matrix":
                try parseMatrix(node, into: &spec)
            case "stages":
                for (k, v) in try mapping(node, field: "stages") {
                    try checkIdentifier(k, field: "stages")
                    if let existing = spec.stage(named: k.value) {
                        throw PipelineError.invalidValue(k.location, field: "stages",
                                                         problem: "stage '\(k.value)' is already defined at \(existing.location)")
                    }
                    spec.stages.append(try parseStage(name: k, node: v))
                }
            case "outputs":
                for (k, v) in try mapping(node, field: "outputs") {
                    let ref = try string(v, field: "outputs.\(k.value)")
                    for (text, loc, field) in [(k.value, k.location, "outputs"), (ref, v.location, "outputs.\(k.value)")] where text.contains("${") {
                        throw PipelineError.invalidValue(loc, field: field, problem: "'\(text)' uses '${...}', but outputs are not templated; write the name and the reference out")
                    }
                    if let problem = RelativePath.problem(k.value) {
                        throw PipelineError.invalidValue(k.location, field: "outputs", problem: "output name '\(k.value)' must be a relative path inside results/\(spec.name.isEmpty ? "<pipeline>" : spec.name)/: \(problem)")
                    }
                    if let (_, earlier) = RelativePath.overlap(in: spec.outputs.map(\.name) + [k.value]) {
                        throw PipelineError.invalidValue(k.location, field: "outputs", problem: "output name '\(k.value)' overlaps '\(earlier)': publish each path once")
                    }
                    spec.outputs.append(OutputSpec(name: k.value, reference: Located(ref, v.location)))
                }
            case "executor":
                if case .scalar(let v, _) = node {
                    spec.executor = [("kind", v)]
                } else {
                    spec.executor = try mapping(node, field: "executor").map { ($0.key.value, $0.value.value) }
                }
            default:
                throw PipelineError.unknownKey(key.location, key: key.value, within: "the pipeline file",
                                               suggestion: suggestion(for: key.value, among: topLevelKeys))
            }
        }
    }

    /// An `exclude:` list (the matrix's or a stage's): each entry a map of axis -> value.
    static func excludeEntries(_ node: YAMLNode, field: String) throws -> [Located<[(String, Value)]>] {
        try sequence(node, field: field).map { item in
            Located(try mapping(item, field: field + " entry").map { ($0.key.value, $0.value.value) }, item.location)
        }
    }

    static func parseMatrix(_ node: YAMLNode, into spec: inout PipelineSpec) throws {
        for (k, v) in try mapping(node, field: "matrix") {
            if k.value == "exclude" {
                spec.excludes += try excludeEntries(v, field: "matrix.exclude")
                continue
            }
            try checkIdentifier(k, field: "matrix")
            let items = try sequence(v, field: "matrix.\(k.value)")
            if items.isEmpty {
                throw PipelineError.emptyMatrix(v.location, detail: "axis '\(k.value)' has no values")
            }
            var values: [Located<Value>] = []
            var seen = Set<String>()
            for item in items {
                guard case let .scalar(val, loc) = item, val != .null else {
                    throw PipelineError.wrongType(item.location, field: "matrix.\(k.value)", expected: "a list of scalars", got: "a list containing a \(item.typeName)")
                }
                if !seen.insert(val.description).inserted {
                    throw PipelineError.invalidValue(loc, field: "matrix.\(k.value)", problem: "value '\(val)' appears twice")
                }
                values.append(Located(val, loc))
            }
            if let i = spec.axes.firstIndex(where: { $0.name == k.value }) {
                spec.axes[i] = Axis(name: k.value, values: values, location: k.location)
            } else {
                spec.axes.append(Axis(name: k.value, values: values, location: k.location))
            }
        }
    }

    static func parseStage(name: Located<String>, node: YAMLNode) throws -> StageSpec {
        let fields = try mapping(node, field: "stages.\(name.value)")
        let within = "stage '\(name.value)'"
        guard let kindNode = fields.first(where: { $0.key.value == "kind" })?.value else {
            throw PipelineError.missingField(name.location, field: "kind", within: within)
        }
        var stage = StageSpec(name: name.value, location: name.location,
                              kind: Located(try string(kindNode, field: "kind"), kindNode.location),
                              description: "", over: [], inputs: [], params: [], resources: Resources())
        for (key, value) in fields {
            switch key.value {
            case "kind": break
            case "description": stage.description = try string(value, field: "description")
            case "over":
                stage.over = try sequence(value, field: "over", allowScalar: true).map {
                    Located(try string($0, field: "over"), $0.location)
                }
            case "inputs":
                if case .sequence(let items, _) = value {
                    for item in items {
                        let ref = try string(item, field: "inputs")
                        if ref.contains("${") {
                            throw PipelineError.invalidValue(item.location, field: "inputs", problem:
                                "a list entry is named after the stage it reads, so that stage cannot be templated ('\(ref)'); use the map form, name: reference")
                        }
                        stage.inputs.append((StageReference.stageName(of: ref), Located(ref, item.location)))
                    }
                } else {
                    for (k, v) in try mapping(value, field: "inputs") {
                        stage.inputs.append((k.value, Located(try string(v, field: "inputs.\(k.value)"), v.location)))
                    }
                }
            case "params":
                for (k, v) in try mapping(value, field: "params") {
                    stage.params.append((k, v))
                    stage.paramsKeys.append(k.location)
                }
            case "resources":
                stage.resources = try parseResources(value)
            case "exclude":
                stage.excludes += try excludeEntries(value, field: "exclude")
            default:
                // Kind-specific stage-level fields (e.g. `run:`) are checked against the kind later.
                stage.params.append((key, value))
                stage.stageLevelKeys.insert(key.value)
            }
        }
        return stage
    }

    static func parseResources(_ node: YAMLNode) throws -> Resources {
        var r = Resources()
        for (k, v) in try mapping(node, field: "resources") {
            switch k.value {
            case "cpus":
                guard case let .scalar(.int(n), _) = v, n >= 1 else {
                    throw PipelineError.wrongType(v.location, field: "resources.cpus", expected: "a positive int", got: describe(v))
                }
                r.cpus = n
            case "memory":
                guard let bytes = parseMemory(v.value) else {
                    throw PipelineError.invalidValue(v.location, field: "resources.memory", problem: "'\(v.value)' is not a size such as 512M, 4G or 2048 (megabytes)")
                }
                r.memory = bytes
            case "time":
                guard let secs = parseDuration(v.value) else {
                    throw PipelineError.invalidValue(v.location, field: "resources.time", problem: "'\(v.value)' is not a duration such as 90 (minutes), 1:30:00 or 2h")
                }
                r.time = secs
            case "gres":
                r.gres = try string(v, field: "resources.gres")
            case "gpus":
                guard case let .scalar(.int(n), _) = v, n >= 1 else {
                    throw PipelineError.wrongType(v.location, field: "resources.gpus", expected: "a positive int", got: describe(v))
                }
                r.gpus = n
            default:
                throw PipelineError.unknownKey(k.location, key: k.value, within: "resources",
                                               suggestion: suggestion(for: k.value, among: resourceKeys))
            }
        }
        if r.gpus != nil, r.gres != nil {
            throw PipelineError.invalidValue(node.location, field: "resources.gpus",
                                             problem: "give gpus (sent as --gres=gpu:N) or gres, not both; write other generic resources in gres with the GPUs, e.g. gres: gpu:1,shard:2")
        }
        return r
    }

    /// `512M`, `4G`, `1.5G`, `2048` (megabytes, as Slurm reads a bare number).
    public static func parseMemory(_ v: Value) -> Int? {
        if let n = v.intValue, n > 0 { return n << 20 }
        guard case let .string(s) = v else { return nil }
        let t = s.trimmingCharacters(in: .whitespaces).uppercased().replacingOccurrences(of: "B", with: "")
        let units: [(String, Double)] = [("K", 1024), ("M", 1_048_576), ("G", 1_073_741_824), ("T", 1_099_511_627_776)]
        for (u, mult) in units where t.hasSuffix(u) {
            if let x = Double(t.dropLast()), x > 0 { return Int(x * mult) }
        }
        return nil
    }

    /// `90` (minutes), `1:30:00`, `30:00`, `2h`, `45m`, `30s`, `1-00:00:00` -> seconds.
    public static func parseDuration(_ v: Value) -> Int? {
        if let n = v.intValue, n > 0 { return n * 60 }
        guard case let .string(s) = v else { return nil }
        var t = s.trimmingCharacters(in: .whitespaces)
        var days = 0
        if let dash = t.firstIndex(of: "-"), let d = Int(t[..<dash]) { days = d; t = String(t[t.index(after: dash)...]) }
        if let last = t.last, "hms".contains(last), let x = Double(t.dropLast()), x > 0 {
            return Int(x * (last == "h" ? 3600 : last == "m" ? 60 : 1)) + days * 86400
        }
        let parts = t.split(separator: ":").map { Int($0) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil && $0! >= 0 }) else { return nil }
        let p = parts.map { $0! }
        let secs: Int
        switch p.count {
        case 1: secs = p[0] * 60
        case 2: secs = p[0] * 60 + p[1]
        case 3: secs = p[0] * 3600 + p[1] * 60 + p[2]
        default: return nil
        }
        return secs + days * 86400 > 0 ? secs + days * 86400 : nil
    }

    // MARK: Typed accessors

    static func describe(_ n: YAMLNode) -> String {
        if case let .scalar(v, _) = n {
            return v == .null ? "null" : "\(v.typeName) '\(PipelineError.excerpt(v.description))'"
        }
        return "a \(n.typeName)"
    }

    static func mapping(_ n: YAMLNode, field: String) throws -> [(key: Located<String>, value: YAMLNode)] {
        if case let .mapping(pairs, _) = n { return pairs }
        if case .scalar(.null, _) = n { return [] }
        throw PipelineError.wrongType(n.location, field: field, expected: "a map", got: describe(n))
    }

    static func sequence(_ n: YAMLNode, field: String, allowScalar: Bool = false) throws -> [YAMLNode] {
        if case let .sequence(items, _) = n { return items }
        if case .scalar(.null, _) = n { return [] }
        if allowScalar, case .scalar = n { return [n] }
        throw PipelineError.wrongType(n.location, field: field, expected: "a list", got: describe(n))
    }

    static func string(_ n: YAMLNode, field: String) throws -> String {
        if case let .scalar(v, _) = n, v != .null {
            switch v {
            case .string, .int, .double, .bool: return v.description
            default: break
            }
        }
        throw PipelineError.wrongType(n.location, field: field, expected: "a string", got: describe(n))
    }

    static func identifier(_ n: YAMLNode, field: String) throws -> String {
        let s = try string(n, field: field)
        try checkIdentifier(Located(s, n.location), field: field)
        return s
    }

    /// Names of pipelines, stages, vars and axes: letters, digits, `_`, `-`, `.`; not starting with `.`.
    public static func checkIdentifier(_ s: Located<String>, field: String) throws {
        let ok = !s.value.isEmpty && !s.value.hasPrefix(".") && s.value.unicodeScalars.allSatisfy {
            CharacterSet.alphanumerics.contains($0) || $0 == "_" || $0 == "-" || $0 == "."
        }
        if !ok {
            throw PipelineError.invalidValue(s.location, field: field,
                                             problem: "'\(s.value)' is not a valid name (use letters, digits, '_', '-', '.')")
        }
    }
}
