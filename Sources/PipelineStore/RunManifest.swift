// RunManifest: what one `madpipe run` was and produced, kept in the cache as runs/<id>.json
// (written atomically when the run starts and again when it ends, failed or interrupted too):
// the pipeline and its digest, the -p and -m overrides, each stage instance's status and key,
// and every published file's object digest, so `runs`, `compare` and `publish RUN` need nothing
// else. The id sorts by time: YYYYMMDD-HHMMSS-mmm-xxxx (UTC to the millisecond, four random hex
// digits).

import BuildInfo
import Base
import Foundation
import PipelineCore

/// One published file (or directory) of an output, relative to the output's path.
public struct PublishedFile: Sendable, Equatable {
    /// "" when the output is this file itself.
    public var path: String
    /// The object holding the content; nil for a directory.
    public var digest: String?
    public var exec: Bool

    public init(path: String, digest: String?, exec: Bool) {
        self.path = path
        self.digest = digest
        self.exec = exec
    }
}

/// A declared output as published: results/<pipeline>/<name>.
public struct PublishedOutput: Sendable, Equatable {
    public var name: String
    /// Every file and directory, parents before children.
    public var files: [PublishedFile]

    public init(name: String, files: [PublishedFile]) {
        self.name = name
        self.files = files
    }

    /// True when the output is a directory (its files carry relative paths).
    public var isDirectory: Bool { files.first.map { $0.path != "" } ?? true }
}

public struct RunManifest: Sendable {
    public var id: String
    /// ISO 8601, UTC.
    public var time: String
    public var pipeline: String
    /// Absolute path of the pipeline file.
    public var file: String
    /// BLAKE3 of the pipeline's files (the main file and its includes, in order).
    public var digest: String
    /// `-p` and `-m` as given.
    public var vars: [String]
    public var matrix: [String]
    /// running, succeeded, failed or interrupted.
    public var status: String
    public var stages: [(id: String, status: String, key: String?)]
    public var outputs: [PublishedOutput]
    /// The madpipe code and numeric environment of the process that ran it (nil in older manifests).
    public var environment: NumericEnvironment?

    public init(id: String, time: String, pipeline: String, file: String, digest: String, vars: [String], matrix: [String]) {
        self.id = id
        self.time = time
        self.pipeline = pipeline
        self.file = file
        self.digest = digest
        self.vars = vars
        self.matrix = matrix
        status = "running"
        stages = []
        outputs = []
        environment = .current
    }

    /// A new id for a run starting at `date`.
    public static func newId(_ date: Date = Date()) -> String {
        var t = time_t(date.timeIntervalSince1970)
        var tm = tm()
        gmtime_r(&t, &tm)
        let ms = max(0, min(999, Int((date.timeIntervalSince1970 - Double(t)) * 1000)))
        return String(format: "%04d%02d%02d-%02d%02d%02d-%03d-%04x", Int(tm.tm_year) + 1900, Int(tm.tm_mon) + 1, Int(tm.tm_mday),
                      Int(tm.tm_hour), Int(tm.tm_min), Int(tm.tm_sec), ms, Int.random(in: 0..<0x10000))
    }

    /// True for a string that can be a run id (it names a file under runs/).
    public static func isValidId(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 64 && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
    }

    public var value: Value {
        .map([
            ("id", .string(id)), ("time", .string(time)), ("pipeline", .string(pipeline)), ("file", .string(file)),
            ("digest", .string(digest)), ("vars", .list(vars.map(Value.string))), ("matrix", .list(matrix.map(Value.string))),
            ("status", .string(status)),
            ("stages", .list(stages.map { .list([.string($0.id), .string($0.status), $0.key.map(Value.string) ?? .null]) })),
            ("outputs", .list(outputs.map { o in
                .map([("name", .string(o.name)),
                      ("files", .list(o.files.map { .list([.string($0.path), $0.digest.map(Value.string) ?? .null, .bool($0.exec)]) }))])
            })),
            ("environment", environment.map { .map($0.fields.map { ($0.name, .string($0.value)) }) } ?? .null),
        ])
    }

    /// Reads a manifest; every name in it is checked (it may have been edited), nil if malformed.
    public init?(_ v: Value) {
        guard let id = v["id"]?.stringValue, RunManifest.isValidId(id), let pipeline = v["pipeline"]?.stringValue,
              let stages = v["stages"]?.listValue, let outputs = v["outputs"]?.listValue else { return nil }
        self.init(id: id, time: v["time"]?.stringValue ?? "", pipeline: pipeline, file: v["file"]?.stringValue ?? "",
                  digest: v["digest"]?.stringValue ?? "", vars: v["vars"]?.listValue?.compactMap(\.stringValue) ?? [],
                  matrix: v["matrix"]?.listValue?.compactMap(\.stringValue) ?? [])
        status = v["status"]?.stringValue ?? "unknown"
        environment = v["environment"]?.mapValue.map { NumericEnvironment(fields: $0.compactMap { n, v in v.stringValue.map { (n, $0) } }) }
        for s in stages {
            guard let l = s.listValue, l.count == 3, let sid = l[0].stringValue, let st = l[1].stringValue else { return nil }
            self.stages.append((sid, st, l[2].stringValue))
        }
        for o in outputs {
            guard let name = o["name"]?.stringValue, RelativePath.problem(name) == nil, let files = o["files"]?.listValue else { return nil }
            var out = PublishedOutput(name: name, files: [])
            for f in files {
                guard let l = f.listValue, l.count == 3, let path = l[0].stringValue,
                      path.isEmpty || RelativePath.problem(path) == nil else { return nil }
                let digest = l[1].stringValue
                if let digest, !digest.allSatisfy({ $0.isHexDigit }) || digest.isEmpty { return nil }
                out.files.append(PublishedFile(path: path, digest: digest, exec: l[2].boolValue ?? false))
            }
            self.outputs.append(out)
        }
    }
}

extension Store {
    public var runsDirectory: String { root + "/runs" }

    /// Writes (or rewrites) a run's manifest atomically.
    public func write(_ run: RunManifest) throws {
        try FileSystem.makeDirectory(runsDirectory)
        try FileSystem.writeAtomically(Data(run.value.canonicalJSON.utf8), to: runsDirectory + "/" + run.id + ".json",
                                       tempDirectory: root + "/tmp")
    }

    /// Every readable run manifest, oldest first.
    public func runs() -> [RunManifest] {
        FileSystem.list(runsDirectory).filter { $0.hasSuffix(".json") }.sorted().compactMap { name in
            guard let d = FileSystem.read(runsDirectory + "/" + name), let v = try? Value.parseJSON(bytes: Array(d)) else { return nil }
            return RunManifest(v)
        }
    }

    /// The run named by an id, a unique prefix of one, or `latest`.
    public func run(named name: String) throws -> RunManifest {
        let all = runs()
        if name == "latest", let last = all.last { return last }
        if let exact = all.first(where: { $0.id == name }) { return exact }
        let matches = all.filter { $0.id.hasPrefix(name) }
        if matches.count == 1 { return matches[0] }
        if matches.isEmpty {
            throw PipelineError.store(path: runsDirectory, problem: "no run '\(name)'" + (all.isEmpty ? "; this cache has no runs yet" : "; `madpipe runs` lists them"))
        }
        throw PipelineError.store(path: runsDirectory, problem: "'\(name)' names \(matches.count) runs (\(matches.prefix(3).map(\.id).joined(separator: ", ")), ...); give more of the id")
    }
}
