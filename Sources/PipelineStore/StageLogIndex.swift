// StageLogIndex: where the log of a stage id's latest execution is, for `madpipe log`.
//   lastlog/<sha256(stage id)>.json  {stage, pipeline, key, state, path | digest, started}
// While the stage runs, `path` is its live log (under tmp/); a success stores the log as an
// object (`digest`, also in the stage record); a failure or interrupt keeps it as logs/<key>.log.

import Base
import Foundation
import PipelineCore

/// One execution's log as the index knows it.
public struct StageLogEntry: Sendable, Equatable {
    public enum State: String, Sendable { case running, succeeded, failed, interrupted }
    public var stage: String
    public var pipeline: String
    public var key: String
    public var state: State
    /// The log file (running, failed, interrupted).
    public var path: String?
    /// The log's object digest (succeeded).
    public var digest: String?
    public var started: String
    /// The host that ran it (a running execution's pid means something only there).
    public var host: String

    public init(stage: String, pipeline: String, key: String, state: State, path: String?, digest: String?, started: String,
                host: String = ProcessInfo.processInfo.hostName) {
        self.host = host
        self.stage = stage
        self.pipeline = pipeline
        self.key = key
        self.state = state
        self.path = path
        self.digest = digest
        self.started = started
    }

    var value: Value {
        .map([("stage", .string(stage)), ("pipeline", .string(pipeline)), ("key", .string(key)),
              ("state", .string(state.rawValue)), ("path", path.map(Value.string) ?? .null),
              ("digest", digest.map(Value.string) ?? .null), ("started", .string(started)), ("host", .string(host))])
    }

    init?(_ v: Value) {
        guard let stage = v["stage"]?.stringValue, let key = v["key"]?.stringValue,
              let state = v["state"]?.stringValue.flatMap(State.init(rawValue:)) else { return nil }
        self.init(stage: stage, pipeline: v["pipeline"]?.stringValue ?? "", key: key, state: state,
                  path: v["path"]?.stringValue, digest: v["digest"]?.stringValue, started: v["started"]?.stringValue ?? "",
                  host: v["host"]?.stringValue ?? "")
    }
}

extension Store {
    func logIndexPath(stage: String) -> String { "\(root)/lastlog/\(sha256Hex(stage)).json" }

    /// Notes `entry` as the latest execution of its stage id (atomically; the last writer wins).
    public func noteLog(_ entry: StageLogEntry) throws {
        try FileSystem.makeDirectory(root + "/lastlog")
        try FileSystem.writeAtomically(Data(entry.value.canonicalJSON.utf8), to: logIndexPath(stage: entry.stage),
                                       tempDirectory: root + "/tmp")
    }

    /// The latest execution of `stage` (any pipeline using this cache), if one was noted. A log
    /// path outside this cache (an edited entry) is dropped.
    public func latestLog(stage: String) -> StageLogEntry? {
        guard let d = FileSystem.read(logIndexPath(stage: stage)), let v = try? Value.parseJSON(bytes: Array(d)),
              var e = StageLogEntry(v), e.stage == stage else { return nil }
        if let p = e.path, !p.hasPrefix(root + "/") || p.contains("/../") { e.path = nil }
        return e
    }

    /// Every stage id with a noted log (for suggestions).
    public func loggedStages() -> [String] {
        FileSystem.list(root + "/lastlog").compactMap { name in
            guard name.hasSuffix(".json"), let d = FileSystem.read(root + "/lastlog/" + name),
                  let v = try? Value.parseJSON(bytes: Array(d)) else { return nil }
            return StageLogEntry(v)?.stage
        }
    }
}
