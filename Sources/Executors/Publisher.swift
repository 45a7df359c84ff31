// Publisher: copies a run's declared `outputs:` to `results/<pipeline>/`, replacing what was there
// only once the new copy is complete.

import Foundation
import PipelineCore
import PipelineStore
#if canImport(Glibc)
import Glibc
#endif

public enum Publisher {
    /// Publishes every planned output whose producers are complete. Returns the published paths.
    public static func publish(plan: Plan, store: Store, keys: [String: String], resultsRoot: String) throws -> [String] {
        guard !plan.outputs.isEmpty else { return [] }
        let base = resultsRoot + "/" + plan.spec.name
        try FileSystem.makeDirectory(base)
        var published: [String] = []
        for out in plan.outputs {
            var sources: [(String, String)] = []  // (instance id, path)
            for p in out.producers {
                let id = plan.instances[p].id
                guard let key = keys[id], let rec = store.completeRecord(key) else { continue }
                let dir = try store.outputDirectory(of: rec)
                let src = out.subpath.isEmpty ? dir : dir + "/" + out.subpath
                guard FileSystem.exists(src) else {
                    throw PipelineError.invalidValue(plan.spec.outputs.first { $0.name == out.name }!.reference.location,
                                                     field: "outputs.\(out.name)", problem: "stage \(id) has no output '\(out.subpath)'")
                }
                sources.append((id, src))
            }
            guard sources.count == out.producers.count else { continue }
            let dest = base + "/" + out.name
            try FileSystem.makeDirectory((dest as NSString).deletingLastPathComponent)
            let tmp = (dest as NSString).deletingLastPathComponent + "/.tmp-publish-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            if sources.count == 1 {
                try copy(sources[0].1, to: tmp)
            } else {
                try FileSystem.makeDirectory(tmp)
                for (id, src) in sources {
                    let name = id.replacingOccurrences(of: "/", with: "_")
                    let target = FileSystem.isDirectory(src) ? tmp + "/" + name : tmp + "/" + name + "/" + (src as NSString).lastPathComponent
                    try FileSystem.makeDirectory((target as NSString).deletingLastPathComponent)
                    try copy(src, to: target)
                }
            }
            let old = tmp + ".old"
            if FileSystem.exists(dest) { _ = rename(dest, old) }
            guard rename(tmp, dest) == 0 else { throw PosixError(path: dest, operation: "publish") }
            FileSystem.remove(old)
            published.append(dest)
        }
        return published
    }

    /// Copies a file or tree as ordinary files of the user's: 0666/0777 less the umask (so `umask
    /// 077` keeps results private), streamed extent by extent (a sparse file stays sparse and is
    /// never held in memory).
    static func copy(_ src: String, to dst: String) throws {
        let mask = FileSystem.currentUmask()
        func walk(_ src: String, _ dst: String) throws {
            if FileSystem.isDirectory(src) {
                try FileSystem.makeDirectory(dst)
                for n in FileSystem.list(src) { try walk(src + "/" + n, dst + "/" + n) }
            } else {
                var st = stat()
                stat(src, &st)
                try FileSystem.copyFile(src, to: dst, mode: (st.st_mode & 0o111 != 0 ? 0o777 : 0o666) & ~mask)
            }
        }
        try walk(src, dst)
    }
}
