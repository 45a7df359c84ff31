// BundleTrees: the directory manifests inside a bundle are hostile input too. A record's output
// is a directory manifest object whose entries name files and subdirectories by name and digest;
// the store later builds `out/<key>/<name>` from them and reads, checks (and on a mismatch
// removes) `objects/<digest>`. So every manifest a bundled record reaches is checked here: each
// name is one path component, each digest 64 lowercase hex digits and among the record's objects.
// `BundleReader` keeps the verified bytes of objects that look like directory manifests.

import Foundation
import PipelineCore
import PipelineStore

/// Keeps the bytes of objects that start like a directory manifest (`{"entries":`), after their
/// digest checked out, for `BundleTrees.check`; passes every byte on to `inner`.
final class TreeCapture: BundleEntryWriter {
    static let prefix = Array(#"{"entries":"#.utf8)
    let digest: String
    let inner: BundleEntryWriter?
    let owner: BundleTrees
    var bytes: [UInt8] = []
    var keeping = true

    init(digest: String, inner: BundleEntryWriter?, owner: BundleTrees) {
        self.digest = digest
        self.inner = inner
        self.owner = owner
    }

    func write(_ chunk: UnsafeRawBufferPointer) throws {
        if keeping {
            bytes.append(contentsOf: chunk)
            let n = min(bytes.count, TreeCapture.prefix.count)
            if bytes.count > owner.maxBytes || !bytes.prefix(n).elementsEqual(TreeCapture.prefix.prefix(n)) {
                keeping = false
                bytes = []
            }
        }
        try inner?.write(chunk)
    }

    func finish() throws {
        if keeping { try owner.keep(digest, bytes) }
        try inner?.finish()
    }

    func abandon() { inner?.abandon() }
}

final class BundleTrees {
    let file: String
    /// Most bytes of directory manifests kept in all.
    let maxBytes: Int
    private let lock = NSLock()
    private var manifests: [String: [UInt8]] = [:]
    private var total = 0

    init(file: String, maxBytes: Int) {
        self.file = file
        self.maxBytes = maxBytes
    }

    func keep(_ digest: String, _ bytes: [UInt8]) throws {
        lock.lock()
        defer { lock.unlock() }
        total += bytes.count
        guard total <= maxBytes else {
            throw BundleError.decompressionBomb(file: file, entry: "objects/" + digest, problem: "directory manifests over \(maxBytes) bytes")
        }
        manifests[digest] = bytes
    }

    /// Checks the directory manifests every record of `m` reaches from its output.
    func check(_ m: BundleManifest) throws {
        for (i, r) in m.records.enumerated() {
            let objects = Set(r.objects)
            var seen = Set<String>()
            func walk(_ digest: String, _ at: String) throws {
                guard seen.insert(digest).inserted else { return }
                func bad(_ problem: String) -> BundleError { .badRecord(file: file, key: r.key, problem: "\(at): \(problem)") }
                guard let bytes = manifests[digest], let entries = (try? Value.parseJSON(bytes: bytes))?["entries"]?.listValue else {
                    throw bad("object \(digest) is not a directory manifest")
                }
                for (j, e) in entries.enumerated() {
                    guard let name = e["name"]?.stringValue, let d = e["digest"]?.stringValue, let type = e["type"]?.stringValue else {
                        throw bad("entry \(j) needs 'name', 'digest' and 'type'")
                    }
                    if name.isEmpty || name == "." || name == ".." || name.contains("/") || name.contains("\u{0}") {
                        throw BundleError.badName(file: file, field: "records[\(i)] \(at) entries[\(j)].name", value: name,
                                                  rule: "a file name: one path component, not '.' or '..'")
                    }
                    guard BundlePath.isDigest(d), objects.contains(d) else {
                        throw BundleError.badName(file: file, field: "records[\(i)] \(at) entries[\(j)].digest", value: d,
                                                  rule: "a digest among the record's objects")
                    }
                    switch type {
                    case "dir": try walk(d, at + "/" + name)
                    case "file": break
                    default: throw bad("entry '\(name)' has type '\(type)'; manifests hold files and directories")
                    }
                }
            }
            try walk(r.output, "output")
        }
    }
}
