// ReportInputs: the tables a report is built from (AUROC, best layer, quirkiness, separation,
// per-prompt outputs, timings) plus its params and provenance, the columns each must have, and
// the report's one number format. Stages/Reporting reads them from disk.

import Base
import Foundation

/// Everything the report shows. Tables that were not given are nil; problems met while
/// loading are kept in `notes` and shown in the report instead of failing it.
public struct ReportInputs: Sendable {
    /// Page title.
    public var title: String
    /// auroc.csv rows: model,dataset,detector,layer,subset,auroc,ap,ci_low,ci_high.
    public var auroc: CSVTable?
    /// best-layer.csv rows: model,dataset,detector,best_layer,validation_auroc,test_auroc.
    public var bestLayer: CSVTable?
    /// quirkiness.csv rows: model,dataset,alice_accuracy,bob_accuracy,quirkiness (+ losses).
    public var quirkiness: CSVTable?
    /// separation.csv rows: model,dataset,layer,separation,between_total_ratio.
    public var separation: CSVTable?
    /// Per-prompt output tables (name, table), one per model and dataset.
    public var outputs: [(name: String, table: CSVTable)]
    /// Per-stage timings: columns stage,seconds.
    public var timings: CSVTable?
    /// twins.csv rows (compare-twins): model,dataset,detector,layer,subset,quirky_auroc,twin_auroc,difference,ci_low,ci_high.
    public var twins: CSVTable?
    /// Pipeline vars / params shown in the report, in order.
    public var params: [(String, String)]
    /// Provenance (engine version, host, date, ...), in order.
    public var provenance: [(String, String)]
    /// Problems met while loading inputs (shown in the report).
    public var notes: [String]

    /// Creates inputs; everything but the title is optional.
    public init(title: String, auroc: CSVTable? = nil, bestLayer: CSVTable? = nil, quirkiness: CSVTable? = nil,
                separation: CSVTable? = nil, outputs: [(name: String, table: CSVTable)] = [], timings: CSVTable? = nil,
                params: [(String, String)] = [], provenance: [(String, String)] = [], notes: [String] = []) {
        self.title = title
        self.auroc = auroc
        self.bestLayer = bestLayer
        self.quirkiness = quirkiness
        self.separation = separation
        self.outputs = outputs
        self.timings = timings
        self.params = params
        self.provenance = provenance
        self.notes = notes
    }

    /// The columns that name what a row is about; every other leading column is a sweep axis.
    public static let keyColumns = ["model", "dataset", "detector"]
    /// Columns each table must have to be used.
    public static let aurocColumns = ["model", "dataset", "detector", "layer", "subset", "auroc", "ap", "ci_low", "ci_high"]
    public static let bestLayerColumns = ["model", "dataset", "detector", "best_layer", "validation_auroc", "test_auroc"]
    public static let quirkinessColumns = ["model", "dataset", "alice_accuracy", "bob_accuracy", "quirkiness"]
    public static let separationColumns = ["model", "dataset", "layer", "separation", "between_total_ratio"]
    public static let outputColumns = ["character", "label", "log_odds"]
    public static let timingColumns = ["stage", "seconds"]

    /// The axis values of the deepest directory of `path` named like a stage instance
    /// (`evaluate[model=gpt2,seed=0]`, as publishing names them), or none.
    public static func instanceAssignment(_ path: String) -> [(String, String)] {
        for part in path.split(separator: "/").reversed() {
            guard part.last == "]", let open = part.firstIndex(of: "["), open > part.startIndex else { continue }
            let pairs = part[part.index(after: open)..<part.index(before: part.endIndex)].split(separator: ",").map { $0.split(separator: "=", maxSplits: 1) }
            guard !pairs.isEmpty, pairs.allSatisfy({ $0.count == 2 && !$0[0].isEmpty }) else { continue }
            return pairs.map { (String($0[0]), String($0[1])) }
        }
        return []
    }
}

/// Fixed number formatting shared by the figures, tables and HTML (deterministic output).
public enum ReportFormat {
    /// `v` with `digits` decimals, or "—" when not finite.
    public static func fixed(_ v: Double?, _ digits: Int) -> String {
        guard let v, v.isFinite else { return "—" }
        let s = String(format: "%.\(digits)f", v)
        return s.hasPrefix("-") && Double(s) == 0 ? String(s.dropFirst()) : s
    }
}
