// SelectCheckpointStage: `kind: select-checkpoint` picks the best checkpoint by a metric (lowest
// validation loss by default): from madpipe finetune outputs (`checkpoints/step-N/config.json`
// metadata; one run, or several gathered over an axis such as the fine-tuning order, the best
// checkpoint of all of them; output `checkpoint/`, a copy, plus `selection.json`) or from a
// Hugging Face Trainer output directory given by `path` (`checkpoint-*/trainer_state.json`,
// `log_history` entries with `eval_loss`; output `selection.json` naming the chosen checkpoint).
// Ties go to the earlier step, then to the run listed first.

import Base
import Foundation
import Models
import PipelineCore

public struct SelectCheckpointStage: StageKind {
    public init() {}
    public let name = "select-checkpoint"
    public var writes: Set<Artifact>? { [] }
    public let version = 2
    public let summary = "Pick the checkpoint with the best validation metric from finetune runs (one, or several gathered over an axis) or a Hugging Face Trainer output."
    public let params: [ParamSpec] = [
        ParamSpec("metric", .string, default: .string("val_loss"),
                  "Metric to compare: a config.json metadata key of madpipe checkpoints; for Hugging Face runs a log_history key (val_loss means eval_loss)."),
        ParamSpec("mode", .choice(["min", "max"]), default: .string("min"), "Whether smaller or larger is better."),
        ParamSpec("path", .string, default: .string(""), "A Hugging Face Trainer output directory (relative to the pipeline file); empty = use the `run` input."),
    ]
    public var inputs: [InputSpec]? { [InputSpec("run", required: false, "A finetune output (checkpoints/step-N/), or several gathered over an axis (e.g. fine-tuning orders): the best checkpoint of all of them.")] }

    /// Either a `run` input or a `path` param says where the checkpoints are; `path` is literal.
    public func checkWiring(_ params: Params, inputs: [WiredInput], at location: SourceLocation) throws {
        try ParamChecker.checkLiteralPaths(params["path"] ?? .string(""), as: .path, field: "path", at: location, inputs: self.inputs)
        if params.string("path").isEmpty && !inputs.contains(where: { $0.name == "run" }) {
            throw PipelineError.invalidValue(location, field: "inputs.run", problem:
                "select-checkpoint needs a `run` input (a finetune stage) or a `path` param (a Hugging Face Trainer output directory)")
        }
    }

    /// A candidate checkpoint.
    public struct Candidate: Equatable {
        public var name: String
        public var step: Int
        public var value: Double
        /// Index of the run it comes from, among the gathered runs (0 for a single run).
        public var run: Int = 0
    }

    /// The best candidate (ties: smallest step, then first run), or nil when there is none.
    public static func best(_ c: [Candidate], maximize: Bool) -> Candidate? {
        c.sorted { ($0.step, $0.run) < ($1.step, $1.run) }.reduce(nil as Candidate?) { best, x in
            guard let b = best else { return x }
            return (maximize ? x.value > b.value : x.value < b.value) ? x : b
        }
    }

    static func stepNumber(_ name: String, prefix: String) -> Int? {
        name.hasPrefix(prefix) ? Int(name.dropFirst(prefix.count)) : nil
    }

    /// Candidates of a madpipe finetune output.
    public static func madpipeCandidates(run: String, metric: String, index: Int = 0) throws -> [Candidate] {
        let dir = run + "/checkpoints"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        var out: [Candidate] = []
        for name in names {
            guard let step = stepNumber(name, prefix: "step-") else { continue }
            let (_, meta) = try ModelCheckpoint.loadConfig(from: dir + "/" + name)
            guard let raw = meta[metric] else { throw StageError("\(dir)/\(name)/config.json: metadata has no '\(metric)' (has: \(meta.keys.sorted().joined(separator: ", ")))") }
            guard let v = Double(raw) else { throw StageError("\(dir)/\(name)/config.json: metadata '\(metric)' = '\(raw)' is not a number") }
            out.append(Candidate(name: name, step: step, value: v, run: index))
        }
        return out
    }

    /// Candidates of a Hugging Face Trainer output: each `checkpoint-N` whose step N has the
    /// metric in some trainer_state.json `log_history`.
    public static func huggingFaceCandidates(dir: String, metric: String) throws -> [Candidate] {
        let key = metric == "val_loss" ? "eval_loss" : metric
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        var steps: [Int: String] = [:]
        for name in names { if let s = stepNumber(name, prefix: "checkpoint-") { steps[s] = name } }
        var values: [Int: Double] = [:]
        for (_, name) in steps {
            let path = dir + "/" + name + "/trainer_state.json"
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            guard let history = (try? JSONValue.parseJSON(bytes: Array(data)))?["log_history"]?.listValue else {
                throw StageError("\(path): not a trainer state (no log_history list)")
            }
            for entry in history {
                if let s = entry["step"]?.intValue, let v = entry[key]?.doubleValue { values[s] = v }
            }
        }
        return steps.compactMap { s, name in values[s].map { Candidate(name: name, step: s, value: $0) } }
    }

    /// `run` names the madpipe run (its stage id) the checkpoint comes from; nil for Hugging Face.
    static func selectionJSON(_ c: Candidate, metric: String, mode: String, source: String, run: String?, runs: Int) -> String {
        "{\n  \"checkpoint\": \(JSONValue.quoted(c.name)),\n  \"metric\": \(JSONValue.quoted(metric)),\n"
            + "  \"mode\": \(JSONValue.quoted(mode)),\n"
            + (run.map { "  \"run\": \(JSONValue.quoted($0)),\n  \"runs\": \(runs),\n" } ?? "")
            + "  \"source\": \(JSONValue.quoted(source)),\n"
            + "  \"step\": \(c.step),\n  \"value\": \(c.value)\n}\n"
    }

    public func execute(_ context: StageContext) throws {
        let p = context.params
        let metric = p.string("metric"), mode = p.string("mode")
        let hfPath = p.string("path")
        let maximize = mode == "max"
        if !hfPath.isEmpty {
            let dir = hfPath.hasPrefix("/") ? hfPath : context.pipelineDirectory + "/" + hfPath
            let candidates = try Self.huggingFaceCandidates(dir: dir, metric: metric)
            guard let chosen = Self.best(candidates, maximize: maximize) else {
                throw StageError("\(dir): no checkpoint-*/trainer_state.json with '\(metric == "val_loss" ? "eval_loss" : metric)' at a checkpoint's step")
            }
            context.log("selected \(chosen.name) (\(metric) = \(chosen.value)) among \(candidates.count) checkpoints")
            try Data(Self.selectionJSON(chosen, metric: metric, mode: mode, source: "huggingface", run: nil, runs: 0).utf8)
                .write(to: URL(fileURLWithPath: try context.outputPath("selection.json")))
            return
        }
        guard let runs = context.inputs["run"], !runs.isEmpty else { throw StageError("select-checkpoint needs a `run` input or a `path` param") }
        var candidates: [Candidate] = []
        for (i, run) in runs.enumerated() {
            // An hf-finetune output holds Hugging Face Trainer checkpoints (checkpoint-N/) itself.
            let hf = try Self.huggingFaceCandidates(dir: run.path, metric: metric).map { c -> Candidate in var c = c; c.run = i; return c }
            let own = hf.isEmpty ? try Self.madpipeCandidates(run: run.path, metric: metric, index: i) : hf
            if own.isEmpty { throw StageError("\(run.stageId) (\(run.path)): no checkpoints/step-N or checkpoint-N directories") }
            if runs.count > 1, let b = Self.best(own, maximize: maximize) {
                context.log("\(run.stageId): best \(b.name) (\(metric) = \(b.value))")
            }
            candidates += own
        }
        let chosen = Self.best(candidates, maximize: maximize)!
        let run = runs[chosen.run]
        let isHF = chosen.name.hasPrefix("checkpoint-")
        try TrainingStageSupport.copyTree(run.path + (isHF ? "/" : "/checkpoints/") + chosen.name, to: context.outputDirectory + "/checkpoint")
        context.log("selected \(run.stageId) \(chosen.name) (\(metric) = \(chosen.value)) among \(candidates.count) checkpoints of \(runs.count) run(s)")
        try Data(Self.selectionJSON(chosen, metric: metric, mode: mode, source: isHF ? "huggingface" : "madpipe", run: run.stageId, runs: runs.count).utf8)
            .write(to: URL(fileURLWithPath: try context.outputPath("selection.json")))
    }
}
