// Provenance: the matrix axes that tell a stage's gathered input artifacts apart (seed, order,
// shrinkage, ...), written as table columns so that every row of a published table names the
// stage instance it came from, and the check that no two rows of a table share a key.

import PipelineCore

/// The axis columns a table built from gathered artifacts carries beyond its own key columns.
///
/// An axis is a column when the artifacts do not all have the same value on it (an artifact
/// without the axis counts as the empty value). Columns follow the pipeline's matrix order (the
/// order of the artifacts' assignments, merged). Axes the table already has as columns (model,
/// dataset, detector, ...) are left out: their columns stay where they are.
struct Provenance {
    /// The extra axis columns, in matrix order.
    let axes: [String]

    /// The distinguishing axes of `artifacts`, except those in `fixed`.
    init(_ artifacts: [InputArtifact], fixed: [String]) {
        var order: [String] = []
        for art in artifacts {
            var at = 0  // where the next new axis of this assignment goes: after its predecessor
            for (name, _) in art.assignment {
                if let i = order.firstIndex(of: name) { at = i + 1 } else { order.insert(name, at: at); at += 1 }
            }
        }
        axes = order.filter { axis in
            !fixed.contains(axis) && Set(artifacts.map { Provenance.value($0, axis) }).count > 1
        }
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
