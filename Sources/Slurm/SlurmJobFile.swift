// SlurmJobFile: the record of a submitted job, cache/slurm/jobs/<key>.json, written atomically
// twice: before sbatch (pending: no id yet, a token that the job carries as its --comment) and
// right after sbatch answers, so that a restarted head adopts the job instead of submitting again.

import Base
import Executors
import Foundation
import PipelineCore
import PipelineStore

/// A job submitted for one stage key.
public struct SlurmJobFile: Equatable {
    /// The Slurm job id; empty while the submission is in flight (pending).
    public var jobId: String
    /// A random token passed as `--comment=madpipe:<token>`, to find a job whose id was never recorded.
    public var token: String
    public var key: String
    public var pipeline: String
    public var stage: String
    public var submitted: Date
    /// `host:pid` of the head that submitted it.
    public var head: String

    public init(jobId: String, token: String, key: String, pipeline: String, stage: String, submitted: Date, head: String) {
        self.jobId = jobId
        self.token = token
        self.key = key
        self.pipeline = pipeline
        self.stage = stage
        self.submitted = submitted
        self.head = head
    }

    /// True while sbatch has not answered (or the head died before it could record the id).
    public var isPending: Bool { jobId.isEmpty }

    /// The sbatch comment that carries the token.
    public var comment: String { "madpipe:" + token }

    /// `<cache>/slurm/jobs/<key>.json`.
    public static func path(root: String, key: String) -> String { "\(root)/slurm/jobs/\(key).json" }
    /// `<cache>/slurm/logs/<key>.out`: the job's standard output and error.
    public static func logPath(root: String, key: String) -> String { "\(root)/slurm/logs/\(key).out" }

    var value: Value {
        .map([("job", .string(jobId)), ("token", .string(token)), ("key", .string(key)), ("pipeline", .string(pipeline)),
              ("stage", .string(stage)), ("submitted", .double(submitted.timeIntervalSince1970)),
              ("head", .string(head))])
    }

    /// Writes the file atomically (temp file, fsync, rename).
    public func write(root: String) throws {
        let p = SlurmJobFile.path(root: root, key: key)
        do {
            try FileSystem.makeDirectory((p as NSString).deletingLastPathComponent)
            try FileSystem.writeAtomically(Data(value.prettyJSON().utf8), to: p)
        } catch {
            throw SlurmError.cacheWrite(path: p, problem: "\(error)")
        }
    }

    /// Reads the job file of `key`; nil when absent or unreadable (then the stage is submitted anew).
    public static func read(root: String, key: String) -> SlurmJobFile? {
        guard let data = FileSystem.read(path(root: root, key: key)),
              let obj = try? Value.parseJSON(bytes: Array(data)),
              let job = obj["job"]?.stringValue, let k = obj["key"]?.stringValue, k == key else { return nil }
        let t = obj["submitted"]?.doubleValue ?? 0
        return SlurmJobFile(jobId: job, token: obj["token"]?.stringValue ?? "", key: k, pipeline: obj["pipeline"]?.stringValue ?? "",
                            stage: obj["stage"]?.stringValue ?? "", submitted: Date(timeIntervalSince1970: t),
                            head: obj["head"]?.stringValue ?? "")
    }
}
