// PipelineStatus: the state of every stage instance against the store (cached, missing, stale),
// and why a stale one is stale, in words: the diff of its key parts against the last record for
// its id (which param changed from what to what, which input's producer was re-computed, which
// file's content changed), never a bare digest.

import Foundation
import PipelineCore
import PipelineStore

public struct InstanceStatus {
    public enum State: String { case cached, missing, stale }
    public var id: String
    public var state: State
    public var key: String?
    /// Human-readable reasons (key part differences, or the upstream that is not cached).
    public var reasons: [String]
}

public enum PipelineStatus {
    /// The state of every instance, in plan order.
    public static func compute(plan: Plan, store: Store) -> [InstanceStatus] {
        var records: [Int: StageRecord] = [:]
        var out: [InstanceStatus] = []
        for (i, inst) in plan.instances.enumerated() {
            let latest = store.latestKey(pipeline: plan.spec.name, stage: inst.id)
            let missingDeps = inst.dependencies.filter { records[$0] == nil }
            if !missingDeps.isEmpty {
                let names = missingDeps.map { plan.instances[$0].id }
                let reason = "waits on upstream stage(s) not cached: " + names.prefix(5).joined(separator: ", ")
                    + (names.count > 5 ? ", ..." : "")
                out.append(InstanceStatus(id: inst.id, state: latest == nil ? .missing : .stale, key: nil, reasons: [reason]))
                continue
            }
            let parts: KeyParts, record: StageRecord?
            do {
                (parts, record) = try KeyBuilder.lookup(inst, plan: plan, records: records, store: store)
            } catch {
                out.append(InstanceStatus(id: inst.id, state: .missing, key: nil, reasons: ["\(error)"]))
                continue
            }
            if let r = record {
                records[i] = r
                out.append(InstanceStatus(id: inst.id, state: .cached, key: parts.key, reasons: []))
                continue
            }
            if let latest, latest != parts.key, let old = store.record(latest) {
                var diffs = reasons(parts, old: old.parts, instance: inst, plan: plan)
                if diffs.isEmpty { diffs = ["the key's encoding changed"] }
                out.append(InstanceStatus(id: inst.id, state: .stale, key: parts.key, reasons: diffs))
            } else if latest == parts.key {
                out.append(InstanceStatus(id: inst.id, state: .stale, key: parts.key,
                                          reasons: ["its record or some of its objects were removed from the cache"]))
            } else {
                out.append(InstanceStatus(id: inst.id, state: .missing, key: parts.key, reasons: ["never computed"]))
            }
        }
        return out
    }

    /// Why `new` differs from the last record's `old` parts, one line each.
    static func reasons(_ new: KeyParts, old: KeyParts, instance: StageInstance, plan: Plan) -> [String] {
        var out: [String] = []
        if new.kind != old.kind { out.append("kind changed: \(old.kind) -> \(new.kind)") }
        if new.kindVersion != old.kindVersion {
            out.append("implementation of kind '\(new.kind)' changed: version \(old.kindVersion) -> \(new.kindVersion)")
        }
        out += changes(old: old.params.mapValue ?? [], new: new.params.mapValue ?? []) { name, change in
            switch change {
            case let .changed(o, n): return "param '\(name)' changed: \(words(o)) -> \(words(n))"
            case let .added(n): return "param '\(name)' added: \(words(n))"
            case let .removed(o): return "param '\(name)' removed (was \(words(o)))"
            }
        }
        out += changes(old: old.inputs, new: new.inputs) { name, change in
            let binding = instance.inputs.first { $0.name == name }
            let from = binding.map { b in b.producers.map { plan.instances[$0].id } } ?? []
            switch change {
            case .added: return "input '\(name)' added (from \(list(from)))"
            case .removed: return "input '\(name)' removed"
            case let .changed(o, n): return inputChange(name, old: o, new: n, producers: from)
            }
        }
        let paths = Dictionary(KeyBuilder.paths(of: instance, pipelineDirectory: plan.spec.directory).map { ($0.0, $0.1) },
                               uniquingKeysWith: { a, _ in a })
        func shown(_ name: String) -> String {
            guard let p = paths[name] else { return "" }
            let dir = plan.spec.directory.hasSuffix("/") ? plan.spec.directory : plan.spec.directory + "/"
            return p.hasPrefix(dir) ? String(p.dropFirst(dir.count)) : p
        }
        out += changes(old: old.files, new: new.files) { name, change in
            switch change {
            case .changed: return "file '\(name)' changed: the content of \(shown(name)) differs from the last run's"
            case .added: return "file '\(name)' added: \(shown(name))"
            case .removed: return "file '\(name)' removed"
            }
        }
        return out
    }

    enum Change { case changed(Value, Value), added(Value), removed(Value) }

    /// One line per name whose value differs between `old` and `new`, in `new`'s order, then removals.
    static func changes(old: [(String, Value)], new: [(String, Value)], _ line: (String, Change) -> String) -> [String] {
        let oldMap = Dictionary(old, uniquingKeysWith: { a, _ in a })
        let newNames = Set(new.map(\.0))
        var out: [String] = []
        for (k, v) in new {
            if let o = oldMap[k] { if o != v { out.append(line(k, .changed(o, v))) } } else { out.append(line(k, .added(v))) }
        }
        for (k, v) in old where !newNames.contains(k) { out.append(line(k, .removed(v))) }
        return out
    }

    /// An input's old and new key part: a producer digest (`digest` or `digest:subpath`), or for a
    /// gathered input a list of `[stage id, digest]` pairs.
    static func inputChange(_ name: String, old: Value, new: Value, producers: [String]) -> String {
        func pairs(_ v: Value) -> [(String, String)]? {
            v.listValue?.compactMap { p in p.listValue.flatMap { $0.count == 2 ? ($0[0].description, $0[1].description) : nil } }
        }
        if let o = pairs(old), let n = pairs(new) {
            let oldMap = Dictionary(o, uniquingKeysWith: { a, _ in a }), newMap = Dictionary(n, uniquingKeysWith: { a, _ in a })
            var parts: [String] = []
            let changed = n.filter { oldMap[$0.0] != nil && oldMap[$0.0] != $0.1 }.map(\.0)
            let added = n.filter { oldMap[$0.0] == nil }.map(\.0), removed = o.filter { newMap[$0.0] == nil }.map(\.0)
            if !changed.isEmpty {
                parts.append("upstream \(list(changed)) \(changed.count == 1 ? "was" : "were") re-computed with different output")
            }
            if !added.isEmpty { parts.append("it now also gathers \(list(added))") }
            if !removed.isEmpty { parts.append("it no longer gathers \(list(removed))") }
            return "input '\(name)' changed: " + (parts.isEmpty ? "its gathered stages were reordered" : parts.joined(separator: "; "))
        }
        let o = old.description.split(separator: ":", maxSplits: 1), n = new.description.split(separator: ":", maxSplits: 1)
        if case .string = old, case .string = new, o.count == n.count, o.count >= 1 {
            let oldSub = o.count == 2 ? String(o[1]) : "", newSub = n.count == 2 ? String(n[1]) : ""
            if oldSub != newSub {
                return "input '\(name)' changed: it now reads '\(newSub)' in the output of \(list(producers)) (was '\(oldSub)')"
            }
            return "input '\(name)' changed: upstream \(list(producers)) was re-computed with different output"
        }
        return "input '\(name)' changed: it is now wired from \(list(producers))"
    }

    /// `stage 'a'`, `stages 'a', 'b'` (at most 5 named).
    static func list(_ ids: [String]) -> String {
        let named = ids.prefix(5).map { "'\($0)'" }.joined(separator: ", ") + (ids.count > 5 ? " and \(ids.count - 5) more" : "")
        return (ids.count == 1 ? "stage " : "stages ") + named
    }

    /// A param value as a person reads it: a string as written (a 64-hex digest cut to 12), else
    /// compact JSON; at most 120 characters.
    static func words(_ v: Value) -> String {
        var s: String
        if case let .string(str) = v {
            s = str.isEmpty ? "\"\"" : str
            if str.count == 64 && str.allSatisfy(\.isHexDigit) { s = String(str.prefix(12)) + "..." }
        } else {
            s = v.canonicalJSON
        }
        return s.count > 120 ? String(s.prefix(117)) + "..." : s
    }
}
