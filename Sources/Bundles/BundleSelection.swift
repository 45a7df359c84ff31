// BundleSelection: what `bundle export` puts in a bundle: the selected stage instances (every
// instance, or those matching --only and their upstream) with their records, the pipeline's files
// and the dependency files inside its directory, and the published outputs in exactly the layout
// `run` publishes (Publisher.resolve, the one place that layout is defined).

import Base
import BuildInfo
import Executors
import Foundation
import PipelineCore
import PipelineStore

public enum BundleSelection {
    /// What to select and record.
    public struct Options {
        /// Instance ids or globs; their upstream closure is selected (empty = every instance).
        public var only: [String] = []
        /// Also bundle this pipeline's stale records still in the cache.
        public var withIntermediates = false
        /// The `-p` overrides the plan was made with (recorded in the manifest).
        public var overrides: [String] = []
        /// A free-form note.
        public var note = ""
        /// The bundle's creation time (nil: the end of its newest stage, so exports repeat).
        public var created: Date?

        public init() {}
    }

    /// The bundle contents for `plan`, read from `store`. `warn` receives a line for each
    /// dependency that lies outside the pipeline's directory (not bundled).
    public static func contents(plan: Plan, store: Store, options: Options,
                                warn: (String) -> Void = { _ in }) throws -> BundleContents {
        let states = PipelineStatus.compute(plan: plan, store: store)
        var roots = Array(plan.instances.indices)
        if !options.only.isEmpty {
            roots = options.only.flatMap { plan.select($0) }
            if roots.isEmpty { throw BundleError.export(problem: "no stage instance matches \(options.only.joined(separator: ", "))") }
        }
        let selected = plan.closure(of: roots)
        let notCached = selected.filter { states[$0].state != .cached }.map { plan.instances[$0].id }
        if !notCached.isEmpty {
            let shown = notCached.prefix(5).joined(separator: ", ") + (notCached.count > 5 ? ", ..." : "")
            throw BundleError.export(problem: "\(notCached.count) stage instance(s) are not cached: \(shown); run `madpipe run \(plan.spec.file)` first")
        }
        var records: [StageRecord] = []
        var keys: [String: String] = [:]
        for i in selected {
            guard let key = states[i].key, let r = store.completeRecord(key) else { continue }
            records.append(r)
            keys[plan.instances[i].id] = key
        }
        let current = records.map(\.key)
        if options.withIntermediates {
            let have = Set(current)
            let selectedIds = Set(selected.map { plan.instances[$0].id })
            for key in store.allKeys() where !have.contains(key) {
                if let r = store.completeRecord(key), r.pipeline == plan.spec.name,
                   options.only.isEmpty || selectedIds.contains(r.stage) {
                    records.append(r)
                }
            }
        }

        let dir = plan.spec.directory
        func relative(_ abs: String) -> String? {
            abs.hasPrefix(dir + "/") ? String(abs.dropFirst(dir.count + 1)) : nil
        }
        var files: [BundleTextFile] = []
        for f in plan.spec.files {
            guard let rel = relative(f) else { throw BundleError.export(problem: "pipeline file '\(f)' lies outside the pipeline's directory \(dir)") }
            guard let text = try? String(contentsOfFile: f, encoding: .utf8) else { throw BundleError.export(problem: "cannot read '\(f)'") }
            files.append(BundleTextFile(path: rel, text: text))
        }
        var extra: [String: (path: String, exec: Bool)] = [:]
        func addTree(_ abs: String, as name: String) {
            if FileSystem.isDirectory(abs) {
                for n in FileSystem.list(abs) { addTree(abs + "/" + n, as: name + "/" + n) }
            } else if let exec = regularFileIsExecutable(abs) {
                extra[name] = (abs, exec)
            }
        }
        for i in selected {
            for (field, path, _) in KeyBuilder.paths(of: plan.instances[i], pipelineDirectory: dir) {
                if let rel = relative(path) {
                    addTree(path, as: "pipeline/" + rel)
                } else {
                    warn("\(plan.instances[i].id): '\(field)' names '\(path)', outside the pipeline's directory; not bundled")
                }
            }
        }
        // Published outputs of the selected instances, from their objects, as `run` lays them out.
        for out in try Publisher.resolve(plan: plan, store: store, keys: keys).outputs {
            for f in out.files {
                guard let digest = f.digest else { continue }
                extra["results/" + out.name + (f.path.isEmpty ? "" : "/" + f.path)] = (store.objectPath(digest), f.exec)
            }
        }
        let created = options.created
            ?? records.compactMap { $0.startedDate?.addingTimeInterval($0.seconds) }.max()
            ?? Date(timeIntervalSince1970: 0)
        let provenance = BundleProvenance.collect(projectDirectory: dir, engine: BuildInfo.version,
                                                  created: ISO8601DateFormatter().string(from: created))
        return BundleContents(
            pipeline: plan.spec.name, pipelineFile: files[0].path, files: files,
            vars: .map(plan.vars), overrides: options.overrides, only: options.only, withIntermediates: options.withIntermediates,
            records: records, current: current, extraFiles: extra, provenance: provenance, note: options.note)
    }

    /// nil if `path` is not a regular file; else whether it is executable by its owner.
    static func regularFileIsExecutable(_ path: String) -> Bool? {
        var st = stat()
        guard lstat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return nil }
        return st.st_mode & 0o100 != 0
    }
}
