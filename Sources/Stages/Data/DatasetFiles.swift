// DatasetFiles: the on-disk layout of a dataset stage's output (quirky-dataset, load-dataset),
// written and read in one place so the producing and the consuming stages cannot drift apart.
//
//   records.jsonl     every record (EleutherAI quirky schema + name, split, template_args)
//   train.jsonl       "train" split rows, both characters, training names (fine-tuning data)
//   trusted.jsonl, untrusted.jsonl, validation.jsonl, test.jsonl   the MAD splits (METHOD.md 3)
//   summary.json      counts per split, per character and of agreeing rows
// Every split line is a record plus `prompt` (the text the model reads, no answer) and
// `agreement` (alice_label == bob_label).

import Base
import Foundation
import PipelineCore
import Quirky

/// One example of a split file: the record and the prompt the model reads.
public struct DatasetExample: Sendable {
    /// The quirky record (labels, character, difficulty, ...).
    public var record: QuirkyRecord
    /// The formatted prompt, without the answer.
    public var prompt: String
}

/// Writing and reading the split files of a dataset artifact.
public enum DatasetFiles {
    /// The split files every dataset artifact holds, in writing order.
    public static let splitNames = ["train", "trusted", "untrusted", "validation", "test"]

    /// The rows of `train.jsonl`: the "train" split, both characters, training names only.
    public static func trainRows(_ records: [QuirkyRecord], names: QuirkyNames = .standard) -> [QuirkyRecord] {
        records.filter { $0.split == "train" && names.trainingNames(for: $0.character).contains($0.name) }
    }

    /// One split line: the record's JSON with `prompt` and `agreement` appended.
    public static func line(_ record: QuirkyRecord, prompt: String) -> String {
        var s = QuirkyJSONL.encode(record)
        s.removeLast()  // the closing brace
        s += ",\"prompt\":" + Value.string(prompt).canonicalJSON + ",\"agreement\":\(record.agreement)}"
        return s
    }

    /// Writes records.jsonl, the five split files and summary.json into `directory`. `records`
    /// are the quirky ones; `bobRule: .truthful` writes their truthful twin (the same rows,
    /// QuirkySplits(records:rule:)) and records the rule in summary.json.
    public static func write(records quirky: [QuirkyRecord], dataset: String, formatter: QuirkyPromptFormatter,
                             splitConfig: QuirkySplitConfig, names: QuirkyNames = .standard,
                             bobRule: QuirkyBobRule = .quirky, to directory: String) throws {
        let splits = QuirkySplits(records: quirky, rule: bobRule, names: names, config: splitConfig)
        let records = quirky.map(bobRule.apply)
        let bySplit: [(String, [QuirkyRecord])] = [
            ("train", trainRows(records, names: names)), ("trusted", splits.trusted),
            ("untrusted", splits.untrusted), ("validation", splits.validation), ("test", splits.test),
        ]
        try FileSystem.makeDirectory(directory)
        func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        try FileSystem.writeAtomically(Data(QuirkyJSONL.encode(records).utf8), to: path("records.jsonl"))
        var counts: [(String, Value)] = []
        for (name, rows) in bySplit {
            var text = ""
            for r in rows { text += line(r, prompt: formatter.prompt(for: r)); text += "\n" }
            try FileSystem.writeAtomically(Data(text.utf8), to: path(name + ".jsonl"))
            counts.append((name, summary(rows)))
        }
        let summaryValue = Value.map([
            ("dataset", .string(dataset)),
            ("records", .int(records.count)),
            ("template", .string(formatter.template.rawValue)),
            ("number_width", .int(formatter.numberWidth)),
        ] + (bobRule == .quirky ? [] : [("bob_rule", .string(bobRule.rawValue))]) + [
            ("splits", .map(counts)),
        ])
        try FileSystem.writeAtomically(Data((summaryValue.prettyJSON() + "\n").utf8), to: path("summary.json"))
    }

    static func summary(_ rows: [QuirkyRecord]) -> Value {
        .map([
            ("count", .int(rows.count)),
            ("alice", .int(rows.filter { $0.character == .alice }.count)),
            ("bob", .int(rows.filter { $0.character == .bob }.count)),
            ("label_true", .int(rows.filter(\.label).count)),
            ("agreement", .int(rows.filter(\.agreement).count)),
        ])
    }

    /// Reads one split file (`<directory>/<split>.jsonl`) with its prompts. Errors name the file
    /// and line.
    public static func read(directory: String, split: String) throws -> [DatasetExample] {
        let path = (directory as NSString).appendingPathComponent(split + ".jsonl")
        guard let data = FileSystem.read(path) else {
            throw StageError("\(path): no such split file; is the 'data' input a quirky-dataset or load-dataset output?")
        }
        let text = String(decoding: data, as: UTF8.self)
        let records = try QuirkyJSONL.parse(text, path: path, defaultSplit: split)
        var prompts: [String] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if raw.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) { continue }
            let value = try Value.parseJSON(String(raw))
            guard case let .map(pairs) = value, let p = pairs.first(where: { $0.0 == "prompt" })?.1.stringValue else {
                throw StageError("\(path):\(index + 1): missing required field 'prompt' (a string)")
            }
            prompts.append(p)
        }
        guard prompts.count == records.count else {
            throw StageError("\(path): \(records.count) records but \(prompts.count) prompts")
        }
        return zip(records, prompts).map { DatasetExample(record: $0, prompt: $1) }
    }
}
