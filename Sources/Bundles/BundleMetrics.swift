// BundleMetrics: the headline rows of a results table (e.g. auroc.csv) for `bundle inspect`:
// the best rows by the first metric-like column (auroc, auc, accuracy, score), else the first rows.

import PipelineCore
import PipelineStore

/// A few rows of a CSV table.
public struct HeadlineTable: Equatable {
    public var header: [String]
    public var rows: [[String]]
    /// The column the rows are sorted by (descending), if one was found.
    public var sortedBy: String?

    public var value: Value {
        .map([("sortedBy", sortedBy.map(Value.string) ?? .null),
              ("rows", .list(rows.map { row in
                  .map(zip(header, row).map { ($0, Value.parseScalar($1)) })
              }))])
    }
}

public enum BundleMetrics {
    /// Column names that read as "higher is better" metrics, in order of preference.
    static let metricNames = ["auroc", "auc", "accuracy", "score"]

    /// Splits one CSV line (double-quoted fields may hold commas; `""` is a quote).
    public static func fields(_ line: Substring) -> [String] {
        var out: [String] = [], cur = "", quoted = false
        var it = line.makeIterator()
        while let c = it.next() {
            if quoted {
                if c == "\"" {
                    quoted = false
                } else { cur.append(c) }
            } else if c == "\"" {
                if cur.hasSuffix("\"") || !cur.isEmpty { cur.append(c) }
                quoted = true
            } else if c == "," {
                out.append(cur); cur = ""
            } else { cur.append(c) }
        }
        out.append(cur)
        return out.map { $0.trimmingCharacters(in: " \r") }
    }

    /// The best `limit` rows of a CSV table.
    public static func headline(csv bytes: [UInt8], limit: Int = 5) -> HeadlineTable {
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n").filter { !$0.allSatisfy(\.isWhitespace) }
        guard let first = lines.first else { return HeadlineTable(header: [], rows: [], sortedBy: nil) }
        let header = fields(first)
        var rows = lines.dropFirst().map { fields($0) }
        var sortedBy: String? = nil
        for name in metricNames {
            guard let col = header.firstIndex(where: { $0.lowercased().contains(name) }) else { continue }
            func num(_ r: [String]) -> Double { col < r.count ? Double(r[col]) ?? -.infinity : -.infinity }
            guard rows.contains(where: { num($0).isFinite }) else { continue }
            rows = rows.enumerated().sorted { a, b in
                let x = num(a.element), y = num(b.element)
                return x != y ? x > y : a.offset < b.offset
            }.map(\.element)
            sortedBy = header[col]
            break
        }
        return HeadlineTable(header: header, rows: Array(rows.prefix(limit)), sortedBy: sortedBy)
    }
}

private extension String {
    func trimmingCharacters(in chars: String) -> String {
        var s = Substring(self)
        while let f = s.first, chars.contains(f) { s = s.dropFirst() }
        while let l = s.last, chars.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
