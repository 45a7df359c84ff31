// RunCommand: `madpipe run [PIPELINE]`: runs the pipeline's stages that are not cached, publishes
// every output whose producers succeeded, and records the run (cache/runs/<id>.json).

import ArgumentParser
import Executors
import Slurm
import Base
import Foundation
import Numerics
import PipelineCore
import PipelineStore
#if canImport(Glibc)
import Glibc
#endif

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a pipeline; only stages whose cache key changed are executed.",
        discussion: """
        Examples:
          madpipe run                                  # pipelines/quickstart.yaml
          madpipe run pipelines/quirky-mad.yaml -p seed=1 --jobs 2 --keep-going
          madpipe run pipelines/quickstart.yaml --dry-run
          madpipe run pipelines/quickstart.yaml --json > summary.json
          madpipe run pipelines/quirky-mad.yaml -m seed=0,1 -k   # sweep two seeds, keep going
        Ctrl-C stops launching stages, ends the running ones and keeps every finished stage cached.
        With --keep-going, outputs whose producers succeeded are published, and gathering stages \
        (evaluate, table, concat, separation, report) run on the instances that succeeded, listing \
        the others in their missing.csv. Every run is recorded: see `madpipe runs`.
        """)

    @Argument(help: "Pipeline file (default: pipelines/quickstart.yaml).")
    var pipeline: String = defaultPipeline

    @OptionGroup var pipelineOptions: PipelineOptions
    @OptionGroup var cacheOptions: CacheOptions

    @Option(name: [.short, .long], help: "Run at most N stages at once (CPU budget; default: cores).")
    var jobs: Int?

    @Flag(name: [.customShort("k"), .long], help: "Keep running stages that do not depend on a failure.")
    var keepGoing = false

    @Flag(name: .long, help: "Print what would run and why; run nothing.")
    var dryRun = false

    @Flag(name: [.short, .long], help: "Print errors only.")
    var quiet = false

    @Flag(name: .long, help: "Print a machine-readable summary (JSON) on standard output.")
    var json = false

    @Option(name: .long, help: ArgumentHelp("Directory for published outputs (default: results/ in the project root, beside its cache/).", valueName: "dir"))
    var results: String?

    @Option(name: .long, help: ArgumentHelp("Run only instances matching this id or glob (and what they need).", valueName: "pattern"))
    var only: [String] = []

    @Option(name: .long, help: ArgumentHelp("Where stages run: local (threads here) or slurm (one sbatch job each). Default: the pipeline's executor.kind, else local.", valueName: "kind"))
    var executor: String?

    @Option(name: .long, help: ArgumentHelp("Slurm partition (overrides executor.partition).", valueName: "name"))
    var partition: String?

    @Option(name: .long, help: ArgumentHelp("Slurm account (overrides executor.account).", valueName: "name"))
    var account: String?

    @Option(name: .long, help: ArgumentHelp("Extra sbatch options, e.g. \"--qos=low --constraint=avx2\" (overrides executor.options).", valueName: "options"))
    var slurmOpt: String?

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if let executor, !["local", "slurm"].contains(executor) {
            throw ValidationError("--executor must be 'local' or 'slurm', not '\(executor)'")
        }
    }

    func run() throws {
        let plan = try pipelineOptions.plan(pipeline)
        let store = try cacheOptions.openStore(pipeline: pipeline)
        let resultsRoot = results ?? ProjectRoot.of(pipeline: pipeline) + "/results"
        store.cleanTemporaries()
        var selected: [Int]? = nil
        if !only.isEmpty {
            let s = only.flatMap { plan.select($0) }
            if s.isEmpty { throw ValidationError("no stage instance matches \(only.joined(separator: ", "))") }
            selected = s
        }
        if dryRun {
            try printDryRun(plan: plan, store: store, selected: selected)
            return
        }
        // Held until this process ends: `cache gc` deletes nothing while this run is in flight.
        let lease = try RunLease.forRun(store) { printError("madpipe: waiting for `cache gc` on \(store.root) to finish") }
        defer { withExtendedLifetime(lease) {} }
        var manifest = RunManifest(id: RunManifest.newId(), time: StageRecord.timestamp(Date()), pipeline: plan.spec.name,
                                   file: URL(fileURLWithPath: plan.spec.file).standardizedFileURL.path,
                                   digest: pipelineDigest(plan.spec), vars: pipelineOptions.param, matrix: pipelineOptions.matrix)
        try store.write(manifest)
        let display = ProgressDisplay.automatic(quiet: quiet || json)
        var options = RunOptions()
        if let jobs { options.jobs = jobs }
        options.keepGoing = keepGoing
        let cancel = CancellationFlag()
        let launcher: StageLauncher
        let slurm = try slurmSettings(plan: plan, store: store)  // validates the executor: map either way
        if try (executor ?? SlurmSettings.kind(in: plan.spec)) == "slurm" {
            if !pipelineOptions.matrix.isEmpty {
                throw PipelineError.badOverride(text: pipelineOptions.matrix[0], problem: "-m is not passed to Slurm jobs yet; edit the pipeline's matrix instead")
            }
            launcher = SlurmLauncher(plan: plan, store: store, settings: slurm)
            // The cluster schedules resources; --jobs (if given) caps the jobs in flight.
            if jobs == nil { options.jobs = 100_000 }
            options.memory = Int.max / 2
        } else {
            // Stages run as threads of this process; their BLAS thread count does not follow --jobs.
            BLASThreads.set(BLASThreads.perStage())
            let runner = StageRunner(store: store, plan: plan, isCancelled: { cancel.isRaised })
            runner.logOpened = { [weak display] id, path in display?.stageLog(id, path: path) }
            launcher = LocalLauncher(runner: runner)
        }
        let run = PipelineRun(plan: plan, store: store, options: options, launcher: launcher, observer: display, cancel: cancel)
        let signals = Signals.install {
            cancel.raise()
            launcher.cancelAll()
            run.wake()
        }
        var summary = run.run(selected: selected)
        signals.forEach { $0.cancel() }
        // Everything whose producers succeeded is published, also when other stages failed.
        if !summary.interrupted {
            var keys: [String: String] = [:]
            for s in summary.stages where s.status == .executed || s.status == .cached { if let k = s.key { keys[s.id] = k } }
            do {
                let r = try Publisher.publish(plan: plan, store: store, keys: keys, resultsRoot: resultsRoot)
                manifest.outputs = r.outputs
                summary.published = r.outputs.map { resultsRoot + "/" + plan.spec.name + "/" + $0.name }
                summary.unpublished = r.unpublished
            } catch {
                summary.errors.append(error)
                printError("error: \(error)")
            }
        }
        manifest.status = summary.interrupted ? "interrupted" : summary.succeeded ? "succeeded" : "failed"
        manifest.stages = summary.stages.map { ($0.id, $0.status.rawValue, $0.key) }
        do {
            try store.write(manifest)
            summary.runId = manifest.id
        } catch {
            printError("warning: cannot record the run in \(store.runsDirectory): \(error)")
        }
        display.runEnded(summary)
        if json { print(summary.value.prettyJSON()) }
        if summary.interrupted { throw ExitCode(130) }
        if !summary.succeeded { throw ExitCode(1) }
    }

    /// The pipeline's `executor:` map, overridden by --partition, --account and --slurm-opt.
    func slurmSettings(plan: Plan, store: Store) throws -> SlurmSettings {
        var s = SlurmSettings()
        try s.apply(executor: plan.spec.executor, file: plan.spec.file)
        if let partition { s.partition = partition }
        if let account { s.account = account }
        if let slurmOpt { s.extraOptions = try SlurmSettings.splitOptions(slurmOpt, file: "command line", field: "--slurm-opt") }
        s.binary = executablePath()
        s.pipelinePath = plan.spec.file
        s.overrides = pipelineOptions.param
        s.cacheRoot = store.root
        s.workingDirectory = FileManager.default.currentDirectoryPath
        return s
    }

    func printDryRun(plan: Plan, store: Store, selected: [Int]?) throws {
        let keep = Set(plan.closure(of: selected ?? Array(plan.instances.indices)))
        var toRun = 0
        for (i, s) in PipelineStatus.compute(plan: plan, store: store).enumerated() where keep.contains(i) {
            if s.state == .cached {
                if !quiet { print("cached     \(s.id)") }
            } else {
                toRun += 1
                print("would run  \(s.id): \(s.reasons.joined(separator: "; "))")
            }
        }
        print("\(toRun) of \(keep.count) stage instance(s) would run")
    }
}

/// SIGINT/SIGTERM handling: the first signal calls `handler`; a second one exits at once, and so
/// does the process `exitAfter` seconds after a SIGTERM if it has not stopped by then (a thread
/// blocked on a lock or a read must not keep it alive). Exiting at once is safe: the store stays
/// consistent, since records are written last and atomically, and every command's supervisor
/// ends the command when its runner is gone.
enum Signals {
    /// Seconds from a SIGTERM to exiting with 143: time for running commands to end (their
    /// supervisors send SIGKILL after Supervisor.grace seconds) and for the run to stop itself.
    static let exitAfter = Supervisor.grace + 2

    static func install(_ handler: @escaping () -> Void) -> [DispatchSourceSignal] {
        var count = 0
        let lock = NSLock()
        return [SIGINT, SIGTERM].map { sig in
            signal(sig, SIG_IGN)
            let src = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            src.setEventHandler {
                lock.lock()
                count += 1
                let n = count
                lock.unlock()
                if n == 1 {
                    FileHandle.standardError.write(Data("\nmadpipe: interrupted; stopping running stages (again to exit now)\n".utf8))
                    if sig == SIGTERM {
                        DispatchQueue.global().asyncAfter(deadline: .now() + exitAfter) {
                            FileHandle.standardError.write(Data("madpipe: not stopped \(Int(exitAfter)) s after SIGTERM; exiting\n".utf8))
                            _exit(143)
                        }
                    }
                    handler()
                } else {
                    _exit(130)
                }
            }
            src.resume()
            return src
        }
    }
}

/// BLAKE3 of a pipeline's files (the main file, then its includes), for the run manifest.
func pipelineDigest(_ spec: PipelineSpec) -> String {
    var data = Data()
    for f in spec.files {
        data.append(Data(f.utf8))
        data.append(0)
        data.append(FileSystem.read(f) ?? Data())
        data.append(0)
    }
    return contentDigest(data)
}

/// The absolute path of the running madpipe binary (what Slurm jobs execute).
func executablePath() -> String {
    if let p = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return p }
    let a = CommandLine.arguments[0]
    return a.hasPrefix("/") ? a : FileManager.default.currentDirectoryPath + "/" + a
}
