// BundleProvenance: where a bundle's results were made: the madpipe code that exported it
// (version, git commit, dirty), its numeric environment (BLAS library and core, CPU, OS, Swift;
// NumericEnvironment in BuildInfo) and the pipeline directory's own git commit. Each stage record
// carries the environment it ran with (StageRecord.environment), including its BLAS thread count.

import BuildInfo
import Foundation
import PipelineCore
import PipelineStore

public enum BundleProvenance {
    /// The provenance fields, in a fixed order. `created` is an ISO 8601 time chosen by the caller
    /// (the CLI uses $SOURCE_DATE_EPOCH, else the end of the newest stage, so exports repeat).
    /// `projectDirectory` is the pipeline's directory, whose git commit becomes `gitHead`.
    public static func collect(projectDirectory: String, engine: String, created: String) -> [(String, Value)] {
        let env = NumericEnvironment.current
        var fields: [(String, Value)] = [("engine", .string(engine)), ("created", .string(created))]
        for name in ["commit", "dirty", "blas", "blasCore", "cpu", "os", "swift"] {
            fields.append((name, .string(env[name] ?? "unknown")))
        }
        fields.append(("gitHead", .string(gitCommit(projectDirectory) ?? "unknown")))
        return fields
    }

    /// The environment a bundle's provenance describes (the exporting madpipe's), for comparing
    /// with this machine's: every string field except `created` and `gitHead`.
    public static func environment(_ provenance: [(String, Value)]) -> NumericEnvironment {
        NumericEnvironment(fields: provenance.compactMap { name, value in
            guard !["created", "gitHead"].contains(name), let s = value.stringValue else { return nil }
            return (name == "engine" ? "version" : name, s)
        })
    }

    /// `git rev-parse HEAD` in `directory`, if it is inside a repository.
    public static func gitCommit(_ directory: String) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["git", "-C", directory, "rev-parse", "HEAD"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        do { try p.run() } catch { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        let s = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return s.isEmpty ? nil : s
    }
}
