// RunObserver: what a run reports as it goes: stage starts, progress, ends. Displays implement it.

import PipelineCore

/// How a stage instance ended in a run.
public enum StageStatus: String, Sendable {
    case executed, cached, failed, skipped
}

/// Receives run events; called from several threads, so implementations synchronise.
public protocol RunObserver: AnyObject {
    func runStarted(plan: Plan, selected: Int)
    func stageStarted(_ id: String)
    func stageProgress(_ id: String, fraction: Double?, status: String)
    func stageEnded(_ id: String, status: StageStatus, seconds: Double, error: Error?)
    func runEnded(_ summary: RunSummary)
}

/// The result of a run.
public struct RunSummary {
    public var executed = 0
    public var cached = 0
    public var failed = 0
    public var skipped = 0
    public var wallSeconds = 0.0
    public var interrupted = false
    /// Per instance: id, status, seconds, key (if known).
    public var stages: [(id: String, status: StageStatus, seconds: Double, key: String?)] = []
    public var errors: [Error] = []
    public var published: [String] = []
    /// Gathering stages that ran on partial inputs (`run -k`), with the inputs they went without.
    public var partial: [(id: String, missing: [MissingInput])] = []
    /// Declared outputs not published because a producer did not succeed.
    public var unpublished: [String] = []
    /// The run's manifest id (cache/runs/<id>.json), once written.
    public var runId: String?

    public init() {}

    public var succeeded: Bool { failed == 0 && !interrupted && errors.isEmpty }

    /// The machine-readable summary printed by `--json`.
    public var value: Value {
        .map([
            ("executed", .int(executed)),
            ("cached", .int(cached)),
            ("failed", .int(failed)),
            ("skipped", .int(skipped)),
            ("wall_seconds", .double((wallSeconds * 1000).rounded() / 1000)),
            ("interrupted", .bool(interrupted)),
            ("run", runId.map(Value.string) ?? .null),
            ("published", .list(published.map(Value.string))),
            ("unpublished", .list(unpublished.map(Value.string))),
            ("partial", .list(partial.map { p in
                .map([("id", .string(p.id)),
                      ("missing", .list(p.missing.map { .map([("stage", .string($0.stage)), ("reason", .string($0.reason))]) }))])
            })),
            ("errors", .list(errors.map { .string("\($0)") })),
            ("stages", .list(stages.map { s in
                .map([("id", .string(s.id)), ("status", .string(s.status.rawValue)),
                      ("seconds", .double((s.seconds * 1000).rounded() / 1000)), ("key", s.key.map(Value.string) ?? .null)])
            })),
        ])
    }
}
