// SlurmSettings: how to submit (partition, account, extra sbatch options) and what each job runs
// (binary, pipeline, overrides, cache). Merges the pipeline's `executor:` map with the command
// line (the command line wins) and validates the map's fields.

import Executors
import Foundation
import PipelineCore

/// Where and how stages are submitted to Slurm.
public struct SlurmSettings: Equatable {
    /// `--partition`, if any.
    public var partition: String?
    /// `--account`, if any.
    public var account: String?
    /// Extra sbatch options, already split into words (`--qos=low --constraint=x`).
    public var extraOptions: [String] = []
    /// Absolute path of the madpipe binary the jobs run (must exist on the compute nodes).
    public var binary: String = ""
    /// Absolute path of the pipeline file.
    public var pipelinePath: String = ""
    /// `-p name=value` overrides, passed on to `exec-stage` unchanged.
    public var overrides: [String] = []
    /// Absolute cache directory (shared storage).
    public var cacheRoot: String = ""
    /// Working directory of the jobs (the head's current directory).
    public var workingDirectory: String = ""
    /// First and longest pause between status queries, in seconds.
    public var minPoll = 0.2
    public var maxPoll = 5.0

    public init() {}

    /// The executor kind the pipeline asks for (`executor: slurm` or `{kind: slurm}`); nil if unset.
    public static func kind(in spec: PipelineSpec) throws -> String? {
        guard let v = spec.executor.first(where: { $0.0 == "kind" })?.1 else { return nil }
        guard let s = v.stringValue, ["local", "slurm"].contains(s) else {
            throw SlurmError.badSetting(file: spec.file, field: "kind", problem: "expected 'local' or 'slurm', got '\(v)'")
        }
        return s
    }

    /// Reads `partition`, `account` and `options` from the pipeline's `executor:` map; unknown
    /// keys and non-string values are errors naming the field.
    public mutating func apply(executor pairs: [(String, Value)], file: String) throws {
        let known = ["kind", "partition", "account", "options"]
        for (key, value) in pairs {
            guard known.contains(key) else {
                let hint = suggestion(for: key, among: known).map { "; did you mean '\($0)'?" } ?? ""
                throw SlurmError.badSetting(file: file, field: key, problem: "unknown setting (known: \(known.joined(separator: ", ")))\(hint)")
            }
            if key == "kind" { continue }
            guard let s = value.stringValue, !s.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw SlurmError.badSetting(file: file, field: key, problem: "expected a non-empty string, got \(value.typeName) '\(value)'")
            }
            switch key {
            case "partition": partition = s
            case "account": account = s
            default: extraOptions = try SlurmSettings.splitOptions(s, file: file, field: key)
            }
        }
    }

    /// Splits an options string into words, honouring single and double quotes
    /// (`--comment='a b' --qos=low` -> [`--comment=a b`, `--qos=low`]).
    public static func splitOptions(_ text: String, file: String = "command line", field: String = "options") throws -> [String] {
        var words: [String] = []
        var cur = ""
        var inWord = false
        var quote: Character? = nil
        for c in text {
            if let q = quote {
                if c == q { quote = nil } else { cur.append(c) }
            } else if c == "'" || c == "\"" {
                quote = c
                inWord = true
            } else if c == " " || c == "\t" || c == "\n" {
                if inWord { words.append(cur); cur = ""; inWord = false }
            } else {
                cur.append(c)
                inWord = true
            }
        }
        if quote != nil {
            throw SlurmError.badSetting(file: file, field: field, problem: "unterminated quote in '\(text)'")
        }
        if inWord { words.append(cur) }
        return words
    }
}
