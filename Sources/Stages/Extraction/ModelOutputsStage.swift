// ModelOutputsStage: `kind: model-outputs` writes the model's yes/no answer per example
// (logits, two-way losses against Alice's and Bob's labels, log-odds) as `<split>/outputs.csv`
// and the quirkiness figures of the test split as `quirkiness.json` (METHOD.md section 7).

import Detectors
import Base
import Foundation
import Models
import PipelineCore
import Quirky

public struct ModelOutputsStage: StageKind {
    public init() {}
    public let name = "model-outputs"
    public var writes: Set<Artifact>? { [] }
    public let version = 2
    public let summary = "Per-example Yes/No logits, losses against Alice's and Bob's labels, log-odds; quirkiness on the test split."
    public let params: [ParamSpec] = ExtractionInputs.readerParams
    public var inputs: [InputSpec]? { ExtractionInputs.readerInputs }

    public func validate(_ params: Params, at location: SourceLocation) throws {
        try ExtractionInputs.validate(params, at: location)
    }

    /// The CSV header of outputs.csv.
    public static let csvHeader = "id,character,label,alice_label,bob_label,agreement,logit_yes,logit_no,loss_alice,loss_bob,log_odds"

    public func execute(_ context: StageContext) throws {
        let model = try ExtractionInputs.loadModel(context)
        var names = context.params.strings("splits")
        if !names.contains("test") { names.append("test") }  // quirkiness is measured there
        let splits = try names.map { try ExtractionInputs.split($0, context: context, maxSeq: model.config.maxSeq) }
        let total = max(1, splits.map(\.sequences.count).reduce(0, +))
        var before = 0
        for split in splits {
            let extractor = try OutputsExtractor(model: model, batchSize: context.params.int("batch"), answers: split.answers)
            let outputs = try extractor.extract(split.sequences) { done, _ in
                try context.checkCancelled()
                context.progress(Double(before + done) / Double(total), "\(split.name) \(done)/\(split.sequences.count)")
            }
            before += split.sequences.count
            if split.name == "test" {
                let q = try Self.quirkiness(split, outputs)
                try FileSystem.writeAtomically(Data((q.prettyJSON() + "\n").utf8), to: try context.outputPath("quirkiness.json"))
                context.log("test: \(q.canonicalJSON)")
            }
            guard context.params.strings("splits").contains(split.name) else { continue }
            try FileSystem.writeAtomically(Data(Self.csv(split, outputs).utf8), to: try context.outputPath("\(split.name)/outputs.csv"))
        }
    }

    static func number(_ x: Double) -> String { String(format: "%.6f", x) }

    static func csv(_ split: SplitForModel, _ outputs: [AnswerLogits]) -> String {
        var out = csvHeader + "\n"
        for (e, o) in zip(split.examples, outputs) {
            let r = e.record
            let id = r.id.contains(",") || r.id.contains("\"") ? "\"" + r.id.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : r.id
            let fields = [id, r.character.rawValue, r.label ? "1" : "0", r.aliceLabel ? "1" : "0", r.bobLabel ? "1" : "0",
                          r.agreement ? "1" : "0", number(Double(o.yes)), number(Double(o.no)),
                          number(o.loss(label: r.aliceLabel)), number(o.loss(label: r.bobLabel)), number(o.logOdds)]
            out += fields.joined(separator: ",") + "\n"
        }
        return out
    }

    /// Accuracy of each character against its own labels and the quirkiness coefficient.
    static func quirkiness(_ split: SplitForModel, _ outputs: [AnswerLogits]) throws -> Value {
        let pairs = zip(split.examples.map(\.record), outputs)
        let alice = pairs.filter { $0.0.character == .alice }, bob = pairs.filter { $0.0.character == .bob }
        guard !alice.isEmpty, !bob.isEmpty else {
            throw StageError("the test split needs both Alice and Bob examples (has \(alice.count) and \(bob.count))")
        }
        func accuracy(_ rows: [(QuirkyRecord, AnswerLogits)], _ label: (QuirkyRecord) -> Bool) -> Double {
            Double(rows.filter { $0.1.predictsYes == label($0.0) }.count) / Double(rows.count)
        }
        let coefficient = try Quirkiness.coefficient(
            aliceOnAliceLabels: alice.map { $0.1.loss(label: $0.0.aliceLabel) },
            aliceOnBobLabels: alice.map { $0.1.loss(label: $0.0.bobLabel) },
            bobOnAliceLabels: bob.map { $0.1.loss(label: $0.0.aliceLabel) },
            bobOnBobLabels: bob.map { $0.1.loss(label: $0.0.bobLabel) })
        func mean(_ v: [Double]) -> Double { v.reduce(0, +) / Double(v.count) }
        let figures: [(String, Double)] = [
            ("alice_accuracy", accuracy(alice) { $0.aliceLabel }),
            ("bob_accuracy", accuracy(bob) { $0.bobLabel }),
            ("quirkiness", coefficient),
            ("loss_alice_own", mean(alice.map { $0.1.loss(label: $0.0.aliceLabel) })),
            ("loss_alice_other", mean(alice.map { $0.1.loss(label: $0.0.bobLabel) })),
            ("loss_bob_other", mean(bob.map { $0.1.loss(label: $0.0.aliceLabel) })),
            ("loss_bob_own", mean(bob.map { $0.1.loss(label: $0.0.bobLabel) })),
        ]
        // A NaN or infinite loss (logits that overflowed) must not reach quirkiness.csv.
        if let bad = figures.first(where: { !$0.1.isFinite }) {
            throw StageError("split 'test', \(bad.0): \(bad.1) is not finite (the model's logits overflowed?); quirkiness.json is not written")
        }
        return .map([
            ("split", .string("test")),
            ("n_alice", .int(alice.count)),
            ("n_bob", .int(bob.count)),
        ] + figures.map { ($0.0, .double($0.1)) })
    }
}
