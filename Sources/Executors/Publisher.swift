// Publisher: copies a run's declared `outputs:` to `results/<pipeline>/`, replacing what was there
// only once the new copy is complete. Every output whose producers succeeded is published (also
// when other stages failed); each is described by its files' object digests (for the run
// manifest) and copied from those objects, so an earlier run's outputs can be published again.

import Base
import Foundation
import PipelineCore
import PipelineStore
#if canImport(Glibc)
import Glibc
#endif

public enum Publisher {
    /// The outputs of `plan` whose producers are complete under `keys` (instance id -> key), as
    /// files and object digests; `unpublished` names the others.
    public static func resolve(plan: Plan, store: Store, keys: [String: String]) throws -> (outputs: [PublishedOutput], unpublished: [String]) {
        var outputs: [PublishedOutput] = []
        var unpublished: [String] = []
        for out in plan.outputs {
            var sources: [(id: String, entry: Entry)] = []
            for p in out.producers {
                let id = plan.instances[p].id
                guard let key = keys[id], let rec = store.completeRecord(key) else { break }
                guard let entry = try lookup(out.subpath, in: rec.output, store: store) else {
                    throw PipelineError.invalidValue(plan.spec.outputs.first { $0.name == out.name }!.reference.location,
                                                     field: "outputs.\(out.name)", problem: "stage \(id) has no output '\(out.subpath)'")
                }
                sources.append((id, entry))
            }
            guard sources.count == out.producers.count else {
                unpublished.append(out.name)
                continue
            }
            var files: [PublishedFile] = []
            if sources.count == 1 {
                try add(sources[0].entry, at: "", to: &files, store: store)
            } else {
                for (id, entry) in sources {
                    let name = id.replacingOccurrences(of: "/", with: "_")
                    files.append(PublishedFile(path: name, digest: nil, exec: false))
                    try add(entry, at: entry.isDirectory ? name : name + "/" + (out.subpath as NSString).lastPathComponent, to: &files, store: store)
                }
            }
            outputs.append(PublishedOutput(name: out.name, files: files))
        }
        return (outputs, unpublished)
    }

    /// Publishes every planned output whose producers are complete. Returns the published
    /// outputs (with their digests) and the names of those left unpublished.
    public static func publish(plan: Plan, store: Store, keys: [String: String], resultsRoot: String) throws -> (outputs: [PublishedOutput], unpublished: [String]) {
        let r = try resolve(plan: plan, store: store, keys: keys)
        try write(r.outputs, pipeline: plan.spec.name, store: store, resultsRoot: resultsRoot)
        return r
    }

    /// Writes `outputs` to `resultsRoot/<pipeline>/` from their objects, each replacing what was
    /// there only once complete. Returns the published paths.
    @discardableResult
    public static func write(_ outputs: [PublishedOutput], pipeline: String, store: Store, resultsRoot: String) throws -> [String] {
        guard !outputs.isEmpty else { return [] }
        let base = resultsRoot + "/" + pipeline
        try FileSystem.makeDirectory(base)
        let mask = FileSystem.currentUmask()
        var published: [String] = []
        for out in outputs {
            let dest = base + "/" + out.name
            try FileSystem.makeDirectory((dest as NSString).deletingLastPathComponent)
            let tmp = (dest as NSString).deletingLastPathComponent + "/.tmp-publish-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            do {
                if out.isDirectory { try FileSystem.makeDirectory(tmp) }
                for f in out.files {
                    let target = f.path.isEmpty ? tmp : tmp + "/" + f.path
                    guard let digest = f.digest else {
                        try FileSystem.makeDirectory(target)
                        continue
                    }
                    guard store.objectIntact(digest) else {
                        throw PipelineError.store(path: store.objectPath(digest),
                                                  problem: "object of '\(out.name)/\(f.path)' is missing or changed (removed by `cache gc`?); run the pipeline again")
                    }
                    try FileSystem.makeDirectory((target as NSString).deletingLastPathComponent)
                    try FileSystem.copyFile(store.objectPath(digest), to: target, mode: (f.exec ? 0o777 : 0o666) & ~mask)
                }
            } catch {
                FileSystem.remove(tmp)
                throw error
            }
            let old = tmp + ".old"
            if FileSystem.exists(dest) { _ = rename(dest, old) }
            guard rename(tmp, dest) == 0 else { throw PosixError(path: dest, operation: "publish") }
            FileSystem.remove(old)
            published.append(dest)
        }
        return published
    }

    /// A file or directory inside a stored tree.
    struct Entry {
        var digest: String
        var isDirectory: Bool
        var exec: Bool
    }

    /// The entry at `subpath` ("" = the tree itself) of tree `digest`, nil when there is none.
    static func lookup(_ subpath: String, in digest: String, store: Store) throws -> Entry? {
        var entry = Entry(digest: digest, isDirectory: true, exec: false)
        for part in subpath.split(separator: "/") where !part.isEmpty {
            guard entry.isDirectory,
                  let e = try store.manifest(entry.digest).first(where: { $0["name"]?.stringValue == String(part) }),
                  let d = e["digest"]?.stringValue else { return nil }
            entry = Entry(digest: d, isDirectory: e["type"]?.stringValue == "dir", exec: e["exec"]?.boolValue == true)
        }
        return entry
    }

    /// Appends `entry` at `path` (and, for a directory, everything in it) to `files`.
    static func add(_ entry: Entry, at path: String, to files: inout [PublishedFile], store: Store) throws {
        guard entry.isDirectory else {
            files.append(PublishedFile(path: path, digest: entry.digest, exec: entry.exec))
            return
        }
        if !path.isEmpty && !files.contains(where: { $0.path == path }) { files.append(PublishedFile(path: path, digest: nil, exec: false)) }
        for e in try store.manifest(entry.digest) {
            guard let name = e["name"]?.stringValue, let d = e["digest"]?.stringValue,
                  !name.contains("/"), name != ".", name != ".." else { continue }
            try add(Entry(digest: d, isDirectory: e["type"]?.stringValue == "dir", exec: e["exec"]?.boolValue == true),
                    at: path.isEmpty ? name : path + "/" + name, to: &files, store: store)
        }
    }
}
