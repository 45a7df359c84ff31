// KeyBuilder: computes a stage instance's cache key from its resolved params, the output digests
// of the instances it reads, and the content digests of the files its path params name.

import Base
import Foundation
import PipelineCore
import PipelineStore

public enum KeyBuilder {
    /// Absolute paths of an instance's path-typed params: `name` for `.path`, `name.key` for `.pathMap`
    /// (the command stage's `deps.NAME`).
    public static func paths(of instance: StageInstance, pipelineDirectory: String) -> [(String, String, SourceLocation)] {
        var out: [(String, String, SourceLocation)] = []
        func abs(_ p: String) -> String {
            URL(fileURLWithPath: p.hasPrefix("/") ? p : pipelineDirectory + "/" + p).standardizedFileURL.path
        }
        for spec in instance.kind.params {
            switch spec.type {
            case .path:
                let p = instance.params.string(spec.name)
                if !p.isEmpty { out.append((spec.name, spec.resolvePath?(p) ?? abs(p), instance.location)) }
            case .pathMap:
                for (k, v) in instance.params.stringMap(spec.name) { out.append(("\(spec.name).\(k)", abs(v), instance.location)) }
            default: break
            }
        }
        return out
    }

    /// The key parts, given each dependency's finished record. Missing dependency files are errors
    /// at the stage's location.
    public static func parts(for instance: StageInstance, plan: Plan, records: [Int: StageRecord], store: Store) throws -> KeyParts {
        var inputs: [(String, Value)] = []
        for b in instance.inputs {
            func digest(_ i: Int) -> String {
                let d = records[i]!.output
                return b.subpath.isEmpty ? d : d + ":" + b.subpath
            }
            if b.gathers {
                inputs.append((b.name, .list(b.producers.map { .list([.string(plan.instances[$0].id), .string(digest($0))]) })))
            } else {
                inputs.append((b.name, .string(digest(b.producers[0]))))
            }
        }
        var files: [(String, Value)] = []
        for (name, path, loc) in paths(of: instance, pipelineDirectory: plan.spec.directory) {
            guard FileSystem.exists(path) else {
                throw PipelineError.invalidValue(loc, field: name, problem: "'\(path)' does not exist")
            }
            do {
                files.append((name, .string(try store.dependencyDigest(path))))
            } catch {
                throw PipelineError.invalidValue(loc, field: name, problem: "cannot hash '\(path)': \(error)")
            }
        }
        return KeyParts(kind: instance.kind.name, kindVersion: instance.kind.version,
                        params: .map(instance.params.values), inputs: inputs, files: files)
    }

    /// The cache check, the one place a run and `status` decide whether a stage is done: its key
    /// parts given its upstream records, and its record when the store holds the stage complete
    /// (record and every object intact).
    public static func lookup(_ instance: StageInstance, plan: Plan, records: [Int: StageRecord],
                              store: Store) throws -> (parts: KeyParts, record: StageRecord?) {
        let parts = try self.parts(for: instance, plan: plan, records: records, store: store)
        return (parts, store.completeRecord(parts.key))
    }
}
