import Base
// Turns base rows into the final dataset: difficulty quantiles, persona names, ids, and two
// records (Alice, Bob) per row. Pure apart from the PRNG it is handed.

/// Turns base rows into records.
public enum QuirkyAssembler {
    /// Difficulty quantiles `(rank + 0.5) / N`, where tied difficulties share their average
    /// 0-based rank (so equal difficulties always get equal quantiles and the easy/hard cuts do
    /// not depend on row order). Every value lies strictly inside (0, 1).
    public static func quantiles(_ difficulties: [Double]) -> [Double] {
        let n = difficulties.count
        guard n > 0 else { return [] }
        let order = difficulties.indices.sorted { difficulties[$0] < difficulties[$1] }
        var result = [Double](repeating: 0, count: n)
        var start = 0
        while start < n {
            var end = start
            while end + 1 < n && difficulties[order[end + 1]] == difficulties[order[start]] { end += 1 }
            let averageRank = Double(start + end) / 2
            for k in start...end { result[order[k]] = (averageRank + 0.5) / Double(n) }
            start = end + 1
        }
        return result
    }

    /// Two records per base row, Alice's first. Train rows get names drawn uniformly from each
    /// side's training names; validation rows from all 16 names of the side, so the test split
    /// can keep the held-out names and checkpoint selection the training ones. Quantiles are
    /// computed over all base rows together (train and validation).
    public static func records(from rows: [QuirkyBaseRow], dataset: String, names: QuirkyNames,
                               rng: inout SplitMix64) -> [QuirkyRecord] {
        let q = quantiles(rows.map(\.difficulty))
        var out: [QuirkyRecord] = []
        out.reserveCapacity(rows.count * 2)
        let width = String(max(rows.count - 1, 0)).count
        for (i, row) in rows.enumerated() {
            let number = String(i)
            let padded = String(repeating: "0", count: max(0, width - number.count)) + number
            for character in QuirkyCharacter.allCases {
                let pool = row.split == "train"
                    ? Array(names.trainingNames(for: character))
                    : names.names(for: character)
                let name = pool[rng.nextInt(below: pool.count)]
                let label = character == .alice ? row.aliceLabel : row.bobLabel
                out.append(QuirkyRecord(
                    id: "\(dataset)-\(padded)-\(character.rawValue.lowercased())",
                    character: character, name: name, label: label,
                    aliceLabel: row.aliceLabel, bobLabel: row.bobLabel,
                    difficulty: row.difficulty, difficultyQuantile: q[i],
                    statement: row.statement, split: row.split, templateArgs: row.templateArgs))
            }
        }
        return out
    }
}
