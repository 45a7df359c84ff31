// Finds the range of the drawable values of a chart (finite, and positive on log scales).

/// Running min/max over accepted values, counting the rejected ones.
struct DataExtent {
    var lo = Double.infinity
    var hi = -Double.infinity
    let kind: ScaleKind

    init(kind: ScaleKind) { self.kind = kind }

    /// Whether a value can be drawn on this kind of scale.
    func accepts(_ v: Double) -> Bool { v.isFinite && (kind == .linear || v > 0) }

    mutating func add(_ v: Double) {
        guard accepts(v) else { return }
        lo = Swift.min(lo, v)
        hi = Swift.max(hi, v)
    }

    var isEmpty: Bool { lo > hi }

    /// A scale over the extent and the axis's reference values (or the axis's fixed domain),
    /// mapped onto `range`, with integer ticks when the axis asks for them.
    func scale(_ axis: AxisSpec, range: (Double, Double)) -> Scale {
        var e = self
        for r in axis.references { e.add(r.value) }
        return Scale(kind: axis.scale, lo: e.lo, hi: e.hi, range: range, fixed: axis.domain, integerTicks: axis.integerTicks)
    }
}
