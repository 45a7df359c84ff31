// SlurmJobSpec: the pure translation of one stage instance into an sbatch call: the job name,
// the resource flags, the output file and the job script that runs `madpipe exec-stage`.

import Executors
import Foundation
import PipelineCore

/// One sbatch submission: arguments plus the script sbatch reads from standard input.
public struct SlurmJobSpec: Equatable {
    /// Arguments after `sbatch` (always starting with `--parsable`).
    public var arguments: [String]
    /// The batch script (a `/bin/sh` script ending in `exec madpipe exec-stage ...`).
    public var script: String

    /// Longest job name submitted; longer names keep their start and end a short hash tag.
    public static let maxNameLength = 120

    /// Builds the submission of instance `stageId` (key `key`, needing `resources`).
    public init(stageId: String, key: String, pipelineName: String, resources: Resources,
                settings: SlurmSettings, logPath: String, comment: String? = nil) {
        var args = ["--parsable",
                    "--job-name=" + SlurmJobSpec.jobName(pipeline: pipelineName, stage: stageId, key: key),
                    "--output=" + logPath,
                    "--open-mode=truncate",
                    "--chdir=" + settings.workingDirectory,
                    "--cpus-per-task=\(max(1, resources.cpus))"]
        if let m = resources.memory { args.append("--mem=\(SlurmJobSpec.megabytes(m))M") }
        if let t = resources.time { args.append("--time=" + SlurmJobSpec.timeLimit(seconds: t)) }
        if let g = resources.gres { args.append("--gres=" + g) }
        if let n = resources.gpus { args.append("--gres=gpu:\(n)") }
        if let c = comment { args.append("--comment=" + c) }
        if let p = settings.partition { args.append("--partition=" + p) }
        if let a = settings.account { args.append("--account=" + a) }
        args += settings.extraOptions
        arguments = args

        var words = [settings.binary, "exec-stage", settings.pipelinePath, stageId]
        for o in settings.overrides { words += ["-p", o] }
        words += ["--cache", settings.cacheRoot]
        // GPUs are also a directive in the script, so the script alone (resubmitted by hand)
        // still asks for them.
        let gpuDirective = resources.gpus.map { "#SBATCH --gres=gpu:\($0)\n" } ?? ""
        script = "#!/bin/sh\n" + gpuDirective + "# madpipe stage \(SlurmJobSpec.commentSafe(stageId)) (key \(key))\n"
            + "exec " + words.map(Shell.quote).joined(separator: " ")
            + " --executor-name \"slurm:$SLURM_JOB_ID\"\n"
    }

    /// `madpipe:<pipeline>:<id>`, shortened to `maxNameLength` characters with a key tag when long.
    public static func jobName(pipeline: String, stage: String, key: String) -> String {
        let full = "madpipe:\(pipeline):\(stage)".map { $0.isNewline ? " " : $0 }
        if full.count <= maxNameLength { return String(full) }
        let tag = "~" + key.prefix(8)
        let keep = maxNameLength - tag.count
        return String(full.prefix(keep)) + tag
    }

    /// Bytes to whole megabytes, rounded up (Slurm's `--mem` unit).
    public static func megabytes(_ bytes: Int) -> Int { max(1, (bytes + (1 << 20) - 1) >> 20) }

    /// Seconds to Slurm's `--time`: whole minutes when exact and under a day, else `D-HH:MM:SS`.
    public static func timeLimit(seconds: Int) -> String {
        let s = max(1, seconds)
        if s % 60 == 0 && s < 86_400 { return String(s / 60) }
        return String(format: "%d-%02d:%02d:%02d", s / 86_400, (s % 86_400) / 3600, (s % 3600) / 60, s % 60)
    }

    static func commentSafe(_ s: String) -> String { s.replacingOccurrences(of: "\n", with: " ") }
}
