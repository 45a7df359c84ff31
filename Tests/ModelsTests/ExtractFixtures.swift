// ExtractFixtures: variable-length byte sequences for the extraction tests (lengths 2...8, so
// every batch needs padding and the tiny fixture models' context of 8 fits).

import Base
import Models

enum ExtractFixtures {
    /// `count` sequences of seeded random bytes with lengths cycling through 2...8.
    static func sequences(count: Int, seed: UInt64 = 11) -> [[Int]] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { i in
            let n = 2 + (i * 5 + 3) % 7
            return (0..<n).map { _ in Int(rng.next() % 256) }
        }
    }

    static func maxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "length \(a.count) vs \(b.count)")
        return zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }
}
