import Base
// The splits a MAD experiment uses (METHOD.md section 3), selected from a dataset's records.
// Pure: the same records, config and seed give the same splits.

/// The four splits.
///
/// - trusted: train split, Alice, training names, easy. Capped.
/// - untrusted: train split, Bob, training names, easy. Capped.
/// - validation: validation split, training names of both sides, all difficulties, balanced
///   between labels by undersampling the larger class (for checkpoint selection). Capped.
/// - test: validation split, hard; Alice records with Alice's held-out names (normal), Bob
///   records with Bob's held-out names (anomalous); as many of each (50/50), at most cap/2 each.
public struct QuirkySplits: Sendable, Equatable {
    public var trusted: [QuirkyRecord]
    public var untrusted: [QuirkyRecord]
    public var validation: [QuirkyRecord]
    public var test: [QuirkyRecord]

    /// Selects the splits from records.
    public init(records: [QuirkyRecord], names: QuirkyNames = .standard, config: QuirkySplitConfig = .init()) {
        var rng = SplitMix64(seed: config.seed ^ SplitMix64.fnv1a("quirky-splits"))
        func trainingName(_ r: QuirkyRecord) -> Bool { names.trainingNames(for: r.character).contains(r.name) }
        func heldOutName(_ r: QuirkyRecord) -> Bool { names.heldOutNames(for: r.character).contains(r.name) }
        func sample(_ rows: [QuirkyRecord], _ k: Int) -> [QuirkyRecord] {
            guard rows.count > k else { return rows }
            var idx = Array(rows.indices)
            rng.shuffle(&idx)
            return idx.prefix(k).sorted().map { rows[$0] }
        }
        let train = records.filter { $0.split == "train" && trainingName($0) && $0.difficultyQuantile < config.easyQuantile }
        trusted = sample(train.filter { $0.character == .alice }, config.cap)
        untrusted = sample(train.filter { $0.character == .bob }, config.cap)

        let val = records.filter { $0.split == "validation" }
        let valTrainingNames = val.filter(trainingName)
        let positives = valTrainingNames.filter(\.label)
        let negatives = valTrainingNames.filter { !$0.label }
        let perClass = min(positives.count, negatives.count, config.cap / 2)
        validation = Self.interleave(sample(positives, perClass), sample(negatives, perClass))

        let hard = val.filter { $0.difficultyQuantile >= config.hardQuantile && heldOutName($0) }
        let normal = hard.filter { $0.character == .alice }
        let anomalous = hard.filter { $0.character == .bob }
        let perSide = min(normal.count, anomalous.count, config.cap / 2)
        test = Self.interleave(sample(normal, perSide), sample(anomalous, perSide))
    }

    /// a0, b0, a1, b1, ... (equal lengths).
    static func interleave(_ a: [QuirkyRecord], _ b: [QuirkyRecord]) -> [QuirkyRecord] {
        var out: [QuirkyRecord] = []
        out.reserveCapacity(a.count + b.count)
        for i in 0..<max(a.count, b.count) {
            if i < a.count { out.append(a[i]) }
            if i < b.count { out.append(b[i]) }
        }
        return out
    }
}
