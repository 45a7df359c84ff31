// BundleNames: the names a bundle's manifest carries (pipeline name, stage records' fields, the
// `-p` overrides it suggests) checked against the rules a pipeline's own names follow, before
// anything is written. A bundle comes from a stranger: its pipeline name becomes a directory
// (`results/<pipeline>/`), record digests become store paths, and ids and hosts are printed.
// Entry paths and pipeline file paths are checked by `BundlePath`.

import PipelineCore
import PipelineStore

enum BundleNames {
    /// Throws `BundleError.badName` for the first name in `m` that breaks its rule.
    static func check(_ m: BundleManifest, file: String) throws {
        func bad(_ field: String, _ value: String, _ rule: String) -> BundleError {
            .badName(file: file, field: field, value: value, rule: rule)
        }
        if !isName(m.pipeline) { throw bad("pipeline", m.pipeline, nameRule) }
        for (i, o) in m.overrides.enumerated() {
            guard let eq = o.firstIndex(of: "="), isName(VarPath.split(String(o[..<eq])).name), !hasControl(o) else {
                throw bad("selection.overrides[\(i)]", o, "an override is name=value or name[key]=value: a var name, no control characters")
            }
        }
        for (i, r) in m.records.enumerated() {
            let at = "records[\(i)]"
            if !isName(r.pipeline) { throw bad(at + ".pipeline", r.pipeline, nameRule) }
            if let problem = stageIdProblem(r.stage) { throw bad(at + ".stage", r.stage, problem) }
            if !BundlePath.isDigest(r.log) { throw bad(at + ".log", r.log, digestRule) }
            if !r.objects.contains(r.log) { throw bad(at + ".log", r.log, "the log must be among the record's objects") }
            if !isName(r.parts.kind) { throw bad(at + ".parts.kind", r.parts.kind, nameRule) }
            for (name, v) in r.parts.inputs {
                let field = at + ".parts.inputs.\(name)"
                if hasControl(name) { throw bad(field, name, "no control characters") }
                switch v {
                case .string(let s):
                    if let problem = inputProblem(s) { throw bad(field, s, problem) }
                case .list(let pairs):
                    for (j, pair) in pairs.enumerated() {
                        guard case .list(let p) = pair, p.count == 2, case .string(let id) = p[0], case .string(let d) = p[1] else {
                            throw bad("\(field)[\(j)]", pair.canonicalJSON, "a gathered input is [stage id, digest]")
                        }
                        if let problem = stageIdProblem(id) { throw bad("\(field)[\(j)]", id, problem) }
                        if let problem = inputProblem(d) { throw bad("\(field)[\(j)]", d, problem) }
                    }
                default:
                    throw bad(field, v.canonicalJSON, "an input is a digest or a list of [stage id, digest]")
                }
            }
            for (name, v) in r.parts.files {
                let field = at + ".parts.files.\(name)"
                if hasControl(name) { throw bad(field, name, "no control characters") }
                guard case .string(let d) = v, BundlePath.isDigest(d) else { throw bad(field, v.canonicalJSON, digestRule) }
            }
            for (field, value) in [("host", r.host), ("engine", r.engine), ("executor", r.executor), ("started", r.started)]
            where hasControl(value) {
                throw bad(at + "." + field, value, "no control characters")
            }
        }
    }

    static let nameRule = "a pipeline, stage or kind name: letters, digits, '_', '-', '.', not starting with '.'"
    static let digestRule = "a digest: 64 lowercase hex digits"

    /// The rule of a pipeline's own names (`SpecParser.checkIdentifier`).
    static func isName(_ s: String) -> Bool {
        (try? SpecParser.checkIdentifier(Located(s, SourceLocation(file: "")), field: "")) != nil
    }

    static func hasControl(_ s: String) -> Bool {
        s.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
    }

    /// Why `id` is not a stage instance id (`stage` or `stage[axis=value,...]`, as
    /// `Planner.instanceId` writes them), or nil.
    static func stageIdProblem(_ id: String) -> String? {
        let rule = "a stage id: a stage name, optionally followed by [axis=value,...], no control characters"
        if hasControl(id) { return rule }
        guard let open = id.firstIndex(of: "[") else { return isName(id) ? nil : rule }
        guard isName(String(id[..<open])), id.hasSuffix("]") else { return rule }
        let inside = id[id.index(after: open)..<id.index(before: id.endIndex)]
        guard let eq = inside.firstIndex(of: "="), isName(String(inside[..<eq])) else { return rule }
        return nil
    }

    /// Why `s` is not an input digest (`digest` or `digest:subpath`), or nil.
    static func inputProblem(_ s: String) -> String? {
        let rule = "an input is a digest, optionally followed by ':' and a relative path"
        guard let colon = s.firstIndex(of: ":") else { return BundlePath.isDigest(s) ? nil : rule }
        guard BundlePath.isDigest(String(s[..<colon])), BundlePath.problem(String(s[s.index(after: colon)...])) == nil else { return rule }
        return nil
    }
}
