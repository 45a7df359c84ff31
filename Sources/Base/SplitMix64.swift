// SplitMix64: the one seeded generator behind every random choice in madpipe (datasets, model
// and detector initialisation, shuffles, bootstrap resamples), with the one shuffle. Every
// algorithm here is fixed in this file (no standard-library sampling or shuffling, whose
// implementations may change between Swift versions), so the same seed gives the same bytes on
// every platform and toolchain.

import Foundation

/// A 64-bit SplitMix generator (Steele, Lea and Flood 2014).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The generator's whole state.
    public private(set) var state: UInt64

    /// Creates a generator whose stream is fully determined by `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in [0, 1) from the top 53 bits.
    public mutating func nextUniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A standard normal double (Box-Muller, one value per call: two uniforms).
    public mutating func nextGaussian() -> Double {
        let u1 = 1.0 - nextUniform()          // (0, 1]: log is finite
        let u2 = nextUniform()
        return (-2.0 * log(u1)).squareRoot() * cos(2.0 * Double.pi * u2)
    }

    /// A uniform integer in `0..<bound` (rejection sampling, no modulo bias; for the bounds madpipe
    /// uses a rejection happens with probability below 2^-40, so this equals `next() % bound`).
    /// `bound` must be > 0.
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        let b = UInt64(bound)
        let limit = UInt64.max - UInt64.max % b
        while true {
            let x = next()
            if x < limit { return Int(x % b) }
        }
    }

    /// Fisher-Yates shuffle with this generator: the one shuffle of madpipe.
    public mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            let j = nextInt(below: i + 1)
            if i != j { array.swapAt(i, j) }
        }
    }

    /// A 64-bit FNV-1a hash of a string, used to derive per-purpose seeds from names.
    public static func fnv1a(_ text: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01B3
        }
        return h
    }
}
