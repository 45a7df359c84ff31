// ReportQuirkiness: the report's quirkiness table: per model and dataset, Alice's and Bob's
// accuracy on their own labels and the quirkiness coefficient, with the truthful twin's
// accuracies beside its quirky model when quirkiness.csv has a bob_rule column.

import Base

/// Builds the quirkiness table.
enum ReportQuirkiness {
    /// The table, or nil without a quirkiness input. With a bob_rule column, one row per model
    /// and dataset (and other axis values): the quirky model's accuracies and coefficient, then
    /// its twin's; without one, the input's rows as they are (key and measure columns).
    static func table(_ inputs: ReportInputs) -> CSVTable? {
        guard let t = inputs.quirkiness else { return nil }
        let extra = ExtraColumns(t, known: ReportInputs.quirkinessColumns).names.filter { $0 != "bob_rule" }
        let key = ["model", "dataset"] + extra
        let measures = ["alice_accuracy", "bob_accuracy", "quirkiness"]
        guard t.column("bob_rule") != nil else {
            return CSVTable(header: key + measures, rows: t.records.map { r in (key + measures).map { r[$0, default: ""] } }, source: "quirkiness")
        }
        var order: [[String]] = []
        var quirky: [[String]: [String: String]] = [:], twin: [[String]: [String: String]] = [:]
        for r in t.records {
            let k = key.map { r[$0, default: ""] }
            if !order.contains(k) { order.append(k) }
            if r["bob_rule"] == "truthful" { twin[k] = r } else { quirky[k] = r }
        }
        let header = key + measures + ["twin_alice_accuracy", "twin_bob_accuracy"]
        let rows = order.map { k in
            k + measures.map { quirky[k]?[$0] ?? "" } + ["alice_accuracy", "bob_accuracy"].map { twin[k]?[$0] ?? "" }
        }
        return CSVTable(header: header, rows: rows, source: "quirkiness")
    }
}
