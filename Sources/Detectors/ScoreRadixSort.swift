// ScoreRadixSort: sorts finite Double scores ascending, carrying one Bool label per score, with a
// stable least-significant-digit radix sort (11-bit digits) on 64-bit keys that order like the
// doubles. A handful of sequential passes replace the comparison sort that dominated AUROC and
// average precision on a million scores; `sortedNaive` (a stable comparison sort) is its reference.

/// Radix sort of scores with their labels (for the ranking metrics).
enum ScoreRadixSort {
    /// A key whose unsigned order is the order of the finite doubles: negatives have every bit
    /// flipped, non-negatives only the sign bit; −0 is mapped to +0 so the two tie as they compare.
    @inline(__always)
    static func key(_ x: Double) -> UInt64 {
        let bits = (x == 0 ? 0.0 : x).bitPattern
        return bits >> 63 == 1 ? ~bits : bits | (1 << 63)
    }

    /// Keys of `scores` in ascending order with `labels` permuted alike; equal scores keep their
    /// input order (the sort is stable). Scores must be finite.
    static func sorted(_ scores: [Double], _ labels: [Bool]) -> (keys: [UInt64], labels: [Bool]) {
        precondition(scores.count == labels.count, "\(scores.count) scores but \(labels.count) labels")
        let n = scores.count
        var keys = scores.map(key)
        var flags = labels
        guard n > 1 else { return (keys, flags) }
        let bits = 11, radix = 1 << bits, passes = 6   // 6 × 11 ≥ 64 bits
        let mask = UInt64(radix - 1)
        // One read of the keys fills the histograms of every pass.
        var counts = [Int](repeating: 0, count: radix * passes)
        keys.withUnsafeBufferPointer { k in
            counts.withUnsafeMutableBufferPointer { c in
                for x in k {
                    for p in 0..<passes { c[p * radix + Int((x >> UInt64(p * bits)) & mask)] += 1 }
                }
            }
        }
        var keysOut = [UInt64](repeating: 0, count: n)
        var flagsOut = [Bool](repeating: false, count: n)
        var offsets = [Int](repeating: 0, count: radix)
        for p in 0..<passes {
            let shift = UInt64(p * bits)
            // A digit shared by every key leaves the order unchanged: skip the pass.
            if counts[p * radix + Int((keys[0] >> shift) & mask)] == n { continue }
            var running = 0
            for b in 0..<radix { offsets[b] = running; running += counts[p * radix + b] }
            keys.withUnsafeBufferPointer { kin in
                flags.withUnsafeBufferPointer { fin in
                    keysOut.withUnsafeMutableBufferPointer { kout in
                        flagsOut.withUnsafeMutableBufferPointer { fout in
                            offsets.withUnsafeMutableBufferPointer { off in
                                for i in 0..<n {
                                    let x = kin[i]
                                    let b = Int((x >> shift) & mask)
                                    let dst = off[b]
                                    off[b] = dst + 1
                                    kout[dst] = x
                                    fout[dst] = fin[i]
                                }
                            }
                        }
                    }
                }
            }
            swap(&keys, &keysOut)
            swap(&flags, &flagsOut)
        }
        return (keys, flags)
    }

    /// Reference for `sorted`: a comparison sort of the indices by (score, index).
    static func sortedNaive(_ scores: [Double], _ labels: [Bool]) -> (keys: [UInt64], labels: [Bool]) {
        let order = scores.indices.sorted { a, b in scores[a] < scores[b] || (scores[a] == scores[b] && a < b) }
        return (order.map { key(scores[$0]) }, order.map { labels[$0] })
    }
}
