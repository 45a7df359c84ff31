// Axis ticks at "nice" values: steps of 1, 2 or 5 times a power of ten for linear axes, and
// decades (with 2s and 5s on short ranges) for log axes.

import Foundation

/// Tick computation; pure functions.
public enum NiceTicks {
    /// The 1-2-5 step closest to `span / target`.
    public static func step(span: Double, target: Int = 5) -> Double {
        guard span > 0, span.isFinite else { return 1 }
        let raw = span / Double(max(1, target))
        let power = pow(10, (log10(raw)).rounded(.down))
        let fraction = raw / power
        let nice: Double = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10
        return nice * power
    }

    /// A domain that is never empty: equal ends are widened (by 10% of the value, or by 1 at 0).
    public static func widen(_ lo: Double, _ hi: Double) -> (Double, Double) {
        if lo < hi { return (lo, hi) }
        let pad = lo == 0 ? 1 : abs(lo) * 0.1
        return (lo - pad, hi + pad)
    }

    /// The domain extended outward to the nearest ticks, and the ticks inside it.
    /// `minStep` bounds the step from below (1 for integer ticks).
    public static func linear(_ lo: Double, _ hi: Double, target: Int = 5, minStep: Double = 0) -> (domain: (Double, Double), ticks: [Double], step: Double) {
        let (a, b) = widen(lo, hi)
        let s = max(step(span: b - a, target: target), minStep)
        // Tolerate rounding: a value within 1e-9 steps of a tick counts as on it.
        let first = (a / s + 1e-9).rounded(.down)
        let last = (b / s - 1e-9).rounded(.up)
        let ticks = stride(from: first, through: last, by: 1).map { k -> Double in
            let v = k * s
            return abs(v) < s * 1e-9 ? 0 : v
        }
        return ((first * s, last * s), ticks, s)
    }

    /// Ticks within [lo, hi] (no domain extension), for a fixed domain.
    /// `minStep` bounds the step from below (1 for integer ticks).
    public static func linearInside(_ lo: Double, _ hi: Double, target: Int = 5, minStep: Double = 0) -> (ticks: [Double], step: Double) {
        let (a, b) = widen(lo, hi)
        let s = max(step(span: b - a, target: target), minStep)
        let first = (a / s - 1e-9).rounded(.up)
        let last = (b / s + 1e-9).rounded(.down)
        guard first <= last else { return ([], s) }
        return (stride(from: first, through: last, by: 1).map { abs($0 * s) < s * 1e-9 ? 0 : $0 * s }, s)
    }

    /// Log-axis domain extended to whole decades, and its ticks: every decade, plus 2x and 5x
    /// when the domain spans at most two decades. `lo` and `hi` must be positive.
    public static func log(_ lo: Double, _ hi: Double) -> (domain: (Double, Double), ticks: [Double]) {
        precondition(lo > 0 && hi > 0, "log ticks need a positive domain")
        let kLo = Int((log10(lo) + 1e-9).rounded(.down))
        var kHi = Int((log10(hi) - 1e-9).rounded(.up))
        if kHi <= kLo { kHi = kLo + 1 }
        var ticks: [Double] = []
        for k in kLo...kHi {
            let decade = pow(10, Double(k))
            ticks.append(decade)
            if kHi - kLo <= 2 && k < kHi { ticks += [2 * decade, 5 * decade] }
        }
        return ((pow(10, Double(kLo)), pow(10, Double(kHi))), ticks)
    }
}
