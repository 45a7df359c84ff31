// Scales map data values to pixel coordinates, linearly or logarithmically.

import Foundation

/// How an axis maps values.
public enum ScaleKind: String, Sendable {
    case linear
    case log
}

/// A continuous scale from a data domain to a pixel range (the range may be reversed, as for
/// y axes where larger values sit higher).
public struct Scale: Sendable, Equatable {
    public var kind: ScaleKind
    public var domain: (Double, Double)
    public var range: (Double, Double)
    /// Tick positions in data units.
    public var ticks: [Double]
    /// Spacing of linear ticks (used to choose label decimals); 0 for log scales.
    public var step: Double

    public static func == (a: Scale, b: Scale) -> Bool {
        a.kind == b.kind && a.domain == b.domain && a.range == b.range && a.ticks == b.ticks && a.step == b.step
    }

    /// A scale fitted to data extent `lo...hi`: the domain is extended to nice ticks unless
    /// `fixed` gives it. Log scales need `lo > 0`. `integerTicks` keeps linear ticks on integers
    /// (a step of at least 1; 1-2-5 steps of 1 and more are integers).
    public init(kind: ScaleKind, lo: Double, hi: Double, range: (Double, Double), fixed: ClosedRange<Double>? = nil, target: Int = 5,
                integerTicks: Bool = false) {
        let minStep = integerTicks ? 1.0 : 0
        self.kind = kind
        self.range = range
        switch kind {
        case .linear:
            if let fixed {
                domain = NiceTicks.widen(fixed.lowerBound, fixed.upperBound)
                (ticks, step) = NiceTicks.linearInside(domain.0, domain.1, target: target, minStep: minStep)
            } else {
                let t = NiceTicks.linear(lo, hi, target: target, minStep: minStep)
                domain = t.domain
                ticks = t.ticks
                step = t.step
            }
        case .log:
            if let fixed, fixed.lowerBound > 0 {
                let d = NiceTicks.widen(fixed.lowerBound, fixed.upperBound)
                domain = d
                ticks = NiceTicks.log(d.0, d.1).ticks.filter { $0 >= d.0 * (1 - 1e-9) && $0 <= d.1 * (1 + 1e-9) }
            } else {
                let t = NiceTicks.log(lo, hi)
                domain = t.domain
                ticks = t.ticks
            }
            step = 0
        }
    }

    /// Whether a value can be placed on this scale (finite, and positive for log scales).
    public func accepts(_ x: Double) -> Bool {
        x.isFinite && (kind == .linear || x > 0)
    }

    /// The pixel position of `x`.
    public func map(_ x: Double) -> Double {
        let t: Double
        switch kind {
        case .linear: t = (x - domain.0) / (domain.1 - domain.0)
        case .log: t = (log10(x) - log10(domain.0)) / (log10(domain.1) - log10(domain.0))
        }
        return range.0 + t * (range.1 - range.0)
    }

    /// The label of a tick value.
    public func label(_ tick: Double) -> String {
        switch kind {
        case .linear: return SVGNumber.tickLabel(tick, step: step)
        case .log:
            let k = log10(tick)
            if k.rounded() == k && (k < -3 || k > 5) { return "1e" + String(Int(k)) }
            return SVGNumber.tickLabel(tick, step: tick / 10)
        }
    }
}
