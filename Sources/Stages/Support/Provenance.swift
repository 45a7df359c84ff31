// Provenance: the matrix axes that tell a stage's gathered input artifacts apart (seed, order,
// shrinkage, ...), written as table columns so that every row of a published table names the
// stage instance it came from, and the check that no two rows of a table share a key.

import PipelineCore

/// The axis columns a table built from gathered artifacts carries beyond its own key columns.
///
/// Axes are taken in the pipeline's matrix order (the order of the artifacts' assignments,
/// merged); an axis becomes a column when two artifacts that agree on every column so far (the
/// table's key columns, then the axis columns already chosen) differ on it. So `seed` is a column
/// when two seeds' rows would otherwise share a key, and an axis that only restates a key column
/// (an `acts_detector` axis beside the `detector` column) is not. An artifact without an axis
/// counts as the empty value. Axes named in `fixed` (the table's own key columns: model,
/// dataset, detector, ...) are never added: their columns stay where they are.
struct Provenance {
    /// The extra axis columns, in matrix order.
    let axes: [String]

    /// The distinguishing axes of `artifacts`, except those in `fixed`. `keys[i]` holds artifact
    /// i's values on the table's key columns (empty when the table has none).
    init(_ artifacts: [InputArtifact], fixed: [String], keys: [[String]]? = nil) {
        var order: [String] = []
        for art in artifacts {
            var at = 0  // where the next new axis of this assignment goes: after its predecessor
            for (name, _) in art.assignment {
                if let i = order.firstIndex(of: name) { at = i + 1 } else { order.insert(name, at: at); at += 1 }
            }
        }
        var rowKeys = keys ?? artifacts.map { _ in [] }
        var chosen: [String] = []
        for axis in order where !fixed.contains(axis) {
            let values = artifacts.map { Provenance.value($0, axis) }
            var seen: [[String]: String] = [:]
            let splits = rowKeys.indices.contains { i in
                if let v = seen[rowKeys[i]] { return v != values[i] }
                seen[rowKeys[i]] = values[i]
                return false
            }
            guard splits else { continue }
            chosen.append(axis)
            for i in rowKeys.indices { rowKeys[i].append(values[i]) }
        }
        axes = chosen
    }

    /// The artifact's value on `axis`, or "" when it has none.
    static func value(_ art: InputArtifact, _ axis: String) -> String {
        art.assignment.first { $0.0 == axis }?.1.description ?? ""
    }

    /// The artifact's values on the extra axis columns, in column order.
    func values(_ art: InputArtifact) -> [String] { axes.map { Provenance.value(art, $0) } }
}

/// Rows of one table by key: a second row with a key already seen is an error naming the stage
/// instances that produced both.
struct TableKeys {
    /// The table's file name, for the message.
    let table: String
    /// The key columns, in order.
    let columns: [String]
    private var seen: [[String]: String] = [:]

    init(table: String, columns: [String]) {
        self.table = table
        self.columns = columns
    }

    /// Records `key` for a row produced by `stageId`; throws when another row has it.
    mutating func add(_ key: [String], from stageId: String) throws {
        if let first = seen[key] {
            let described = zip(columns, key).map { "\($0)=\($1)" }.joined(separator: ", ")
            let who = first == stageId ? "\(stageId) gives it twice" : "\(first) and \(stageId) both give it"
            throw StageError("\(table): two rows have the key \(described) (\(who)); the key columns "
                + "\(columns.joined(separator: ", ")) do not tell them apart. Give the inputs different labels "
                + "(fit-detector's `label`) or sweep what differs as a matrix axis, so that it becomes a column.")
        }
        seen[key] = stageId
    }
}
