// JSONL writing and loading of quirky records. The schema follows the EleutherAI quirky
// datasets (id, character, label, alice_label, bob_label, difficulty, difficulty_quantile,
// statement, choices) plus our `name`, `split` and `template_args`; the loader accepts files
// that lack the optional fields so exported public datasets load too.

import Base
import Foundation

/// Reads and writes quirky records as one JSON object per line.
public enum QuirkyJSONL {
    /// One record as a JSON line (no trailing newline), keys in a fixed order so the same
    /// records always give the same bytes.
    public static func encode(_ r: QuirkyRecord) -> String {
        var parts: [String] = [
            "\"id\":" + JSONValue.quoted(r.id),
            "\"character\":" + JSONValue.quoted(r.character.rawValue),
            "\"name\":" + JSONValue.quoted(r.name),
            "\"label\":\(r.label)",
            "\"alice_label\":\(r.aliceLabel)",
            "\"bob_label\":\(r.bobLabel)",
            "\"difficulty\":" + number(r.difficulty),
            "\"difficulty_quantile\":" + number(r.difficultyQuantile),
            "\"statement\":" + JSONValue.quoted(r.statement),
            "\"choices\":[" + r.choices.map(JSONValue.quoted).joined(separator: ",") + "]",
            "\"split\":" + JSONValue.quoted(r.split),
        ]
        if !r.templateArgs.isEmpty {
            let args = r.templateArgs.keys.sorted().map { JSONValue.quoted($0) + ":" + JSONValue.quoted(r.templateArgs[$0]!) }
            parts.append("\"template_args\":{" + args.joined(separator: ",") + "}")
        }
        return "{" + parts.joined(separator: ",") + "}"
    }

    /// A JSON number: integral values (below 1e15) as integers, others in Swift's shortest
    /// round-trip form.
    static func number(_ x: Double) -> String {
        if x.rounded() == x && abs(x) < 1e15 { return String(Int64(x)) }
        return String(x)
    }

    /// All records, one per line, each line ending in "\n".
    public static func encode(_ records: [QuirkyRecord]) -> String {
        var out = ""
        for r in records { out += encode(r); out += "\n" }
        return out
    }

    /// Writes records to `path` atomically.
    public static func write(_ records: [QuirkyRecord], to path: String) throws {
        do {
            try Data(encode(records).utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw QuirkyError.fileUnreadable(path: path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    /// Loads a JSONL file. `defaultSplit` is used for rows without a `split` field (public
    /// datasets are exported one split per file).
    public static func load(path: String, defaultSplit: String = "train",
                            names: QuirkyNames = .standard) throws -> [QuirkyRecord] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw QuirkyError.fileUnreadable(path: path, reason: "no such file or not readable")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw QuirkyError.fileUnreadable(path: path, reason: "not UTF-8 text")
        }
        return try parse(text, path: path, defaultSplit: defaultSplit, names: names)
    }

    /// Parses JSONL text; `path` is only used in error messages. Blank lines are skipped.
    /// When any row lacks `difficulty_quantile`, quantiles are recomputed for all rows from
    /// their difficulties, as `(average rank + 0.5) / N` over the file.
    public static func parse(_ text: String, path: String, defaultSplit: String = "train",
                             names: QuirkyNames = .standard) throws -> [QuirkyRecord] {
        var records: [QuirkyRecord] = []
        var missingQuantile = false
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            if rawLine.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) { continue }
            let value: JSONValue
            do {
                value = try JSONValue.parseJSON(String(rawLine))
            } catch {
                throw QuirkyError.invalidJSON(path: path, line: lineNumber, reason: "the line is not valid JSON")
            }
            guard case let .map(pairs) = value else {
                throw QuirkyError.invalidJSON(path: path, line: lineNumber, reason: "found \(RowReader.kind(value))")
            }
            let object = Dictionary(pairs, uniquingKeysWith: { _, last in last })
            let row = RowReader(object: object, path: path, line: lineNumber)
            let record = try row.record(defaultSplit: defaultSplit, names: names)
            if object["difficulty_quantile"] == nil { missingQuantile = true }
            records.append(record)
        }
        if missingQuantile {
            let q = QuirkyAssembler.quantiles(records.map(\.difficulty))
            for i in records.indices { records[i].difficultyQuantile = q[i] }
        }
        return records
    }
}
