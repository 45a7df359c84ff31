// ResultComparison: compares two directories of published outputs (a bundle's and a re-run's,
// for `madpipe reproduce`) file by file. Identical bytes match. CSV tables are compared cell by
// cell: text and integers exactly, floating-point numbers within a tolerance (ToleranceRules);
// other files must be identical, except for a line naming the madpipe build that made them (the
// report's footer). Each file gets a verdict and its largest differences, by file, row and column.

import Foundation
import PipelineCore
import Base
#if canImport(Glibc)
import Glibc
#endif

/// How close two floating-point cells must be: `|a - b| <= tol * max(1, |a|, |b|)` (relative for
/// magnitudes over 1, absolute below). The last rule matching a file and column wins, else `standard`.
public struct ToleranceRules: Sendable {
    public struct Rule: Sendable, Equatable {
        /// A `*` glob on the file's path relative to the results (nil: every file).
        public var file: String?
        /// A `*` glob on the column name.
        public var column: String
        public var tolerance: Double
    }

    /// The default for 64-bit results printed with up to 17 significant digits.
    public static let defaultTolerance = 1e-9

    public var standard: Double
    public var rules: [Rule]

    public init(standard: Double = ToleranceRules.defaultTolerance, rules: [Rule] = []) {
        self.standard = standard
        self.rules = rules
    }

    /// Parses `--tolerance` values: `TOL` (the default), `COLUMN=TOL` or `FILE:COLUMN=TOL`, where
    /// FILE and COLUMN are `*` globs and TOL a non-negative number. Returns the problem, or nil.
    public mutating func add(_ text: String) -> String? {
        let valueText: Substring, target: Substring?
        if let eq = text.lastIndex(of: "=") { valueText = text[text.index(after: eq)...]; target = text[..<eq] } else { valueText = Substring(text); target = nil }
        guard let tol = Double(valueText), tol >= 0, tol.isFinite else {
            return "'\(text)': the tolerance must be a non-negative number, as in 1e-6, auroc=1e-4 or auroc.csv:auroc=1e-4"
        }
        guard let target else { standard = tol; return nil }
        let file: Substring?, column: Substring
        if let colon = target.lastIndex(of: ":") { file = target[..<colon]; column = target[target.index(after: colon)...] } else { file = nil; column = target }
        guard !column.isEmpty, file.map({ !$0.isEmpty }) ?? true else {
            return "'\(text)': expected TOL, COLUMN=TOL or FILE:COLUMN=TOL"
        }
        rules.append(Rule(file: file.map(String.init), column: String(column), tolerance: tol))
        return nil
    }

    /// The tolerance for `column` of `file` (relative to the results directory).
    public func tolerance(file: String, column: String) -> Double {
        for r in rules.reversed() where Plan.glob(r.column, column) {
            if let f = r.file, !(Plan.glob(f, file) || Plan.glob(f, (file as NSString).lastPathComponent)) { continue }
            return r.tolerance
        }
        return standard
    }

    /// Whether `a` and `b` agree within `tol` (equal infinities agree; NaN agrees only with NaN).
    public static func agree(_ a: Double, _ b: Double, tol: Double) -> Bool {
        if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
        if a == b { return true }
        if !a.isFinite || !b.isFinite { return false }
        return abs(a - b) <= tol * max(1, abs(a), abs(b))
    }
}

/// One cell (or line, or byte) that differs.
public struct Difference: Sendable {
    /// 1-based data row for CSV (the header is row 0), line for text, nil for a whole-file problem.
    public var row: Int?
    public var column: String?
    public var expected: String
    public var found: String
    /// `|a - b| / max(1, |a|, |b|)` for numbers; infinity for text, integers and structure.
    public var size: Double
    /// The tolerance it was held to (nil when compared exactly).
    public var tolerance: Double?
    /// `row` is a line of a text file rather than a CSV row.
    public var isLine = false
}

/// The outcome for one published file.
public struct FileVerdict: Sendable {
    public enum State: String, Sendable {
        case identical, withinTolerance = "within tolerance", differs, missing = "missing from the re-run", extra = "not in the bundle"
    }
    /// Relative to the results directory of the pipeline.
    public var file: String
    public var state: State
    /// Mismatches, largest first.
    public var differences: [Difference] = []
    /// The largest numeric difference that was within tolerance (for `withinTolerance`).
    public var largestWithin: Difference?
    /// A short explanation (structure differences, kind of comparison).
    public var detail: String = ""

    public var matches: Bool { state == .identical || state == .withinTolerance }
}

public enum ResultComparison {
    /// Marks the line of a text output that names the madpipe build that made it (the HTML report's
    /// footer); two files that differ only there match.
    public static let buildLineMarker = "id=\"madpipe-build\""

    /// Compares every file under `expected` (the bundle's outputs) with the same path under
    /// `found` (the re-run's), and reports files only the re-run has; sorted by path.
    public static func compare(expected: String, found: String, tolerances: ToleranceRules) -> [FileVerdict] {
        let a = files(under: expected), b = files(under: found)
        var verdicts: [FileVerdict] = []
        for f in a.sorted() {
            guard b.contains(f) else { verdicts.append(FileVerdict(file: f, state: .missing)); continue }
            verdicts.append(compareFile(f, expected: expected + "/" + f, found: found + "/" + f, tolerances: tolerances))
        }
        for f in b.subtracting(a).sorted() { verdicts.append(FileVerdict(file: f, state: .extra)) }
        return verdicts
    }

    /// Regular files under `root`, as sorted relative paths (symbolic links are not followed).
    static func files(under root: String) -> Set<String> {
        var out = Set<String>()
        guard let e = FileManager.default.enumerator(atPath: root) else { return out }
        while let p = e.nextObject() as? String {
            var st = stat()
            if lstat(root + "/" + p, &st) == 0, st.st_mode & S_IFMT == S_IFREG { out.insert(p) }
        }
        return out
    }

    static func compareFile(_ name: String, expected: String, found: String, tolerances: ToleranceRules) -> FileVerdict {
        let x = FileManager.default.contents(atPath: expected) ?? Data(), y = FileManager.default.contents(atPath: found) ?? Data()
        if x == y { return FileVerdict(file: name, state: .identical) }
        let tx = String(data: x, encoding: .utf8), ty = String(data: y, encoding: .utf8)
        if name.hasSuffix(".csv"), let tx, let ty, let ca = try? CSVTable.parse(tx, source: name), let cb = try? CSVTable.parse(ty, source: name) {
            return compareTables(name, ca, cb, tolerances: tolerances)
        }
        var v = FileVerdict(file: name, state: .differs)
        if let tx, let ty, !tx.contains("\0"), !ty.contains("\0") {
            let la = tx.components(separatedBy: "\n"), lb = ty.components(separatedBy: "\n")
            // A report made by another build differs in its build line only: that is noted, not a mismatch.
            let isBuild = { (l: String) in l.contains(buildLineMarker) }
            if la.filter({ !isBuild($0) }) == lb.filter({ !isBuild($0) }) {
                v.state = .withinTolerance
                v.detail = "differs only in the line naming the madpipe build: " + (lb.first(where: isBuild) ?? "")
                return v
            }
            let n = zip(la, lb).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(la.count, lb.count)
            v.detail = "text differs from line \(n + 1) (\(la.count) lines in the bundle, \(lb.count) re-run)"
            v.differences = [Difference(row: n + 1, column: nil, expected: n < la.count ? la[n] : "(end of file)",
                                        found: n < lb.count ? lb[n] : "(end of file)", size: .infinity, tolerance: nil, isLine: true)]
        } else {
            let n = zip(x, y).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(x.count, y.count)
            v.detail = "bytes differ from offset \(n) (\(x.count) bytes in the bundle, \(y.count) re-run)"
        }
        return v
    }

    static func compareTables(_ name: String, _ a: CSVTable, _ b: CSVTable, tolerances: ToleranceRules) -> FileVerdict {
        var v = FileVerdict(file: name, state: .differs)
        guard a.header == b.header else {
            let gone = a.header.filter { !b.header.contains($0) }, added = b.header.filter { !a.header.contains($0) }
            v.detail = "columns differ: bundle [\(a.header.joined(separator: ","))], re-run [\(b.header.joined(separator: ","))]"
                + (gone.isEmpty ? "" : "; missing \(gone.joined(separator: ","))") + (added.isEmpty ? "" : "; added \(added.joined(separator: ","))")
            v.differences = [Difference(row: 0, column: nil, expected: a.header.joined(separator: ","), found: b.header.joined(separator: ","),
                                        size: .infinity, tolerance: nil)]
            return v
        }
        var diffs: [Difference] = [], within: Difference?
        for (r, (ra, rb)) in zip(a.rows, b.rows).enumerated() {
            for (c, column) in a.header.enumerated() where ra[c] != rb[c] {
                let p = ra[c], q = rb[c]
                if let i = Int(p.trimmingCharacters(in: .whitespaces)), let j = Int(q.trimmingCharacters(in: .whitespaces)), i != j {
                    diffs.append(Difference(row: r + 1, column: column, expected: p, found: q, size: .infinity, tolerance: nil))
                } else if Int(p.trimmingCharacters(in: .whitespaces)) != nil && Int(q.trimmingCharacters(in: .whitespaces)) != nil {
                    continue  // the same integer spelled differently ("1" vs " 1")
                } else if let x = number(p), let y = number(q) {
                    let tol = tolerances.tolerance(file: name, column: column)
                    let size = x.isNaN || y.isNaN || !x.isFinite || !y.isFinite ? (ToleranceRules.agree(x, y, tol: 0) ? 0 : .infinity)
                        : abs(x - y) / max(1, abs(x), abs(y))
                    let d = Difference(row: r + 1, column: column, expected: p, found: q, size: size, tolerance: tol)
                    if ToleranceRules.agree(x, y, tol: tol) {
                        if within.map({ size > $0.size }) ?? true { within = d }
                    } else {
                        diffs.append(d)
                    }
                } else {
                    diffs.append(Difference(row: r + 1, column: column, expected: p, found: q, size: .infinity, tolerance: nil))
                }
            }
        }
        if a.rows.count != b.rows.count {
            v.detail = "the bundle has \(a.rows.count) rows, the re-run \(b.rows.count)"
            let n = min(a.rows.count, b.rows.count)
            diffs.insert(Difference(row: n + 1, column: nil, expected: n < a.rows.count ? a.rows[n].joined(separator: ",") : "(no row)",
                                    found: n < b.rows.count ? b.rows[n].joined(separator: ",") : "(no row)", size: .infinity, tolerance: nil), at: 0)
        }
        v.differences = diffs.enumerated().sorted { ($0.element.size, -$0.offset) > ($1.element.size, -$1.offset) }.map(\.element)
        v.largestWithin = within
        if diffs.isEmpty { v.state = .withinTolerance; v.detail = "CSV: equal up to the tolerance" }
        else if v.detail.isEmpty { v.detail = "\(diffs.count) cell(s) differ" }
        return v
    }

    /// A CSV number, NaN included (`nan`, `NaN`).
    static func number(_ s: String) -> Double? {
        let t = s.trimmingCharacters(in: .whitespaces)
        if t.lowercased() == "nan" { return .nan }
        return Double(t)
    }
}
