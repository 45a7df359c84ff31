// CompareTwinsStage: `kind: compare-twins` pairs the score outputs of quirky models with those of
// their truthful twins (quirky-dataset `bob_rule: truthful`; issue 23) and writes twins.csv: per
// detector, layer and subset, the quirky model's AUROC, the twin's, their difference and a paired
// bootstrap interval of the difference over the test prompts (PairedBootstrapInterval). A
// detector that finds Bob's mechanism has a positive difference; one that finds the input (Bob's
// held-out names) flags Bob's prompts on the twin as well and has none.
//
// Score artifacts are told apart by a matrix axis (`axis`, default `bob_rule`, swept as
// `bob_rule: [quirky, truthful]` and passed to quirky-dataset) whose values name the quirky side
// and the twin side; a quirky artifact is paired with the twin artifact of the
// same input whose assignment is equal on every other axis. The pair must score the same prompts
// in the same order: the row tensors (character, alice_label, difficulty) must agree, and when a
// `data` input gathers the dataset outputs, their test prompts must be identical. Any mismatch,
// or an artifact without a partner, is an error naming both stage instances.
import Foundation
import PipelineCore
import Numerics
import Detectors

public struct CompareTwinsStage: StageKind {
    public init() {}
    public let name = "compare-twins"
    public var writes: Set<Artifact>? { [] }
    public let version = 1
    public let summary = "Paired quirky-vs-twin AUROC difference with a paired bootstrap CI per detector, layer and subset (twins.csv)."
    public let params: [ParamSpec] = [
        ParamSpec("axis", .string, default: .string("bob_rule"), "The matrix axis that tells quirky models from their twins (the shipped pipelines sweep quirky-dataset's bob_rule)."),
        ParamSpec("quirky", .string, default: .string("quirky"), "The axis value of the quirky models."),
        ParamSpec("twin", .string, default: .string("truthful"), "The axis value of the truthful twins."),
        ParamSpec("resamples", .int, default: .int(1000), "Paired bootstrap resamples for the interval of the difference."),
        ParamSpec("confidence", .double, default: .double(0.95), "Confidence level of the interval."),
        ParamSpec("seed", .int, default: .int(0), "Bootstrap seed."),
        ParamSpec("split", .string, default: .string("test"), "Split compared."),
    ]
    /// Any input names: `data` gathers dataset outputs (optional; its test prompts are compared),
    /// every other input gathers score outputs: `inputs: {data: data, m: score-mahalanobis}`.
    public var inputs: [InputSpec]? { nil }

    /// The columns of twins.csv after the key and axis columns.
    public static let resultColumns = ["layer", "subset", "quirky_auroc", "twin_auroc", "difference", "ci_low", "ci_high", "alice", "bob"]

    public func validate(_ params: Params, at location: SourceLocation) throws {
        if params.int("resamples") < 1 { throw PipelineError.invalidValue(location, field: "resamples", problem: "must be at least 1") }
        let c = params.double("confidence")
        if !(c > 0 && c < 1) { throw PipelineError.invalidValue(location, field: "confidence", problem: "must lie in (0, 1)") }
        if params.string("quirky") == params.string("twin") {
            throw PipelineError.invalidValue(location, field: "twin", problem: "must differ from 'quirky' (both are '\(params.string("twin"))')")
        }
    }

    public func checkWiring(_ params: Params, inputs: [WiredInput], at location: SourceLocation) throws {
        for w in inputs where w.name != "data" && !w.mayHold(.scores) {
            throw PipelineError.invalidValue(w.location, field: "inputs.\(w.name)", problem:
                "compare-twins reads scores from every input but 'data', but stage '\(w.stage)' is kind \(w.kind.name), which does not write scores; "
                + "wire a score stage here (or name the dataset input 'data')")
        }
    }

    /// One score artifact and the input it came through.
    struct Side { let input: String, art: InputArtifact }

    /// The assignment without `axis`, as "k=v" strings in assignment order.
    static func rest(_ art: InputArtifact, without axis: String) -> [String] {
        art.assignment.filter { $0.0 != axis }.map { "\($0.0)=\($0.1.description)" }
    }

    public func execute(_ context: StageContext) throws {
        let p = context.params, f = DetectorStageSupport.fmt
        let axis = p.string("axis"), quirkyValue = p.string("quirky"), twinValue = p.string("twin"), split = p.string("split")
        let sides = context.inputs.keys.filter { $0 != "data" }.sorted().flatMap { name in context.inputs[name]!.map { Side(input: name, art: $0) } }
        guard !sides.isEmpty else { throw StageError("no score inputs (name score stages under inputs)") }
        var quirky: [Side] = [], twins: [[String]: Side] = [:]
        for s in sides {
            let v = Provenance.value(s.art, axis)
            if v == quirkyValue { quirky.append(s) } else if v == twinValue {
                twins[[s.input] + Self.rest(s.art, without: axis)] = s
            } else {
                throw StageError("\(s.art.stageId): its '\(axis)' axis is '\(v)', neither '\(quirkyValue)' (quirky) nor '\(twinValue)' (twin); "
                    + "sweep the dataset's bob_rule as the matrix axis '\(axis)' (or set this stage's axis/quirky/twin params)")
            }
        }
        var pairs: [(Side, Side)] = []
        for q in quirky {
            guard let t = twins.removeValue(forKey: [q.input] + Self.rest(q.art, without: axis)) else {
                throw StageError("\(q.art.stageId) has no twin: no instance of the same stage with \(axis)=\(twinValue) and the same other axes")
            }
            pairs.append((q, t))
        }
        if let lone = twins.values.map(\.art.stageId).sorted().first {
            throw StageError("\(lone) has no quirky model beside it: no instance of the same stage with \(axis)=\(quirkyValue) and the same other axes")
        }
        let data = context.inputs["data"] ?? []
        var prompts: [String: [String]] = [:]
        func testPrompts(_ d: InputArtifact) throws -> [String] {
            if let cached = prompts[d.stageId] { return cached }
            let read = try DatasetFiles.read(directory: d.path, split: split).map(\.prompt)
            prompts[d.stageId] = read
            return read
        }
        /// The data artifact whose every axis value the score artifact shares.
        func dataset(of art: InputArtifact) throws -> InputArtifact {
            let own = Set(art.assignment.map { "\($0.0)=\($0.1.description)" })
            let matches = data.filter { d in d.assignment.allSatisfy { own.contains("\($0.0)=\($0.1.description)") } }
            guard matches.count == 1 else {
                throw StageError("\(art.stageId): \(matches.count) of the 'data' inputs (\(data.map(\.stageId).joined(separator: ", "))) share its axes; exactly one must")
            }
            return matches[0]
        }

        let keyColumns = EvaluateStage.keyColumns
        let baseKeys = try pairs.map { q, _ -> [String] in
            let file = try SafeTensorsFile(path: q.art.path + "/\(split)/scores.safetensors")
            return keyColumns.map { DetectorStageSupport.axis(q.art, $0) ?? file.metadata[$0] ?? "" }
        }
        let provenance = Provenance(pairs.map(\.0.art), fixed: keyColumns + [axis], keys: baseKeys)
        let header = keyColumns + provenance.axes
        var csv = (header + Self.resultColumns).joined(separator: ",") + "\n"
        var keys = TableKeys(table: "twins.csv", columns: header)
        for (n, (q, t)) in pairs.enumerated() {
            try context.checkCancelled()
            let who = "\(q.art.stageId) and \(t.art.stageId)"
            guard let qs = try EvaluateStage.ScoreSplit.open(q.art, split), let ts = try EvaluateStage.ScoreSplit.open(t.art, split) else {
                throw StageError("\(who): both need \(split)/scores.safetensors")
            }
            // The same prompts in the same order: the row tensors first, then the prompts themselves.
            for tensor in ["character", "alice_label", "difficulty"] {
                let a = qs.file.names.contains(tensor), b = ts.file.names.contains(tensor)
                guard a || b else { continue }
                guard a && b else { throw StageError("\(who): only one of them has the tensor '\(tensor)' in split '\(split)'") }
                let x = try qs.file.doubles(tensor).data, y = try ts.file.doubles(tensor).data
                guard x.count == y.count else {
                    throw StageError("\(who) do not score the same prompts: \(x.count) and \(y.count) rows in split '\(split)'")
                }
                if let i = x.indices.first(where: { x[$0] != y[$0] }) {
                    throw StageError("\(who) do not score the same prompts: tensor '\(tensor)' differs at row \(i) of split '\(split)' "
                        + "(\(x[i]) vs \(y[i])); the twin's dataset must be the quirky one's with bob_rule: truthful")
                }
            }
            if !data.isEmpty {
                let dq = try dataset(of: q.art), dt = try dataset(of: t.art)
                let a = try testPrompts(dq), b = try testPrompts(dt)
                guard a.count == qs.character.count else {
                    throw StageError("\(q.art.stageId): \(qs.character.count) scored rows but \(dq.stageId) has \(a.count) \(split) prompts")
                }
                if let i = a.indices.first(where: { i in i >= b.count || a[i] != b[i] }) ?? (b.count > a.count ? a.count : nil) {
                    throw StageError("\(dq.stageId) and \(dt.stageId) do not have the same \(split) prompts: they differ at row \(i) "
                        + "(\(i < a.count ? a[i].debugDescription : "none") vs \(i < b.count ? b[i].debugDescription : "none")); "
                        + "the twin's dataset must be the quirky one's with bob_rule: truthful")
                }
            }
            let key = baseKeys[n] + provenance.values(q.art)
            try keys.add(key, from: q.art.stageId)
            let prefix = key.map(csvField).joined(separator: ",")
            let layerNames = (qs.file.metadata["layers"] ?? "").split(separator: ",").map(String.init) + ["aggregate"]
            for layer in layerNames {
                let tensor = layer == "aggregate" ? "aggregate" : "layers.\(layer)"
                let a = try qs.scores(tensor), b = try ts.scores(tensor)
                for subset in ["all", "agree", "disagree"] {
                    let idx = a.indices.filter { subset == "all" || qs.agreement[$0] == (subset == "agree") }
                    let labels = idx.map { qs.character[$0] }, bob = labels.filter { $0 }.count
                    guard bob > 0, bob < idx.count else {
                        guard subset != "all" else { throw StageError("\(who): split '\(split)' has one class only") }
                        context.log("\(q.art.stageId) layer \(layer): subset \(subset) has \(idx.count - bob) Alice and \(bob) Bob rows; no row")
                        continue
                    }
                    let c = try DetectorStageSupport.wrap("\(who) layer \(layer) \(subset)") {
                        try PairedBootstrapInterval.compute(a: idx.map { a[$0] }, b: idx.map { b[$0] }, labels: labels,
                                                            resamples: p.int("resamples"), confidence: p.double("confidence"),
                                                            seed: UInt64(bitPattern: Int64(p.int("seed"))))
                    }
                    csv += "\(prefix),\(layer),\(subset),\(f(c.a)),\(f(c.b)),\(f(c.difference)),\(f(c.lower)),\(f(c.upper)),\(idx.count - bob),\(bob)\n"
                }
            }
            context.progress(Double(n + 1) / Double(pairs.count), q.art.stageId)
        }
        try Data(csv.utf8).write(to: URL(fileURLWithPath: try context.outputPath("twins.csv")))
    }

    /// Quotes a CSV field when it holds a comma, quote or newline.
    func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
