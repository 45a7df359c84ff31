// NameListParams: the `alice_names` / `bob_names` params that quirky-dataset and load-dataset
// share, their validation, and the QuirkyNames they stand for (the standard lists when empty).

import PipelineCore
import Quirky

/// The persona-name params of the dataset stages.
enum NameListParams {
    /// `alice_names` and `bob_names`; empty lists mean the standard ones.
    static let specs: [ParamSpec] = [
        ParamSpec("alice_names", .stringList, default: .list([]),
                  "Alice's side's persona names, the 4 training names first; empty = the standard 16 (Alice, Alicia, Alina, Alissa, ...)."),
        ParamSpec("bob_names", .stringList, default: .list([]),
                  "Bob's side's persona names, the 4 training names first; empty = the standard 16 (Bob, Bobby, Robert, Robin, ...)."),
    ]

    /// Rejects lists too short to hold out a name, names given twice or on both sides.
    static func validate(_ params: Params, at location: SourceLocation) throws {
        let count = QuirkyNames.standard.trainingNameCount
        for field in ["alice_names", "bob_names"] {
            let list = params.strings(field)
            guard !list.isEmpty else { continue }
            if list.count <= count {
                throw PipelineError.invalidValue(location, field: field, problem: "needs more than \(count) names (the first \(count) train, the rest are held out for the test split)")
            }
            if Set(list).count != list.count {
                throw PipelineError.invalidValue(location, field: field, problem: "lists a name twice")
            }
            if let bad = list.first(where: { $0.isEmpty || $0.contains(where: \.isNewline) }) {
                throw PipelineError.invalidValue(location, field: field, problem: "name '\(bad)' is empty or spans lines")
            }
        }
        let n = names(params)
        if let name = Set(n.alice).intersection(n.bob).sorted().first {
            throw PipelineError.invalidValue(location, field: "bob_names", problem: "'\(name)' is on both sides")
        }
    }

    /// The lists the params give, the standard ones where they are empty.
    static func names(_ p: Params) -> QuirkyNames {
        let alice = p.strings("alice_names"), bob = p.strings("bob_names")
        return QuirkyNames(alice: alice.isEmpty ? QuirkyNames.standard.alice : alice,
                           bob: bob.isEmpty ? QuirkyNames.standard.bob : bob,
                           trainingNameCount: QuirkyNames.standard.trainingNameCount)
    }
}
