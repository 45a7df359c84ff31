// SlurmJobSpecTests: the pure parts of the Slurm executor: sbatch arguments and job script,
// job names, time and memory units, option splitting, `executor:` validation, the parsers of
// squeue/sacct answers (on text in the formats docs/slurm-cluster.md shows), and job files.

import Executors
import Slurm
import Foundation
import PipelineCore
import XCTest

final class SlurmJobSpecTests: XCTestCase {
    func settings() -> SlurmSettings {
        var s = SlurmSettings()
        s.binary = "/opt/mad pipe/madpipe"
        s.pipelinePath = "/home/r/p.yaml"
        s.overrides = ["seed=1", "msg=it's"]
        s.cacheRoot = "/shared/cache"
        s.workingDirectory = "/home/r"
        s.partition = "gpu"
        s.account = "lab"
        s.extraOptions = ["--qos=low"]
        return s
    }

    func testArgumentsMapResourcesAndSettings() {
        let spec = SlurmJobSpec(stageId: "train[seed=1]", key: "abcdef0123456789", pipelineName: "mad",
                                resources: Resources(cpus: 4, memory: 1536 << 20, time: 5400, gres: "gpu:1"),
                                settings: settings(), logPath: "/shared/cache/slurm/logs/k.out")
        XCTAssertEqual(spec.arguments, [
            "--parsable", "--job-name=madpipe:mad:train[seed=1]", "--output=/shared/cache/slurm/logs/k.out",
            "--open-mode=truncate", "--chdir=/home/r", "--cpus-per-task=4", "--mem=1536M", "--time=90",
            "--gres=gpu:1", "--partition=gpu", "--account=lab", "--qos=low",
        ])
        let bare = SlurmJobSpec(stageId: "a", key: "k", pipelineName: "p", resources: Resources(),
                                settings: SlurmSettings(), logPath: "/l")
        XCTAssertFalse(bare.arguments.contains { $0.hasPrefix("--mem") || $0.hasPrefix("--time") || $0.hasPrefix("--gres") || $0.hasPrefix("--partition") })
        XCTAssertTrue(bare.arguments.contains("--cpus-per-task=1"))
    }

    /// `resources: {gpus: 1}` in a pipeline file becomes `--gres=gpu:1` for sbatch and in the
    /// script's #SBATCH lines; gpus with gres, or a non-positive count, is a located error.
    func testGPUsMapToGres() throws {
        func parse(_ resources: String) throws -> PipelineSpec {
            try SpecParser.parse("""
            pipeline: g
            stages:
              s:
                kind: write
                params: {text: x}
                resources: \(resources)
            """, file: "/p/g.yaml")
        }
        let spec = try parse("{gpus: 1, cpus: 4}")
        let resources = try XCTUnwrap(spec.stages.first?.resources)
        XCTAssertEqual(resources.gpus, 1)
        let job = SlurmJobSpec(stageId: "s", key: "k", pipelineName: "g", resources: resources, settings: settings(), logPath: "/l")
        XCTAssertTrue(job.arguments.contains("--gres=gpu:1"), "\(job.arguments)")
        XCTAssertTrue(job.script.hasPrefix("#!/bin/sh\n#SBATCH --gres=gpu:1\n"), job.script)
        let none = SlurmJobSpec(stageId: "s", key: "k", pipelineName: "g", resources: Resources(cpus: 4), settings: settings(), logPath: "/l")
        XCTAssertFalse(none.script.contains("#SBATCH"))
        XCTAssertFalse(none.arguments.contains { $0.hasPrefix("--gres") })
        for (bad, message) in [("{gpus: 0}", "resources.gpus"), ("{gpus: two}", "resources.gpus"),
                               ("{gpus: 1, gres: \"gpu:2\"}", "not both")] {
            XCTAssertThrowsError(try parse(bad), bad) { XCTAssertTrue("\($0)".contains(message), "\(bad): \($0)") }
        }
    }

    /// The script's command line, as /bin/sh itself splits it, is exactly the intended argv.
    func testScriptQuotingSurvivesTheShell() throws {
        let spec = SlurmJobSpec(stageId: "s[msg=a 'b' $x]", key: "k", pipelineName: "p", resources: Resources(),
                                settings: settings(), logPath: "/l")
        let line = spec.script.split(separator: "\n").last!
        XCTAssertTrue(line.hasPrefix("exec "))
        // Replace exec with a printer of its arguments and let sh do the parsing.
        let probe = "SLURM_JOB_ID=77; printf '%s\\n' " + line.dropFirst("exec ".count).dropFirst(Shell.quote(settings().binary).count)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", probe]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init), [
            "exec-stage", "/home/r/p.yaml", "s[msg=a 'b' $x]", "-p", "seed=1", "-p", "msg=it's",
            "--cache", "/shared/cache", "--executor-name", "slurm:77",
        ])
        XCTAssertTrue(spec.script.hasPrefix("#!/bin/sh\n"))
    }

    func testJobNamesAreTruncatedWithAKeyTag() {
        XCTAssertEqual(SlurmJobSpec.jobName(pipeline: "p", stage: "s[a=1]", key: "k"), "madpipe:p:s[a=1]")
        let long = SlurmJobSpec.jobName(pipeline: "p", stage: String(repeating: "x", count: 300), key: "0123456789abcdef")
        XCTAssertEqual(long.count, SlurmJobSpec.maxNameLength)
        XCTAssertTrue(long.hasPrefix("madpipe:p:xxx"))
        XCTAssertTrue(long.hasSuffix("xx~01234567"))
        XCTAssertFalse(SlurmJobSpec.jobName(pipeline: "p", stage: "a\nb", key: "k").contains("\n"))
    }

    func testTimeAndMemoryUnits() {
        XCTAssertEqual(SlurmJobSpec.timeLimit(seconds: 60), "1")
        XCTAssertEqual(SlurmJobSpec.timeLimit(seconds: 5400), "90")
        XCTAssertEqual(SlurmJobSpec.timeLimit(seconds: 90), "0-00:01:30")
        XCTAssertEqual(SlurmJobSpec.timeLimit(seconds: 86_400), "1-00:00:00")
        XCTAssertEqual(SlurmJobSpec.timeLimit(seconds: 2 * 86_400 + 3 * 3600 + 4 * 60 + 5), "2-03:04:05")
        XCTAssertEqual(SlurmJobSpec.megabytes(1 << 20), 1)
        XCTAssertEqual(SlurmJobSpec.megabytes((1 << 20) + 1), 2, "rounded up, never below the request")
        XCTAssertEqual(SlurmJobSpec.megabytes(4 << 30), 4096)
        XCTAssertEqual(SlurmJobSpec.megabytes(10), 1)
    }

    func testOptionSplittingAndExecutorValidation() throws {
        XCTAssertEqual(try SlurmSettings.splitOptions("  --qos=low  --comment='a b' -C \"x y\" "),
                       ["--qos=low", "--comment=a b", "-C", "x y"])
        XCTAssertThrowsError(try SlurmSettings.splitOptions("--comment='open")) { e in
            XCTAssertTrue("\(e)".contains("unterminated quote"), "\(e)")
        }
        var s = SlurmSettings()
        try s.apply(executor: [("kind", .string("slurm")), ("partition", .string("cpu")), ("options", .string("--qos=high -N 1"))], file: "/p.yaml")
        XCTAssertEqual(s.partition, "cpu")
        XCTAssertEqual(s.extraOptions, ["--qos=high", "-N", "1"])
        XCTAssertThrowsError(try s.apply(executor: [("partiton", .string("x"))], file: "/p.yaml")) { e in
            XCTAssertEqual("\(e)", "/p.yaml: executor.partiton: unknown setting (known: kind, partition, account, options); did you mean 'partition'?")
        }
        XCTAssertThrowsError(try s.apply(executor: [("account", .int(3))], file: "/p.yaml")) { e in
            XCTAssertTrue("\(e)".contains("executor.account: expected a non-empty string, got int '3'"), "\(e)")
        }
        var spec = PipelineSpec(name: "p", file: "/p.yaml", directory: "/")
        XCTAssertNil(try SlurmSettings.kind(in: spec))
        spec.executor = [("kind", .string("slurm"))]
        XCTAssertEqual(try SlurmSettings.kind(in: spec), "slurm")
        spec.executor = [("kind", .string("pbs"))]
        XCTAssertThrowsError(try SlurmSettings.kind(in: spec)) { e in
            XCTAssertTrue("\(e)".contains("executor.kind: expected 'local' or 'slurm', got 'pbs'"), "\(e)")
        }
    }

    func testSqueueAndSacctParsing() {
        let sq = SlurmJobState.parseSqueue("12|RUNNING|None\n13|PENDING|Resources\n14|FAILED|NonZeroExitCode\n15_1|RUNNING|None\ngarbage\n")
        XCTAssertEqual(sq.count, 3)
        XCTAssertEqual(sq["12"], SlurmJobState(state: "RUNNING", detail: "None"))
        XCTAssertFalse(sq["13"]!.isFinal)
        XCTAssertTrue(sq["14"]!.isFinal)
        XCTAssertEqual(sq["14"]!.summary, "FAILED (NonZeroExitCode)")
        XCTAssertEqual(sq["12"]!.summary, "RUNNING")
        let sa = SlurmJobState.parseSacct("20|COMPLETED|0:0\n20.batch|COMPLETED|0:0\n21|CANCELLED by 0|0:15\n22|FAILED|3:0\n")
        XCTAssertEqual(sa["21"], SlurmJobState(state: "CANCELLED", detail: "exit 0:15"))
        XCTAssertEqual(sa["22"]!.summary, "FAILED (exit 3:0)")
        XCTAssertEqual(sa.count, 3)
        XCTAssertTrue(SlurmJobState.isUnknownIdsError("slurm_load_jobs error: Invalid job id specified\n"))
        XCTAssertFalse(SlurmJobState.isUnknownIdsError("slurm_load_jobs error: Unable to contact slurm controller"))
    }

    func testJobFileRoundTripAndAtomicity() throws {
        let root = NSTemporaryDirectory() + "madpipe-jobfile-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let f = SlurmJobFile(jobId: "42", token: "00ff", key: "abc", pipeline: "p", stage: "s[x=1]",
                             submitted: Date(timeIntervalSince1970: 1_700_000_000.5), head: "h:1")
        try f.write(root: root)
        XCTAssertEqual(SlurmJobFile.read(root: root, key: "abc"), f)
        XCTAssertFalse(f.isPending)
        XCTAssertEqual(f.comment, "madpipe:00ff")
        XCTAssertNil(SlurmJobFile.read(root: root, key: "other"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: root + "/slurm/jobs")
        XCTAssertEqual(leftovers, ["abc.json"], "no temporary files remain")
        try "{\"job\": \"1\", \"key\": \"zzz\"}".write(toFile: SlurmJobFile.path(root: root, key: "abc"), atomically: true, encoding: .utf8)
        XCTAssertNil(SlurmJobFile.read(root: root, key: "abc"), "a file naming another key is not trusted")
    }
}
