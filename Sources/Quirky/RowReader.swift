// Reads the typed fields of one JSONL row, with errors that name file, line and field.

import Base

/// Reads typed fields out of one JSON object, with errors naming file, line and field.
struct RowReader {
    let object: [String: JSONValue]
    let path: String
    let line: Int

    func bad(_ field: String, _ reason: String) -> QuirkyError {
        .badField(path: path, line: line, field: field, reason: reason)
    }

    func required(_ field: String) throws -> JSONValue {
        guard let v = object[field], v != .null else {
            throw QuirkyError.missingField(path: path, line: line, field: field)
        }
        return v
    }

    /// A value's kind with its article, as the messages say it ("a boolean", "an object").
    static func kind(_ v: JSONValue) -> String {
        switch v {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int, .double: return "a number"
        case .string: return "a string"
        case .list: return "an array"
        case .map: return "an object"
        }
    }

    func string(_ field: String) throws -> String {
        let v = try required(field)
        guard case let .string(s) = v else { throw bad(field, "expected a string, found \(RowReader.kind(v))") }
        return s
    }

    /// Booleans, or the numbers 0 and 1.
    func bool(_ field: String) throws -> Bool {
        let v = try required(field)
        switch v {
        case let .bool(b): return b
        case .int(0), .double(0): return false
        case .int(1), .double(1): return true
        default: throw bad(field, "expected true/false (or 0/1), found \(describe(v))")
        }
    }

    func number(_ field: String) throws -> Double {
        let v = try required(field)
        guard let x = v.doubleValue, x.isFinite else {
            throw bad(field, "expected a finite number, found \(describe(v))")
        }
        return x
    }

    func describe(_ v: JSONValue) -> String {
        switch v {
        case .int, .double: return "the number \(QuirkyJSONL.number(v.doubleValue!))"
        case let .string(s): return "the string \(JSONValue.quoted(s))"
        default: return RowReader.kind(v)
        }
    }

    /// A string, or a number written as an integer where integral.
    func scalarText(_ v: JSONValue) -> String? {
        switch v {
        case let .string(s): return s
        case .int, .double: return QuirkyJSONL.number(v.doubleValue!)
        case let .bool(b): return String(b)
        default: return nil
        }
    }

    func record(defaultSplit: String, names: QuirkyNames) throws -> QuirkyRecord {
        guard let id = scalarText(try required("id")) else {
            throw bad("id", "expected a string or a number, found \(RowReader.kind(try required("id")))")
        }
        let characterText = try string("character")
        guard let character = names.character(ofName: characterText) else {
            throw bad("character", "unknown character \(JSONValue.quoted(characterText)); expected \"Alice\", \"Bob\" or a name from either side's name list")
        }
        var name = characterText
        if object["name"] != nil {
            name = try string("name")
            guard characterText == character.rawValue else {
                throw bad("character", "must be \"Alice\" or \"Bob\" when a separate 'name' field is given")
            }
        }
        let label = try bool("label")
        let alice = try bool("alice_label")
        let bob = try bool("bob_label")
        let own = character == .alice ? alice : bob
        guard label == own else {
            throw bad("label", "is \(label) but \(character == .alice ? "alice_label" : "bob_label") is \(own); a record's label must be its character's label")
        }
        let difficulty = try number("difficulty")
        var quantile = 0.5
        if object["difficulty_quantile"] != nil {
            quantile = try number("difficulty_quantile")
            guard quantile >= 0, quantile <= 1 else { throw bad("difficulty_quantile", "must lie in [0, 1], found \(quantile)") }
        }
        let statement = try string("statement")
        var choices = QuirkyRecord.standardChoices
        if let v = object["choices"] {
            guard case let .list(items) = v, items.count == 2,
                  case let .string(no) = items[0], case let .string(yes) = items[1] else {
                throw bad("choices", "expected an array of two strings (the \"no\" answer first), found \(describe(v))")
            }
            choices = [no, yes]
        }
        let split = object["split"] == nil ? defaultSplit : try string("split")
        var args: [String: String] = [:]
        if let v = object["template_args"] {
            guard case let .map(o) = v else { throw bad("template_args", "expected an object, found \(RowReader.kind(v))") }
            for (key, value) in o {
                guard let text = scalarText(value) else {
                    throw bad("template_args", "value of '\(key)' must be a string, number or boolean, found \(RowReader.kind(value))")
                }
                args[key] = text
            }
        }
        return QuirkyRecord(id: id, character: character, name: name, label: label,
                            aliceLabel: alice, bobLabel: bob, difficulty: difficulty,
                            difficultyQuantile: quantile, statement: statement, choices: choices,
                            split: split, templateArgs: args)
    }
}
