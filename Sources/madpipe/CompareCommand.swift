// CompareCommand: `madpipe compare A B`: two runs' metric tables (the CSV files they published)
// side by side. Rows are matched on their key columns: the columns holding text (a value that is
// not a number) in either run, less any such column the rows stay unique without (a free-text
// note), plus integer columns (seed, layer) where those alone do not tell rows apart; every
// numeric column is shown for A and B with B - A.

import ArgumentParser
import Base
import Foundation
import PipelineCore
import PipelineStore
import Stages

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Show two runs' published CSV tables side by side, rows matched on their key columns.",
        discussion: """
        A run is its id, a unique prefix of one, or `latest` (`madpipe runs` lists them). Each CSV \
        both runs published (by output and path) is compared: key columns are the non-numeric ones; \
        for each numeric column the table shows A, B and B - A. The first column marks a row: \
        '*' a value differs, '-' only in A, '+' only in B.

        Examples:
          madpipe run p.yaml -m seed=0 --json | jq -r .run        # -> A
          madpipe run p.yaml -m seed=1 --json | jq -r .run        # -> B
          madpipe compare A B
          madpipe compare A B --table auroc.csv
        """)

    @Argument(help: "The first run.") var a: String
    @Argument(help: "The second run.") var b: String
    @Option(name: .long, help: ArgumentHelp("Only tables whose path contains this text.", valueName: "text")) var table: String?
    @OptionGroup var cacheOptions: CacheOptions

    func run() throws {
        let store = try cacheOptions.openStore()
        let ra = try store.run(named: a), rb = try store.run(named: b)
        print("A: \(describe(ra))")
        print("B: \(describe(rb))")
        let ta = csvFiles(ra), tb = csvFiles(rb)
        var shown = 0
        for name in ta.keys.sorted() where tb[name] != nil && (table.map { name.contains($0) } ?? true) {
            let x = try load(ta[name]!, name: name, run: ra, store: store)
            let y = try load(tb[name]!, name: name, run: rb, store: store)
            print("")
            print(TableComparison(a: x, b: y).render(title: name))
            shown += 1
        }
        let onlyA = ta.keys.filter { tb[$0] == nil }.sorted(), onlyB = tb.keys.filter { ta[$0] == nil }.sorted()
        if !onlyA.isEmpty { print("\nonly in A: " + onlyA.joined(separator: ", ")) }
        if !onlyB.isEmpty { print("\nonly in B: " + onlyB.joined(separator: ", ")) }
        if shown == 0 { print("\nno CSV table published by both runs" + (table.map { " matches '\($0)'" } ?? "")) }
    }

    func describe(_ r: RunManifest) -> String {
        let overrides = r.vars.map { "-p " + $0 } + r.matrix.map { "-m " + $0 }
        return "\(r.id) \(r.pipeline) \(r.status) \(r.time.prefix(19))" + (overrides.isEmpty ? "" : " " + overrides.joined(separator: " "))
    }

    /// A run's published CSV files: "output/path" -> object digest.
    func csvFiles(_ r: RunManifest) -> [String: String] {
        var out: [String: String] = [:]
        for o in r.outputs {
            for f in o.files where (f.path.isEmpty ? o.name : f.path).hasSuffix(".csv") {
                if let d = f.digest { out[f.path.isEmpty ? o.name : o.name + "/" + f.path] = d }
            }
        }
        return out
    }

    func load(_ digest: String, name: String, run: RunManifest, store: Store) throws -> CSVTable {
        guard store.objectIntact(digest), let data = FileSystem.read(store.objectPath(digest)) else {
            throw PipelineError.store(path: store.objectPath(digest), problem: "\(name) of run \(run.id) is no longer in the cache (removed by `cache gc`?)")
        }
        return try CSVTable.parse(String(decoding: data, as: UTF8.self), source: "\(name) of run \(run.id)")
    }
}

/// Two versions of one table, rows matched on key columns.
struct TableComparison {
    var a: CSVTable
    var b: CSVTable

    /// Columns of both tables, in A's order.
    var common: [String] { a.header.filter { b.header.contains($0) } }

    static func isNumber(_ s: String) -> Bool { Double(s.trimmingCharacters(in: .whitespaces)) != nil }

    /// The non-numeric columns, less those the rows of both tables stay unique without (tried
    /// from the right), unless constant; when they do not tell a table's rows apart, integer
    /// columns (an axis such as seed or layer) are added from the left until they do.
    var keyColumns: [String] {
        let rows = a.records + b.records
        var key = common.filter { c in rows.contains { r in let v = r[c] ?? ""; return !v.isEmpty && !TableComparison.isNumber(v) } }
        func unique(_ cols: [String]) -> Bool {
            for t in [a, b] {
                let keys = t.records.map { r in cols.map { r[$0] ?? "" } }
                if Set(keys).count != keys.count { return false }
            }
            return true
        }
        for c in key.reversed() where key.count > 1 {
            let constant = Set(rows.map { $0[c] ?? "" }).count <= 1
            let rest = key.filter { $0 != c }
            if !constant && unique(rest) { key = rest }
        }
        for c in common where !unique(key) && !key.contains(c) {
            if rows.allSatisfy({ r in let v = r[c] ?? ""; return v.isEmpty || Int(v.trimmingCharacters(in: .whitespaces)) != nil }) {
                key.append(c)
            }
        }
        return common.filter { key.contains($0) }
    }

    func render(title: String) -> String {
        let key = keyColumns
        let values = common.filter { c in !key.contains(c) && (a.records + b.records).contains { TableComparison.isNumber($0[c] ?? "") } }
        var header = [""] + key
        for v in values { header += [v + " A", v + " B", "Δ"] }
        var lines: [[String]] = []
        let ra = a.records, rb = b.records
        var seen = Set<Int>()
        var unmatched = 0, changed = 0
        func keyOf(_ r: [String: String]) -> [String] { key.map { r[$0] ?? "" } }
        var indexB: [[String]: [Int]] = [:]
        for (n, r) in rb.enumerated() { indexB[keyOf(r), default: []].append(n) }
        for r in ra {
            let k = keyOf(r)
            var line = [" "] + k
            if let n = indexB[k]?.first(where: { !seen.contains($0) }) {
                seen.insert(n)
                var differs = false
                for v in values {
                    let x = r[v] ?? "", y = rb[n][v] ?? ""
                    line += [x, y, TableComparison.delta(x, y)]
                    if x != y { differs = true }
                }
                if differs { line[0] = "*"; changed += 1 }
            } else {
                line[0] = "-"
                unmatched += 1
                for v in values { line += [r[v] ?? "", "", ""] }
            }
            lines.append(line)
        }
        for (n, r) in rb.enumerated() where !seen.contains(n) {
            var line = ["+"] + keyOf(r)
            for v in values { line += ["", r[v] ?? "", ""] }
            lines.append(line)
            unmatched += 1
        }
        var out = "\(title): \(lines.count) row(s), matched on \(key.isEmpty ? "row order (no text column)" : key.joined(separator: ", ")); \(changed) differ, \(unmatched) in one run only"
        let all = [header] + lines
        let widths = header.indices.map { i in all.map { $0[i].count }.max() ?? 0 }
        for l in all {
            out += "\n" + l.enumerated().map { i, s in s.padding(toLength: widths[i], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        return out
    }

    /// B - A for two numeric fields, else "".
    static func delta(_ x: String, _ y: String) -> String {
        guard let p = Double(x.trimmingCharacters(in: .whitespaces)), let q = Double(y.trimmingCharacters(in: .whitespaces)),
              p.isFinite, q.isFinite else { return "" }
        let d = q - p
        return d == 0 ? "0" : String(format: "%+.4g", d)
    }
}
