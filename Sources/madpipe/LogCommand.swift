// LogCommand: `madpipe log STAGE_ID [-f]`: prints the log (a command's combined stdout and stderr,
// or a built-in stage's messages and error) of the latest execution of a stage id; -f follows
// one still running until it ends.

import ArgumentParser
import Base
import Foundation
import PipelineCore
import PipelineStore
#if canImport(Glibc)
import Glibc
#endif

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Print the log of a stage instance's latest execution (succeeded, failed or running).",
        discussion: """
        The log is a command's combined standard output and error, or a built-in stage's messages \
        and its error. The cache is the project's (see --cache), whichever pipeline ran the stage.

        Examples:
          madpipe log 'fit[dataset=addition,detector=mahalanobis]'
          madpipe log -f pretrain          # follow a running stage until it ends
        """)

    @Argument(help: "Stage instance id, as `madpipe status` prints it.") var stage: String
    @Flag(name: [.customShort("f"), .long], help: "Follow a running stage's log until the stage ends.") var follow = false
    @OptionGroup var cacheOptions: CacheOptions

    func run() throws {
        let store = try cacheOptions.openStore()
        guard let entry = store.latestLog(stage: stage) else {
            let hint = suggestion(for: stage, among: store.loggedStages()).map { "; did you mean '\($0)'?" } ?? ""
            throw PipelineError.store(path: store.root, problem: "no execution of stage '\(stage)' is logged in this cache\(hint) (a stage found cached has no log of its own run; `madpipe status` shows what ran)")
        }
        printError("madpipe: \(entry.stage) (pipeline \(entry.pipeline)), \(entry.state.rawValue), started \(entry.started), key \(entry.key.prefix(12))")
        switch entry.state {
        case .succeeded:
            guard let d = entry.digest, store.objectIntact(d), let data = FileSystem.read(store.objectPath(d)) else {
                throw PipelineError.store(path: store.root, problem: "the log of \(entry.stage) is no longer in the cache (removed by `cache gc`?)")
            }
            FileHandle.standardOutput.write(data)
        case .failed, .interrupted:
            guard let p = entry.path, let data = FileSystem.read(p) else {
                throw PipelineError.store(path: entry.path ?? store.root, problem: "the log of \(entry.stage) is no longer in the cache")
            }
            FileHandle.standardOutput.write(data)
        case .running:
            try printRunning(entry, store: store)
        }
    }

    /// Prints a running stage's log; with -f, keeps printing until the stage ends (its entry
    /// changes) or the process running it is gone.
    func printRunning(_ entry: StageLogEntry, store: Store) throws {
        guard let path = entry.path else { return }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            // Ended between the two reads: print the final log.
            if let again = store.latestLog(stage: stage), again.state != .running { return try run() }
            throw PipelineError.store(path: path, problem: "cannot read the running log")
        }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        func drain() {
            while true {
                let n = read(fd, &buf, buf.count)
                if n <= 0 { return }
                FileHandle.standardOutput.write(Data(buf[0..<n]))
            }
        }
        drain()
        guard follow else {
            printError("madpipe: \(entry.stage) is still running; `madpipe log -f` follows it")
            return
        }
        let pid = entry.host == ProcessInfo.processInfo.hostName ? LogCommand.runnerPid(path) : nil
        while true {
            usleep(200_000)
            drain()
            let now = store.latestLog(stage: stage)
            if now != entry {
                drain()
                printError("madpipe: \(entry.stage) \(now.map { $0.state == .running ? "started again" : $0.state.rawValue } ?? "ended")")
                return
            }
            if !FileSystem.exists(path) {
                // Gone without a final entry yet: either one is being written, or storing the
                // result failed after the log was removed.
                usleep(500_000)
                drain()
                if let again = store.latestLog(stage: stage), again != entry {
                    printError("madpipe: \(entry.stage) \(again.state == .running ? "started again" : again.state.rawValue)")
                } else {
                    printError("madpipe: \(entry.stage)'s execution ended; its log ends here")
                }
                return
            }
            if let pid, kill(pid, 0) != 0, errno == ESRCH {
                drain()
                printError("madpipe: the process that ran \(entry.stage) is gone (killed?); the log ends here")
                return
            }
        }
    }

    /// The pid in a live log's path: <cache>/tmp/<key>.<pid>.<random>/log.txt.
    static func runnerPid(_ path: String) -> pid_t? {
        let dir = ((path as NSString).deletingLastPathComponent as NSString).lastPathComponent
        let parts = dir.split(separator: ".")
        return parts.count >= 3 ? pid_t(parts[parts.count - 2]) : nil
    }
}
