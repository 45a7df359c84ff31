// CSVTable: a small RFC 4180 CSV reader and writer for the result tables the report reads
// (auroc.csv, quirkiness.csv, ...), with errors that name the file and line.

import Foundation

/// A problem reading a CSV table, with the file (or other source) and line it concerns.
public enum CSVError: Error, Equatable, CustomStringConvertible {
    /// The file could not be read.
    case unreadable(source: String, reason: String)
    /// The file has no header line.
    case empty(source: String)
    /// A quoted field is not closed before the end of the file.
    case unterminatedQuote(source: String, line: Int)
    /// A row has a different number of fields than the header.
    case ragged(source: String, line: Int, expected: Int, found: Int)
    /// Columns the reader needs are absent from the header.
    case missingColumns(source: String, columns: [String])

    public var description: String {
        switch self {
        case let .unreadable(source, reason): return "\(source): cannot read the table: \(reason)"
        case let .empty(source): return "\(source): the table is empty (no header line)"
        case let .unterminatedQuote(source, line): return "\(source):\(line): a quoted field is never closed"
        case let .ragged(source, line, expected, found):
            return "\(source):\(line): the row has \(found) field\(found == 1 ? "" : "s") but the header has \(expected)"
        case let .missingColumns(source, columns):
            return "\(source): missing column\(columns.count == 1 ? "" : "s") \(columns.joined(separator: ", "))"
        }
    }
}

/// A table of strings with a header row, as read from a CSV file.
public struct CSVTable: Equatable, Sendable {
    /// Column names in file order.
    public var header: [String]
    /// Data rows; each has exactly `header.count` fields.
    public var rows: [[String]]
    /// Where the table came from (a path), for error messages.
    public var source: String

    /// Creates a table; rows shorter than the header are padded with empty fields.
    public init(header: [String], rows: [[String]], source: String = "table") {
        self.header = header
        self.rows = rows.map { $0.count < header.count ? $0 + Array(repeating: "", count: header.count - $0.count) : $0 }
        self.source = source
    }

    /// Index of a column, or nil.
    public func column(_ name: String) -> Int? { header.firstIndex(of: name) }

    /// True when every named column is present.
    public func has(_ names: [String]) -> Bool { names.allSatisfy { column($0) != nil } }

    /// Throws `CSVError.missingColumns` unless every named column is present.
    public func require(_ names: [String]) throws {
        let missing = names.filter { column($0) == nil }
        if !missing.isEmpty { throw CSVError.missingColumns(source: source, columns: missing) }
    }

    /// The rows as name -> value maps.
    public var records: [[String: String]] {
        rows.map { row in Dictionary(uniqueKeysWithValues: zip(header, row).map { ($0, $1) }) }
    }

    /// Parses CSV text (comma separated, double-quoted fields with "" escapes, LF or CRLF lines).
    /// Blank lines are skipped.
    public static func parse(_ text: String, source: String = "table") throws -> CSVTable {
        var lines: [(line: Int, fields: [String])] = []
        var fields: [String] = []
        var field = ""
        var inQuotes = false
        var line = 1, startLine = 1
        var fieldStarted = false
        var chars = Array(text.unicodeScalars)
        if chars.first == "\u{FEFF}" { chars.removeFirst() }
        var i = 0
        func endRow() {
            fields.append(field)
            if !(fields.count == 1 && fields[0].isEmpty && !fieldStarted) { lines.append((startLine, fields)) }
            fields = []
            field = ""
            fieldStarted = false
        }
        while i < chars.count {
            let c = chars[i]
            if inQuotes {
                if c == "\"" {
                    if i + 1 < chars.count, chars[i + 1] == "\"" { field.unicodeScalars.append("\""); i += 1 } else { inQuotes = false }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
            } else if c == "\"" {
                inQuotes = true
                fieldStarted = true
            } else if c == "," {
                fields.append(field)
                field = ""
                fieldStarted = true
            } else if c == "\n" || c == "\r" {
                if c == "\r", i + 1 < chars.count, chars[i + 1] == "\n" { i += 1 }
                endRow()
                line += 1
                startLine = line
            } else {
                field.unicodeScalars.append(c)
                fieldStarted = true
            }
            i += 1
        }
        if inQuotes { throw CSVError.unterminatedQuote(source: source, line: startLine) }
        if fieldStarted || !field.isEmpty || !fields.isEmpty { endRow() }
        guard let head = lines.first else { throw CSVError.empty(source: source) }
        let header = head.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        var rows: [[String]] = []
        for (n, r) in lines.dropFirst() {
            guard r.count == header.count else {
                throw CSVError.ragged(source: source, line: n, expected: header.count, found: r.count)
            }
            rows.append(r)
        }
        return CSVTable(header: header, rows: rows, source: source)
    }

    /// Reads and parses a CSV file.
    public static func read(path: String) throws -> CSVTable {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CSVError.unreadable(source: path, reason: FileManager.default.fileExists(atPath: path) ? "permission denied or not a file" : "no such file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CSVError.unreadable(source: path, reason: "not UTF-8 text")
        }
        return try parse(text, source: path)
    }

    /// Stacks tables: the header is the union of all headers in first-seen order; a table lacking
    /// a column gets empty fields there.
    public static func concatenate(_ tables: [CSVTable], source: String = "concatenated tables") -> CSVTable {
        var header: [String] = []
        for t in tables { for h in t.header where !header.contains(h) { header.append(h) } }
        var rows: [[String]] = []
        for t in tables {
            let map = header.map { t.column($0) }
            for r in t.rows { rows.append(map.map { $0.map { r[$0] } ?? "" }) }
        }
        return CSVTable(header: header, rows: rows, source: tables.count == 1 ? tables[0].source : source)
    }

    /// The table as CSV text (LF lines; fields quoted only when needed).
    public func csv() -> String {
        var out = ""
        for r in [header] + rows {
            out += r.map(CSVTable.quote).joined(separator: ",")
            out += "\n"
        }
        return out
    }

    /// Quotes a field when it holds a comma, quote, CR or LF, or starts/ends with a space.
    public static func quote(_ field: String) -> String {
        let needs = field.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" } || field.hasPrefix(" ") || field.hasSuffix(" ")
        return needs ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
    }

    /// Parses a numeric field: a finite or infinite double, or nil for empty / `nan` / non-numbers.
    public static func number(_ field: String) -> Double? {
        let t = field.trimmingCharacters(in: .whitespaces)
        guard let v = Double(t), !v.isNaN else { return nil }
        return v
    }
}
