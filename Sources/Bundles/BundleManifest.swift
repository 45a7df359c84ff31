// BundleManifest: MANIFEST.json, the first entry of a bundle: what the bundle holds (every entry's
// path, size and BLAKE3), the pipeline files verbatim, resolved vars, the stage records and the
// provenance. Pure: encoding to and strict decoding from `Value`, and the entry-name rules.

import BuildInfo
import PipelineCore
import PipelineStore

/// One archive entry after MANIFEST.json.
public struct BundleEntry: Equatable {
    /// Path inside the archive: `objects/<digest>`, `pipeline/<relative path>` or `results/<name>/...`.
    public var path: String
    public var size: Int
    /// Hex BLAKE3 of the content (the store's content digest).
    public var digest: String
    /// Whether the file is executable (pipeline scripts); stored as mode 0755 instead of 0644.
    public var exec: Bool

    public init(path: String, size: Int, digest: String, exec: Bool = false) {
        self.path = path
        self.size = size
        self.digest = digest
        self.exec = exec
    }
}

/// A pipeline file (the main YAML and its includes), kept verbatim in the manifest.
public struct BundleTextFile: Equatable {
    /// Relative to the pipeline's directory.
    public var path: String
    public var text: String

    public init(path: String, text: String) {
        self.path = path
        self.text = text
    }
}

/// The parsed MANIFEST.json.
public struct BundleManifest {
    /// The only format version this engine writes and reads.
    /// 2: entry digests are BLAKE3 (field `blake3`); 1 had SHA-256.
    public static let formatVersion = 2
    /// Name of the first archive entry.
    public static let entryName = "MANIFEST.json"

    public var engine: String
    public var pipeline: String
    /// Relative path of the main pipeline file (the first of `files`).
    public var pipelineFile: String
    public var files: [BundleTextFile]
    /// Resolved vars (after `-p` overrides) the records were computed with.
    public var vars: Value
    /// Command-line overrides the export was given (`-p name=value`), to repeat them after import.
    public var overrides: [String]
    /// What was selected: `only` patterns and whether stale results were added.
    public var only: [String]
    public var withIntermediates: Bool
    /// Stage records as stored (`stages/<key>.json`).
    public var records: [StageRecord]
    /// Keys of the records that are the pipeline's current results (written to the store's index).
    public var current: [String]
    /// Every entry after MANIFEST.json, in archive order.
    public var entries: [BundleEntry]
    /// OS, CPU, BLAS core, Swift version, project commit, time.
    public var provenance: [(String, Value)]
    public var note: String

    public init(engine: String, pipeline: String, pipelineFile: String, files: [BundleTextFile], vars: Value,
                overrides: [String], only: [String], withIntermediates: Bool, records: [StageRecord], current: [String],
                entries: [BundleEntry], provenance: [(String, Value)], note: String) {
        self.engine = engine
        self.pipeline = pipeline
        self.pipelineFile = pipelineFile
        self.files = files
        self.vars = vars
        self.overrides = overrides
        self.only = only
        self.withIntermediates = withIntermediates
        self.records = records
        self.current = current
        self.entries = entries
        self.provenance = provenance
        self.note = note
    }

    /// Sum of all entry sizes (what an import writes, besides MANIFEST.json).
    public var totalSize: Int { entries.reduce(0) { $0 + $1.size } }

    public var value: Value {
        .map([
            ("format", .string("madpipe-bundle")),
            ("formatVersion", .int(BundleManifest.formatVersion)),
            ("engine", .string(engine)),
            ("pipeline", .string(pipeline)),
            ("pipelineFile", .string(pipelineFile)),
            ("note", .string(note)),
            ("provenance", .map(provenance)),
            ("selection", .map([("only", .list(only.map(Value.string))), ("withIntermediates", .bool(withIntermediates)),
                                ("overrides", .list(overrides.map(Value.string)))])),
            ("vars", vars),
            ("totalSize", .int(totalSize)),
            ("files", .list(files.map { .map([("path", .string($0.path)), ("text", .string($0.text))]) })),
            ("current", .list(current.map(Value.string))),
            ("records", .list(records.map(\.value))),
            ("entries", .list(entries.map {
                .map([("path", .string($0.path)), ("size", .int($0.size)), ("blake3", .string($0.digest)), ("exec", .bool($0.exec))])
            })),
        ])
    }

    /// The bytes of MANIFEST.json.
    public var json: [UInt8] { Array((value.prettyJSON() + "\n").utf8) }

    /// Decodes and checks a manifest: version, entry names, digests, records (keys are digests,
    /// every object a record names is an entry), pipeline file paths. `file` names the bundle in errors.
    public init(bytes: [UInt8], file: String) throws {
        let v: Value
        do { v = try Value.parseJSON(bytes: bytes) } catch { throw BundleError.badManifest(file: file, problem: "\(error)") }
        func bad(_ s: String) -> BundleError { .badManifest(file: file, problem: s) }
        guard v["format"]?.stringValue == "madpipe-bundle" else { throw bad("not a madpipe bundle manifest (field 'format')") }
        guard let version = v["formatVersion"]?.intValue else { throw bad("field 'formatVersion' is missing") }
        guard version == BundleManifest.formatVersion else {
            throw BundleError.unknownFormatVersion(file: file, found: version, supported: BundleManifest.formatVersion)
        }
        guard let pipeline = v["pipeline"]?.stringValue, let mainFile = v["pipelineFile"]?.stringValue,
              let fileList = v["files"]?.listValue, let recordList = v["records"]?.listValue,
              let entryList = v["entries"]?.listValue, let currentList = v["current"]?.listValue else {
            throw bad("one of the fields 'pipeline', 'pipelineFile', 'files', 'records', 'current', 'entries' is missing or has the wrong type")
        }
        var files: [BundleTextFile] = []
        for (i, f) in fileList.enumerated() {
            guard let p = f["path"]?.stringValue, let t = f["text"]?.stringValue else { throw bad("files[\(i)] needs 'path' and 'text'") }
            if let problem = BundlePath.problem(p) {
                throw BundleError.unsafePath(file: file, entry: "MANIFEST.json files[\(i)] '\(p)'", problem: problem)
            }
            files.append(BundleTextFile(path: p, text: t))
        }
        guard files.first?.path == mainFile else { throw bad("'pipelineFile' must be the first of 'files'") }
        var entries: [BundleEntry] = []
        var seen = Set<String>()
        for (i, e) in entryList.enumerated() {
            guard let p = e["path"]?.stringValue, let size = e["size"]?.intValue, let d = e["blake3"]?.stringValue else {
                throw bad("entries[\(i)] needs 'path', 'size' and 'blake3'")
            }
            if let problem = BundlePath.problem(p) { throw BundleError.unsafePath(file: file, entry: p, problem: problem) }
            guard p != BundleManifest.entryName, BundlePath.section(p) != nil else {
                throw BundleError.unsafePath(file: file, entry: p, problem: "entries live under objects/, pipeline/ or results/")
            }
            guard size >= 0 else { throw bad("entries[\(i)] '\(p)' has a negative size") }
            guard BundlePath.isDigest(d) else { throw bad("entries[\(i)] '\(p)': 'blake3' is not 64 lowercase hex digits") }
            if p.hasPrefix("objects/") {
                guard BundlePath.isDigest(String(p.dropFirst(8))) else {
                    throw BundleError.unsafePath(file: file, entry: p, problem: "an object's name must be its BLAKE3 digest")
                }
                guard String(p.dropFirst(8)) == d else { throw bad("entries[\(i)] '\(p)': 'blake3' differs from the object's name") }
            }
            guard seen.insert(p).inserted else { throw BundleError.duplicate(file: file, entry: p) }
            entries.append(BundleEntry(path: p, size: size, digest: d, exec: e["exec"]?.boolValue ?? false))
        }
        let objects = Set(entries.filter { $0.path.hasPrefix("objects/") }.map { String($0.path.dropFirst(8)) })
        var records: [StageRecord] = []
        var keys = Set<String>()
        for (i, rv) in recordList.enumerated() {
            // A newer record format is refused before it is parsed: its fields may mean something else.
            if let f = rv["format"], f.intValue.map({ $0 < 1 || $0 > StageRecord.formatVersion }) ?? true {
                let shown = f.intValue.map(String.init) ?? "'\(BundleText.printable(f.description))'"
                let writer = rv["engine"]?.stringValue.map { " (written by madpipe \(BundleText.printable($0)))" } ?? ""
                let newer = (f.intValue ?? 0) > StageRecord.formatVersion
                throw BundleError.badRecord(file: file, key: "records[\(i)]",
                                            problem: "record format \(shown)\(writer) " + (newer ? "needs a newer madpipe" : "is not a format madpipe wrote")
                                                + ": this one (\(BuildInfo.version)) reads record formats 1 to \(StageRecord.formatVersion)")
            }
            guard let r = StageRecord(rv) else { throw BundleError.badRecord(file: file, key: "records[\(i)]", problem: "malformed record") }
            guard BundlePath.isDigest(r.key) else { throw BundleError.badRecord(file: file, key: r.key, problem: "the key is not a SHA-256 digest") }
            guard r.parts.key == r.key else {
                throw BundleError.badRecord(file: file, key: r.key, problem: "its key parts hash to \(r.parts.key), not to its key")
            }
            guard BundlePath.isDigest(r.output) else { throw BundleError.badRecord(file: file, key: r.key, problem: "'output' is not a digest") }
            for o in r.objects where !objects.contains(o) {
                throw BundleError.badRecord(file: file, key: r.key, problem: "names object \(o), which the bundle does not hold")
            }
            guard r.objects.contains(r.output) else { throw BundleError.badRecord(file: file, key: r.key, problem: "its output manifest is not among its objects") }
            guard keys.insert(r.key).inserted else { throw BundleError.badRecord(file: file, key: r.key, problem: "listed twice") }
            records.append(r)
        }
        let current = currentList.compactMap(\.stringValue)
        for k in current where !keys.contains(k) { throw BundleError.badRecord(file: file, key: k, problem: "listed as current but has no record") }
        let sel = v["selection"]
        self.init(engine: v["engine"]?.stringValue ?? "", pipeline: pipeline, pipelineFile: mainFile, files: files,
                  vars: v["vars"] ?? .map([]), overrides: sel?["overrides"]?.listValue?.compactMap(\.stringValue) ?? [],
                  only: sel?["only"]?.listValue?.compactMap(\.stringValue) ?? [],
                  withIntermediates: sel?["withIntermediates"]?.boolValue ?? false,
                  records: records, current: current, entries: entries,
                  provenance: v["provenance"]?.mapValue ?? [], note: v["note"]?.stringValue ?? "")
        if let t = v["totalSize"]?.intValue, t != totalSize { throw bad("'totalSize' is \(t) but the entries add up to \(totalSize)") }
        try BundleNames.check(self, file: file)
    }
}

/// Text from a bundle made safe to print: control characters escaped, at most 200 characters.
enum BundleText {
    static func printable(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars.prefix(200) {
            out += u.value < 0x20 || u.value == 0x7F ? "\\u{\(String(u.value, radix: 16))}" : String(u)
        }
        return out
    }
}

/// The rules for names inside a bundle.
public enum BundlePath {
    /// Why `path` may not be an entry name, or nil if it is fine: relative, no `.`/`..`/empty
    /// parts, no `.git` directory, no backslashes or control characters, at most 1024 bytes.
    public static func problem(_ path: String) -> String? {
        if path.isEmpty { return "empty name" }
        if path.utf8.count > 1024 { return "longer than 1024 bytes" }
        if path.hasPrefix("/") { return "absolute path" }
        if path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || $0 == "\\" }) {
            return "control character or backslash in the name"
        }
        for part in path.split(separator: "/", omittingEmptySubsequences: false) {
            if part == ".." { return "'..' component" }
            if part == "." || part.isEmpty { return "empty or '.' component" }
            if part.lowercased() == ".git" { return "'.git' component (git runs hooks and commands from there)" }
        }
        return nil
    }

    /// The top-level section an entry belongs to, or nil.
    public static func section(_ path: String) -> String? {
        for s in ["objects", "pipeline", "results"] where path.hasPrefix(s + "/") { return s }
        return nil
    }

    /// 64 lowercase hex digits.
    public static func isDigest(_ s: String) -> Bool {
        s.utf8.count == 64 && s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }
}
