// Common: options shared by several commands (cache location, var and matrix overrides), the
// project root that places the cache and results, and the helpers that load a pipeline into a plan.

import ArgumentParser
import Executors
import Foundation
import PipelineCore
import PipelineStore
import Stages

/// Where a pipeline's cache and results live: the nearest ancestor directory of the pipeline file
/// that holds a marker (a `madpipe.yaml` file, an existing `cache/` directory, or `.git`), else
/// the pipeline's own directory. So the same command from any directory sees the same cache.
enum ProjectRoot {
    static let markers = ["madpipe.yaml", "cache", ".git"]

    /// The nearest directory from `directory` upwards holding a marker.
    static func marked(from directory: String) -> String? {
        var dir = URL(fileURLWithPath: directory).standardizedFileURL.path
        while true {
            for m in markers {
                var isDir: ObjCBool = false
                if FileManager.default.fileExists(atPath: dir + "/" + m, isDirectory: &isDir), m != "cache" || isDir.boolValue {
                    return dir
                }
            }
            if dir == "/" || dir.isEmpty { return nil }
            dir = (dir as NSString).deletingLastPathComponent
        }
    }

    /// The project root of a pipeline file.
    static func of(pipeline path: String) -> String {
        let abs = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        let dir = URL(fileURLWithPath: abs).standardizedFileURL.deletingLastPathComponent().path
        return marked(from: dir) ?? dir
    }

    /// For commands without a pipeline file: the marked ancestor of the current directory, else it.
    static var ofCurrentDirectory: String {
        let cwd = FileManager.default.currentDirectoryPath
        return marked(from: cwd) ?? cwd
    }
}

struct CacheOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Cache (store) directory. Default: $MADPIPE_CACHE, else cache/ in the project root (the nearest directory above the pipeline file holding madpipe.yaml, cache/ or .git, else the pipeline's directory).", valueName: "dir"))
    var cache: String?

    /// The cache directory for `pipeline` (a path), or, without one, for the current directory.
    func directory(pipeline: String? = nil) -> String {
        if let cache { return cache }
        if let env = ProcessInfo.processInfo.environment["MADPIPE_CACHE"], !env.isEmpty { return env }
        return (pipeline.map(ProjectRoot.of(pipeline:)) ?? ProjectRoot.ofCurrentDirectory) + "/cache"
    }

    /// Opens the cache of `pipeline` (see `directory`).
    func openStore(pipeline: String? = nil) throws -> Store {
        let dir = directory(pipeline: pipeline)
        do {
            return try Store(root: dir)
        } catch {
            throw PipelineError.store(path: dir, problem: "cannot open the cache: \(error)")
        }
    }
}

struct PipelineOptions: ParsableArguments {
    @Option(name: .customShort("p"), parsing: .singleValue,
            help: ArgumentHelp("Override a pipeline var: -p name=value, or one entry of a map var: -p 'name[key]=value' (repeatable).", valueName: "name=value"))
    var param: [String] = []

    @Option(name: .customShort("m"), parsing: .singleValue,
            help: ArgumentHelp("Replace a matrix axis' values for this command: -m axis=v1,v2 (repeatable).", valueName: "axis=values"))
    var matrix: [String] = []

    func overrides() throws -> [(String, Value)] {
        try param.map { text in
            guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
                throw PipelineError.badOverride(text: text, problem: "expected name=value")
            }
            return (String(text[..<eq]), Value.parseScalar(String(text[text.index(after: eq)...])))
        }
    }

    /// `-m` as (axis, values), checked against `spec`'s axes.
    func matrixOverrides(for spec: PipelineSpec) throws -> [(String, [Value])] {
        var seen: Set<String> = []
        return try matrix.map { text in
            guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
                throw PipelineError.badOverride(text: text, problem: "expected -m axis=value1,value2")
            }
            let name = String(text[..<eq])
            let names = spec.axes.map(\.name)
            guard names.contains(name) else {
                let hint = suggestion(for: name, among: names).map { "; did you mean '\($0)'?" }
                    ?? (names.isEmpty ? "; the pipeline has no matrix" : "; its axes are " + names.joined(separator: ", "))
                throw PipelineError.badOverride(text: text, problem: "the pipeline has no matrix axis '\(name)'" + hint)
            }
            guard seen.insert(name).inserted else {
                throw PipelineError.badOverride(text: text, problem: "axis '\(name)' is given twice; list all its values in one -m")
            }
            let parts = text[text.index(after: eq)...].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if parts.contains(where: \.isEmpty) {
                throw PipelineError.badOverride(text: text, problem: "empty value; write -m \(name)=v1,v2")
            }
            let values = parts.map(Value.parseScalar)
            if Set(values.map(\.description)).count != values.count {
                throw PipelineError.badOverride(text: text, problem: "a value is listed twice")
            }
            return (name, values)
        }
    }

    func plan(_ path: String) throws -> Plan {
        let spec = try SpecParser.load(path: path)
        return try Planner.plan(spec, registry: BuiltinKinds.registry, overrides: try overrides(),
                                matrix: try matrixOverrides(for: spec))
    }
}

/// The default pipeline when none is named.
let defaultPipeline = "pipelines/quickstart.yaml"

/// Prints to standard error.
func printError(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
}
