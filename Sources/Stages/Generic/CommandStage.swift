// CommandStage: `kind: command` runs an external program in a fresh working directory and keeps
// the files it declares in `outs`. Its command line, env and deps' content are in the cache key.

import Base
import Foundation
import PipelineCore
import PipelineStore

public struct CommandStage: StageKind {
    public init() {}
    public let name = "command"
    public let version = 1
    public let summary = "Run a shell command in a fresh working directory; keep the files named in outs."
    public let params: [ParamSpec] = [
        ParamSpec("run", .command, "Command line, run with `shell -c`. ${NAME} (a var or matrix value) is pasted as one shell word, quoted when needed; ${raw:NAME} pastes it unquoted. ${inputs.NAME} is the path of an input stage's output (several, space-separated, when it gathers), ${deps.NAME} the absolute path of a dep, ${work} a directory kept across a kill for resumable state. Write a literal $ as $$."),
        ParamSpec("deps", .pathMap, default: .map([]), "Files or directories the command reads, relative to the pipeline file: name -> path. Their content digests are part of the cache key."),
        ParamSpec("outs", .stringList, default: .list([]), "Files or directories the command must create in its working directory; they become the stage's output."),
        ParamSpec("env", .stringMap, default: .map([]), "Environment variables set for the command (part of the cache key)."),
        ParamSpec("shell", .string, default: .string("/bin/sh"), "Shell that runs the command line."),
    ]
    public var stageLevelParams: [String] { ["run", "deps", "outs", "env", "shell"] }
    public var runsExternalProgram: Bool { true }

    public func validate(_ params: Params, at location: SourceLocation) throws {
        for out in params.strings("outs") {
            if let problem = RelativePath.problem(out) {
                throw PipelineError.invalidValue(location, field: "outs", problem: "'\(out)' must be a relative path inside the working directory: \(problem)")
            }
        }
        if let (out, earlier) = RelativePath.overlap(in: params.strings("outs")) {
            throw PipelineError.invalidValue(location, field: "outs", problem: "'\(out)' overlaps '\(earlier)': list each file or directory once")
        }
    }

    /// Replaces runtime placeholders: in a command line (`quote`) each path becomes one shell
    /// word; in an environment variable's value, which no shell reads, it is the path verbatim.
    static func expand(_ text: String, context: StageContext, quote: Bool = true) throws -> String {
        let word: (String) -> String = quote ? Shell.quote : { $0 }
        var out = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            out += rest[..<start.lowerBound]
            guard let close = rest[start.upperBound...].firstIndex(of: "}") else { out += rest[start.lowerBound...]; rest = ""; break }
            let name = String(rest[start.upperBound..<close])
            if name.hasPrefix("inputs.") {
                let input = String(name.dropFirst(7))
                guard let arts = context.inputs[input] else { throw StageError("the command uses ${\(name)} but the stage has no input '\(input)'") }
                out += arts.map { word($0.path) }.joined(separator: " ")
            } else if name.hasPrefix("deps.") {
                guard let p = context.paths[name] else { throw StageError("the command uses ${\(name)} but the stage has no dep '\(name.dropFirst(5))'") }
                out += word(p)
            } else if name == "work" {
                out += word(context.workDirectory)
            } else {
                out += "${\(name)}"
            }
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    public func execute(_ context: StageContext) throws {
        let p = context.params
        let command = try CommandStage.expand(p.string("run"), context: context)
        let cwd = context.scratchDirectory + "/cwd"
        try FileSystem.makeDirectory(cwd)
        var env = ProcessInfo.processInfo.environment
        env["MADPIPE_STAGE"] = context.stageId
        env["MADPIPE_WORK"] = context.workDirectory
        env["MADPIPE_CPUS"] = String(context.cpus)
        for (k, v) in p.stringMap("env") { env[k] = try CommandStage.expand(v, context: context, quote: false) }
        // No two executions share ${work}: every process of this one holds its lock while it
        // lives. The supervisor makes the command die with this run and end what it leaves
        // behind before the outputs below are moved and hashed.
        let workLock = try WorkLock.take(context.workDirectory, isCancelled: { context.isCancelled },
                                         waiting: { context.progress(nil, "waiting for processes of an earlier execution to end") })
        defer { workLock.unlock() }
        context.log("$ \(command)")
        let pid = try Supervisor.spawn([p.string("shell"), "-c", command], directory: cwd, environment: env,
                                       logPath: context.logPath, inheriting: workLock.descriptor)
        context.registerChild(pid)
        switch ChildProcess.wait(pid) {
        case .exited(0): break
        case let .exited(code):
            try context.checkCancelled()
            throw StageError("command exited with status \(code)")
        case let .signalled(sig):
            try context.checkCancelled()
            throw StageError("command was killed by signal \(sig) (\(String(cString: strsignal(sig))))")
        }
        for out in p.strings("outs") {
            let src = cwd + "/" + out
            guard FileSystem.exists(src) else {
                throw StageError("the command succeeded but did not create its declared output '\(out)'")
            }
            let dst = try context.outputPath(out)
            guard rename(src, dst) == 0 else { throw PosixError(path: dst, operation: "move output") }
        }
        workLock.remove()
    }
}
