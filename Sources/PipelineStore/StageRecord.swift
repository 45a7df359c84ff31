// StageRecord: the JSON file `cache/stages/<key>.json` that marks a stage as finished. It is
// written last, atomically; a stage is cached when its record exists and every object it names does.
// It names the code and numeric environment that made the result (`environment`, format 2).

import BuildInfo
import Foundation
import PipelineCore
#if canImport(Glibc)
import Glibc
#endif

public struct StageRecord {
    /// The record format this engine writes and the newest it reads. 2 added `format` and
    /// `environment`; a record without `format` is format 1.
    public static let formatVersion = 2

    /// The record's format (1 for records written before the field existed).
    public var format: Int
    public var key: String
    /// Instance id, e.g. `data[dataset=addition]`.
    public var stage: String
    public var pipeline: String
    public var parts: KeyParts
    /// Digest of the output directory's manifest.
    public var output: String
    /// Every object the output needs (files and manifests), plus the log.
    public var objects: [String]
    /// Total bytes of output files.
    public var size: Int
    /// Digest of the stage's log (stdout and stderr for command stages).
    public var log: String
    /// When the stage started, as an ISO 8601 UTC timestamp.
    public var started: String
    public var seconds: Double
    public var host: String
    public var engine: String
    /// Where it ran: `local`, or `slurm:<jobid>`.
    public var executor: String
    /// The code (version, commit, dirty) and numeric environment (BLAS, its threads, CPU, OS,
    /// Swift) the stage ran with; nil in records written before format 2.
    public var environment: NumericEnvironment?

    public init(key: String, stage: String, pipeline: String, parts: KeyParts, output: String, objects: [String], size: Int,
                log: String, started: String, seconds: Double, host: String, engine: String, executor: String,
                environment: NumericEnvironment? = nil, format: Int = StageRecord.formatVersion) {
        self.format = format
        self.environment = environment
        self.key = key
        self.stage = stage
        self.pipeline = pipeline
        self.parts = parts
        self.output = output
        self.objects = objects
        self.size = size
        self.log = log
        self.started = started
        self.seconds = seconds
        self.host = host
        self.engine = engine
        self.executor = executor
    }

    public var value: Value {
        var fields: [(String, Value)] = [
            ("format", .int(format)),
            ("key", .string(key)),
            ("stage", .string(stage)),
            ("pipeline", .string(pipeline)),
            ("output", .string(output)),
            ("size", .int(size)),
            ("log", .string(log)),
            ("started", .string(started)),
            ("seconds", .double((seconds * 1000).rounded() / 1000)),
            ("host", .string(host)),
            ("engine", .string(engine)),
            ("executor", .string(executor)),
        ]
        if let environment { fields.append(("environment", .map(environment.fields.map { ($0.name, .string($0.value)) }))) }
        fields += [("parts", parts.value), ("objects", .list(objects.map(Value.string)))]
        return .map(fields)
    }

    public init?(_ v: Value) {
        guard let key = v["key"]?.stringValue, let stage = v["stage"]?.stringValue,
              let output = v["output"]?.stringValue, let partsV = v["parts"], let parts = KeyParts(partsV),
              let objects = v["objects"]?.listValue else { return nil }
        self.init(key: key, stage: stage, pipeline: v["pipeline"]?.stringValue ?? "", parts: parts, output: output,
                  objects: objects.compactMap(\.stringValue), size: v["size"]?.intValue ?? 0,
                  log: v["log"]?.stringValue ?? "", started: v["started"]?.stringValue ?? "",
                  seconds: v["seconds"]?.doubleValue ?? 0, host: v["host"]?.stringValue ?? "",
                  engine: v["engine"]?.stringValue ?? "", executor: v["executor"]?.stringValue ?? "local",
                  environment: v["environment"]?.mapValue.map { NumericEnvironment(fields: $0.compactMap { n, v in v.stringValue.map { (n, $0) } }) },
                  format: v["format"]?.intValue ?? 1)
    }

    /// `started` as a date (nil if it is not a timestamp this engine wrote).
    public var startedDate: Date? {
        let parts = started.split(whereSeparator: { "-T:.Z".contains($0) }).compactMap { Int($0) }
        guard parts.count >= 6 else { return nil }
        var tm = tm()
        tm.tm_year = Int32(parts[0] - 1900)
        tm.tm_mon = Int32(parts[1] - 1)
        tm.tm_mday = Int32(parts[2])
        tm.tm_hour = Int32(parts[3])
        tm.tm_min = Int32(parts[4])
        tm.tm_sec = Int32(parts[5])
        let secs = timegm(&tm)
        return Date(timeIntervalSince1970: Double(secs) + (parts.count > 6 ? Double(parts[6]) / 1000 : 0))
    }

    /// `2026-11-22T02:41:07.123Z` without a (slow) date formatter.
    public static func timestamp(_ d: Date) -> String {
        var t = time_t(d.timeIntervalSince1970)
        var tm = tm()
        gmtime_r(&t, &tm)
        let ms = Int((d.timeIntervalSince1970 - Double(t)) * 1000)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(tm.tm_year) + 1900, Int(tm.tm_mon) + 1,
                      Int(tm.tm_mday), Int(tm.tm_hour), Int(tm.tm_min), Int(tm.tm_sec), max(0, min(999, ms)))
    }
}
