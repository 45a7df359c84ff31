// HFWorker: what the hf-* stage kinds share. Their params (the model as content: a local
// directory digested into the key, or a hub id at a 40-hex commit; the Python interpreter; the
// worker's source directory, also digested into the key), the checks that need no Python, the
// request file, and running `python -m madpipe_torch REQUEST.json` under the supervisor with its
// output in the stage log. The worker's pinned requirements.txt sits in the digested directory
// and the worker refuses an interpreter whose packages differ, so the package versions are part
// of the key through the pins.

import Base
import Foundation
import PipelineCore
import PipelineStore
import Quirky

enum HFWorker {
    /// The madpipe_torch package directory: `MADPIPE_TORCH_WORKER`, else `python/madpipe_torch`
    /// of the source tree this madpipe was built from. Found once per process: every hf-* kind's
    /// params (read for each instance planned) name it as the `worker` default.
    static let defaultWorkerDirectory: String = {
        if let env = ProcessInfo.processInfo.environment["MADPIPE_TORCH_WORKER"], !env.isEmpty { return env }
        // The source tree this madpipe was built from: the nearest directory above this file that
        // holds python/madpipe_torch (not a fixed depth, so moving the file cannot break it).
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("python/madpipe_torch")
            if FileSystem.isDirectory(candidate.path) { return candidate.path }
            dir = dir.deletingLastPathComponent()
        }
        return "python/madpipe_torch"
    }()

    /// The `worker` value that names madpipe's own worker (`defaultWorkerDirectory`).
    static let builtinWorker = "builtin"

    /// Supported `model_type`s of a Hugging Face config.json (and madpipe's native families).
    static let architectures = ["llama", "mistral", "gpt2"]
    static let weightFiles = ["model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json"]

    /// The model, interpreter and worker params every hf-* kind declares.
    static var modelParams: [ParamSpec] {
        [
            ParamSpec("model", .path, default: .string(""),
                      "A local model directory (config.json, weights, tokenizer; or a madpipe checkpoint), relative to the pipeline file; its files' digests are part of the cache key. Or give `hub` and `revision`, or a `model` input."),
            ParamSpec("hub", .string, default: .string(""), "A Hugging Face hub id (org/name), loaded at `revision`; or org/name@COMMIT in one value."),
            ParamSpec("revision", .string, default: .string(""), "The hub commit: 40 hex digits (a branch or tag can move, so it could not name the weights)."),
            ParamSpec("python", .string, default: .string(""),
                      "Python interpreter with the worker's pinned requirements; empty = $MADPIPE_PYTHON, else python3. A relative path is relative to the pipeline file. The versions are checked against python/madpipe_torch/requirements.txt."),
            ParamSpec("worker", .path, default: .string(builtinWorker),
                      "The madpipe_torch package: `builtin` = $MADPIPE_TORCH_WORKER, else python/madpipe_torch of madpipe's source tree; or a directory relative to the pipeline file. Its digest is part of the cache key (`builtin`, not where it lives, is in the params, so checkouts in different places share keys).",
                      resolvePath: { $0 == builtinWorker ? defaultWorkerDirectory : nil }),
            ParamSpec("device", .choice(["auto", "cpu", "cuda"]), default: .string("auto"), "Where the model runs; auto = cuda when torch sees a GPU."),
            ParamSpec("dtype", .choice(["auto", "float32", "bfloat16", "float16"]), default: .string("auto"),
                      "Weights and compute dtype; auto = bfloat16 on cuda, float32 on cpu. Saved activations are float32."),
        ]
    }

    /// An optional `model` input: a model directory artifact (or a select-checkpoint output).
    static let modelInput = InputSpec("model", required: false,
                                      "A model directory produced by another stage (config.json and weights, or checkpoint/ holding them); instead of the `model`/`hub` params.")

    /// What the kinds that read a model over a dataset's splits (hf-extract, hf-outputs,
    /// hf-attribution) declare: the model params, the splits and the batch size.
    static var readerParams: [ParamSpec] {
        modelParams + ExtractionInputs.readerParams
    }

    /// Their inputs: the model, an optional LoRA adapter, the dataset (`data` described by `data`).
    static func readerInputs(data: String = "A quirky-dataset or load-dataset output.") -> [InputSpec] {
        [modelInput,
         InputSpec("adapter", required: false, "A LoRA checkpoint (hf-finetune, or select-checkpoint's checkpoint/) applied to the model and merged."),
         InputSpec("data", data)]
    }

    /// Their checks: the splits and batch, then the model (`validate`).
    static func validateReader(_ p: Params, at location: SourceLocation) throws {
        try ExtractionInputs.validate(p, at: location)
        try validate(p, at: location)
    }

    /// Checks that need no Python: one model source in the params at most, a revision that is a
    /// commit, a model directory holding config.json, weights and a supported architecture.
    /// The hub id and revision: `hub: org/name@commit` (one value, handy as a matrix value) or
    /// `hub` and `revision`.
    static func hubAndRevision(_ p: Params) -> (hub: String, revision: String) {
        let hub = p.string("hub")
        if let at = hub.firstIndex(of: "@"), p.string("revision").isEmpty {
            return (String(hub[..<at]), String(hub[hub.index(after: at)...]))
        }
        return (hub, p.string("revision"))
    }

    static func validate(_ p: Params, at location: SourceLocation) throws {
        let dir = p.string("model"), (hub, rev) = hubAndRevision(p)
        if !dir.isEmpty && !hub.isEmpty {
            throw PipelineError.invalidValue(location, field: "hub", problem: "give either `model` (a local directory) or `hub`, not both")
        }
        if !hub.isEmpty {
            let parts = hub.split(separator: "/", omittingEmptySubsequences: false)
            if parts.count != 2 || parts.contains(where: { $0.isEmpty || $0 == ".." || $0 == "." }) {
                throw PipelineError.invalidValue(location, field: "hub", problem: "'\(hub)' is not a hub id of the form org/name")
            }
            if !isCommit(rev) {
                throw PipelineError.invalidValue(location, field: "revision",
                    problem: rev.isEmpty ? "a hub model needs a pinned revision: its 40-hex commit hash (the files at a branch can change, the cache key would not notice)"
                                         : "'\(rev)' is not a 40-hex commit hash; a branch or tag name can move to other weights, so the cache key would not name them: use the commit it points to")
            }
        } else if !rev.isEmpty {
            throw PipelineError.invalidValue(location, field: "revision", problem: "is only meaningful with `hub`")
        }
        if !dir.isEmpty {
            let base = (location.file as NSString).deletingLastPathComponent
            let path = dir.hasPrefix("/") ? dir : (base.isEmpty ? dir : base + "/" + dir)
            if FileSystem.exists(path) {
                if let problem = modelDirectoryProblem(path) {
                    throw PipelineError.invalidValue(location, field: "model", problem: problem)
                }
            }
        }
    }

    static func isCommit(_ s: String) -> Bool {
        s.utf8.count == 40 && s.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// What is wrong with a model directory, or nil: config.json, weights, an architecture the
    /// worker supports.
    static func modelDirectoryProblem(_ path: String) -> String? {
        guard FileSystem.isDirectory(path) else { return "'\(path)' is not a directory" }
        guard let data = FileSystem.read(path + "/config.json") else {
            return "'\(path)' has no config.json; a model directory holds config.json, the weights and the tokenizer files"
        }
        guard let obj = try? JSONValue.parseJSON(bytes: Array(data)), obj.mapValue != nil else {
            return "'\(path)/config.json' is not a JSON object"
        }
        guard weightFiles.contains(where: { FileSystem.exists(path + "/" + $0) }) else {
            return "'\(path)' has no weights (\(weightFiles.joined(separator: ", ")))"
        }
        if let type = obj["model_type"]?.stringValue {
            if !architectures.contains(type) {
                return "'\(path)': unsupported architecture model_type '\(type)'; supported: \(architectures.joined(separator: ", "))"
            }
        } else if let family = obj["family"]?.stringValue {
            if !["llama", "gpt2"].contains(family) { return "'\(path)': unsupported madpipe family '\(family)'" }
        } else {
            return "'\(path)/config.json' names no model_type"
        }
        return nil
    }

    /// The model spec sent to the worker: {dir | hub, revision}, and the label that activation
    /// metadata records (hub id@revision, or the directory's content digest).
    static func modelSpec(_ context: StageContext) throws -> [(String, Value)] {
        let p = context.params
        let fromInput = context.inputs["model"]?.first
        let sources = [!p.string("model").isEmpty, !p.string("hub").isEmpty, fromInput != nil].filter { $0 }.count
        guard sources == 1 else {
            throw StageError("field 'model': give exactly one model: the `model` param (a directory), `hub` with `revision`, or a `model` input (\(sources) given)")
        }
        var spec: [(String, Value)], label: String
        if !p.string("hub").isEmpty {
            let (hub, revision) = hubAndRevision(p)
            spec = [("hub", .string(hub)), ("revision", .string(revision)), ("field", .string("hub"))]
            label = hub + "@" + revision
        } else {
            (spec, label) = try localModel(context, p: p, fromInput: fromInput)
        }
        if let adapter = context.inputs["adapter"]?.first {
            var a = adapter.path
            if FileSystem.exists(a + "/checkpoint/adapter_config.json") { a += "/checkpoint" }
            guard FileSystem.exists(a + "/adapter_config.json") else {
                throw StageError("input 'adapter' (\(adapter.stageId)): no adapter_config.json in \(adapter.path) or its checkpoint/; a full fine-tune's checkpoint is a `model` input instead")
            }
            spec.append(("adapter", .string(a)))
            label += " + adapter \(adapter.stageId) \(adapter.digest)"
        }
        return spec + [("label", .string(label))]
    }

    /// A model directory from the `model` param or input, checked, with its label.
    static func localModel(_ context: StageContext, p: Params, fromInput: InputArtifact?) throws -> ([(String, Value)], String) {
        var dir: String, field: String, label: String
        if let input = fromInput {
            dir = input.path
            if FileSystem.exists(dir + "/checkpoint/config.json") { dir += "/checkpoint" }
            field = "model (input \(input.stageId))"
            label = "\(input.stageId) \(input.digest)"
        } else {
            dir = context.paths["model"] ?? p.string("model")
            field = "model"
            label = ""
        }
        if let problem = modelDirectoryProblem(dir) { throw StageError("field '\(field)': \(problem)") }
        if label.isEmpty { label = "blake3:" + (try directoryDigest(dir)) }
        return ([("dir", .string(dir)), ("field", .string("model"))], label)
    }

    /// BLAKE3 of the sorted list of (relative path, file digest) of every file under `dir`.
    static func directoryDigest(_ dir: String) throws -> String {
        var lines: [String] = []
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: dir) else { throw StageError("\(dir): cannot list") }
        while let rel = walker.nextObject() as? String {
            let full = dir + "/" + rel
            if FileSystem.isDirectory(full) { continue }
            lines.append(rel + " " + (try FileHasher.hash(path: full).digest))
        }
        var h = BLAKE3Hasher()
        h.update(contentsOf: Array(lines.sorted().joined(separator: "\n").utf8))
        return h.finalizeHex()
    }

    /// The interpreter: the `python` param (a relative path is relative to the pipeline file),
    /// else $MADPIPE_PYTHON, else python3.
    static func interpreter(_ p: Params, pipelineDirectory: String) -> String {
        let own = p.string("python")
        if own.contains("/") && !own.hasPrefix("/") { return pipelineDirectory + "/" + own }
        if !own.isEmpty { return own }
        if let env = ProcessInfo.processInfo.environment["MADPIPE_PYTHON"], !env.isEmpty { return env }
        return "python3"
    }

    /// Every example of each split of the `data` input, for the request: prompts, answer
    /// choices, character (1 = Bob) and labels. Validation and test splits must hold both
    /// characters, and the splits together both.
    static func splits(_ names: [String], context: StageContext) throws -> [Value] {
        let dir = try context.input("data").path
        var out: [Value] = []
        var seen = Set<Int>()
        for name in names {
            let examples = try DatasetFiles.read(directory: dir, split: name)
            guard let choices = examples.first?.record.choices else {
                throw StageError("input 'data': \(dir)/\(name).jsonl has no rows")
            }
            for (i, e) in examples.enumerated() where e.record.choices != choices {
                throw StageError("input 'data': \(dir)/\(name).jsonl:\(i + 1): choices \(e.record.choices) differ from the first row's \(choices)")
            }
            let records = examples.map(\.record)
            let character = records.map { $0.character == .bob ? 1 : 0 }
            let classes = Set(character)
            if ["validation", "test"].contains(name) && classes.count < 2 {
                throw StageError("input 'data': split '\(name)' has only \(classes.contains(1) ? "Bob" : "Alice")'s examples; it needs both characters")
            }
            seen.formUnion(classes)
            func ints(_ v: [Int]) -> Value { .list(v.map { Value.int($0) }) }
            out.append(.map([
                ("name", .string(name)),
                ("prompts", .list(examples.map { .string($0.prompt) })),
                ("choices", .list(choices.map { Value.string($0) })),
                ("character", ints(character)),
                ("label", ints(records.map { $0.label ? 1 : 0 })),
                ("alice_label", ints(records.map { $0.aliceLabel ? 1 : 0 })),
                ("bob_label", ints(records.map { $0.bobLabel ? 1 : 0 })),
                ("difficulty", .list(records.map { .double($0.difficulty) })),
            ]))
        }
        if seen.count < 2 && names.count > 0 {
            throw StageError("input 'data': the splits \(names.joined(separator: ", ")) hold only \(seen.contains(1) ? "Bob" : "Alice")'s examples; detectors need both characters")
        }
        return out
    }

    /// Writes the request and runs the worker on it; a bad input the worker reports becomes an
    /// error naming the field.
    static func run(_ command: String, _ fields: [(String, Value)], context: StageContext) throws {
        let p = context.params
        let request = Value.map([("command", .string(command)), ("model", .map(try modelSpec(context))),
                                 ("device", .string(p.string("device"))), ("dtype", .string(p.string("dtype"))),
                                 ("out", .string(context.outputDirectory))] + fields)
        let dir = context.scratchDirectory + "/worker"
        try FileSystem.makeDirectory(dir)
        let requestPath = dir + "/request.json"
        try FileSystem.writeAtomically(Data(request.prettyJSON().utf8), to: requestPath)
        let worker = context.paths["worker"] ?? p.string("worker")
        guard FileSystem.exists(worker + "/__main__.py") else {
            throw StageError("field 'worker': '\(worker)' is not the madpipe_torch package (no __main__.py)")
        }
        let python = interpreter(p, pipelineDirectory: context.pipelineDirectory)
        var env = ProcessInfo.processInfo.environment
        env["PYTHONPATH"] = (worker as NSString).deletingLastPathComponent
        env["PYTHONDONTWRITEBYTECODE"] = "1"   // the worker directory is digested into the key
        env["PYTHONNOUSERSITE"] = "1"
        env["PYTHONHASHSEED"] = "0"            // set orders (e.g. peft's target modules) repeat
        env["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
        env["TRANSFORMERS_VERBOSITY"] = "error"
        env["MADPIPE_STAGE"] = context.stageId
        env["MADPIPE_CPUS"] = String(context.cpus)
        let workLock = try WorkLock.take(context.workDirectory, isCancelled: { context.isCancelled },
                                         waiting: { context.progress(nil, "waiting for processes of an earlier execution to end") })
        defer { workLock.unlock() }
        context.log("$ \(python) -m madpipe_torch \(requestPath)")
        let pid = try Supervisor.spawn(["/bin/sh", "-c", "exec \"$0\" -m madpipe_torch \"$1\"", python, requestPath],
                                       directory: dir, environment: env, logPath: context.logPath, inheriting: workLock.descriptor)
        context.registerChild(pid)
        switch ChildProcess.wait(pid) {
        case .exited(0): return
        case .exited(127):
            throw StageError("field 'python': cannot run '\(python)' (not found); set the `python` param or MADPIPE_PYTHON to an interpreter with the worker's requirements (docs/real-models.md)")
        case let .exited(code):
            try context.checkCancelled()
            if let data = FileSystem.read(dir + "/error.json"),
               let obj = try? JSONValue.parseJSON(bytes: Array(data)),
               let field = obj["field"]?.stringValue, let message = obj["message"]?.stringValue {
                throw StageError("field '\(field)': \(message)")
            }
            throw StageError("the madpipe_torch worker (\(python)) exited with status \(code); see the log")
        case let .signalled(sig):
            try context.checkCancelled()
            throw StageError("the madpipe_torch worker was killed by signal \(sig) (\(String(cString: strsignal(sig))))")
        }
    }
}
