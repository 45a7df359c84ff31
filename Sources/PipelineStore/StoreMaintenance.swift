// StoreMaintenance: `madpipe cache verify|gc|ls|du`: re-hashing objects, removing what no
// pipeline references, listing records and sizes.

import Base
import Foundation
import PipelineCore
#if canImport(Glibc)
import Glibc
#endif

/// One problem `verify` found.
public struct StoreProblem: CustomStringConvertible {
    public var path: String
    public var problem: String
    public var description: String { "\(path): \(problem)" }
}

/// What `gc` removed (or would remove).
public struct GCReport {
    public var records: Int = 0
    public var objects: Int = 0
    public var bytes: Int = 0
    public var other: Int = 0
    /// Run manifests removed: runs whose published results lost an object.
    public var runs: Int = 0
}

extension Store {
    /// Every object digest present.
    public func allObjects() -> [String] {
        var out: [String] = []
        for dir in FileSystem.list(root + "/objects") where dir.count == 2 {
            for rest in FileSystem.list(root + "/objects/" + dir) where !rest.hasPrefix(".") {
                out.append(dir + rest)
            }
        }
        return out
    }

    /// Re-hashes every object and checks every record's references.
    public func verify(progress: (Int, Int) -> Void = { _, _ in }) -> [StoreProblem] {
        var problems: [StoreProblem] = []
        let objects = allObjects()
        for (i, o) in objects.enumerated() {
            progress(i, objects.count)
            let p = objectPath(o)
            do {
                let (d, _) = try FileHasher.hash(path: p)
                if d == o { continue }
                if (try? FileHasher.sha256(path: p)) == o {
                    problems.append(StoreProblem(path: p, problem: "object from store format 1 (named by SHA-256; format \(storeFormatVersion) uses BLAKE3): not corrupt, but no current stage can use it; `madpipe cache gc` removes it"))
                } else {
                    problems.append(StoreProblem(path: p, problem: "object \(o) is corrupt: its content hashes to \(d)"))
                }
            } catch {
                problems.append(StoreProblem(path: p, problem: "unreadable: \(error)"))
            }
        }
        for key in allKeys() {
            guard let r = record(key) else {
                problems.append(StoreProblem(path: recordPath(key), problem: "unreadable or malformed record"))
                continue
            }
            if r.key != key { problems.append(StoreProblem(path: recordPath(key), problem: "record names key \(r.key)")) }
            for o in r.objects where !FileSystem.exists(objectPath(o)) {
                problems.append(StoreProblem(path: recordPath(key), problem: "missing object \(o)"))
            }
            // The materialised view: a file there that is not its object (replaced, or written
            // where the filesystem made a copy) would be what the next stage reads.
            let out = outputPath(key)
            if FileSystem.exists(out), r.objects.allSatisfy({ FileSystem.exists(objectPath($0)) }),
               (try? viewIntact(tree: r.output, at: out)) != true {
                problems.append(StoreProblem(path: out, problem: "differs from the objects its record names (a file in it was changed or replaced); --repair removes it and it is rebuilt from the objects"))
            }
        }
        return problems
    }

    /// Deletes corrupt objects, then every record that names a missing object (with its output
    /// directory), and then, transitively, every record whose inputs were the output of a removed
    /// record: those stages read bytes that can no longer be trusted, so they run again too. Output
    /// directories that no longer match their objects are removed (rebuilt on use). Returns the
    /// removed record keys.
    public func repair() -> [String] {
        for o in allObjects() {
            if let (d, _) = try? FileHasher.hash(path: objectPath(o)), d == o { continue }
            unlink(objectPath(o))
        }
        var records: [String: StageRecord] = [:]
        var removed: [String] = []
        for key in allKeys() {
            if let r = record(key) { records[key] = r } else { removed.append(key) }
        }
        // Output digests that can no longer be trusted, grown to a fixed point.
        var bad = Set<String>()
        var changed = true
        while changed {
            changed = false
            for (key, r) in records {
                let missing = !r.objects.allSatisfy { FileSystem.exists(objectPath($0)) }
                if missing || Store.inputDigests(of: r).contains(where: bad.contains) {
                    bad.insert(r.output)
                    records[key] = nil
                    removed.append(key)
                    changed = true
                }
            }
        }
        for key in removed {
            unlink(recordPath(key))
            FileSystem.remove(outputPath(key))
        }
        for (key, r) in records where FileSystem.exists(outputPath(key)) {
            if (try? viewIntact(tree: r.output, at: outputPath(key))) != true { FileSystem.remove(outputPath(key)) }
        }
        return removed.sorted()
    }

    /// The output digests a record's key was computed from (a sub-path reference `digest:path`
    /// counts as its digest).
    static func inputDigests(of r: StageRecord) -> [String] {
        var out: [String] = []
        func add(_ v: Value) {
            switch v {
            case let .string(s): out.append(String(s.split(separator: ":", maxSplits: 1).first ?? ""))
            case let .list(items): for i in items { add(i) }
            default: break
            }
        }
        for (_, v) in r.parts.inputs { add(v) }
        return out
    }

    /// Removes records not in `keep`, then objects no kept record needs, outputs and work
    /// directories of removed keys, stale locks and logs, index entries of removed keys, and the
    /// manifests of runs whose published results lost an object. With `dryRun`, only counts.
    public func gc(keep: Set<String>, dryRun: Bool) -> GCReport {
        var report = GCReport()
        var live = Set<String>()
        for key in allKeys() {
            if keep.contains(key), let r = record(key) {
                live.formUnion(r.objects)
            } else {
                report.records += 1
                if !dryRun {
                    unlink(recordPath(key))
                    FileSystem.remove(outputPath(key))
                }
            }
        }
        for o in allObjects() where !live.contains(o) {
            report.objects += 1
            report.bytes += FileSystem.size(objectPath(o)) ?? 0
            if !dryRun { unlink(objectPath(o)) }
        }
        for (dir, suffix) in [("out", ""), ("work", ""), ("locks", ".lock"), ("logs", ".log")] {
            for name in FileSystem.list(root + "/" + dir) {
                let key = suffix.isEmpty ? name : String(name.dropLast(suffix.count))
                if !keep.contains(key) && !(dir == "locks" && name == "runs.lock") {  // the lease gc holds
                    report.other += 1
                    if !dryRun { FileSystem.remove(root + "/" + dir + "/" + name) }
                }
            }
        }
        if !dryRun {
            // The latest-key index and the latest-log index name keys; drop the removed ones.
            for dir in ["index", "lastlog"] {
                for name in FileSystem.list(root + "/" + dir) {
                    let p = root + "/" + dir + "/" + name
                    if let d = FileSystem.read(p), let v = try? Value.parseJSON(bytes: Array(d)),
                       let k = v["key"]?.stringValue, keep.contains(k) { continue }
                    unlink(p)
                }
            }
        }
        // A run whose published results lost an object can be neither published nor compared.
        for run in runs() where run.outputs.contains(where: { $0.files.contains { f in f.digest.map { !live.contains($0) } ?? false } }) {
            report.runs += 1
            if !dryRun { unlink(runsDirectory + "/" + run.id + ".json") }
        }
        return report
    }

    /// Total size of files under a path (not following links).
    public func diskUsage(_ path: String) -> Int {
        var st = stat()
        guard lstat(path, &st) == 0 else { return 0 }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            return FileSystem.list(path).reduce(0) { $0 + diskUsage(path + "/" + $1) }
        }
        return Int(st.st_blocks) * 512
    }
}
