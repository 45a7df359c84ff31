// GradientCheck: test helpers: seeded random arrays, central finite differences with the
// perturbation actually applied in Float32, and error measures for comparing gradients.

import Base
import Models

enum GradientCheck {
    /// `count` values uniform in [-scale, scale) from `seed`.
    static func random(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in Float((rng.nextUniform() * 2 - 1) * Double(scale)) }
    }

    /// Central difference of `f` w.r.t. x[i]: (f(x + h) - f(x - h)) / (2h), where the step is
    /// the one Float32 can actually represent (x[i] +/- eps rounded), so rounding of the step
    /// itself adds no error. `f` reads `x` and must accumulate its result in Double.
    static func centralDifference(_ x: inout [Float], _ i: Int, eps: Float, _ f: ([Float]) -> Double) -> Double {
        let original = x[i]
        let plus = original + eps, minus = original - eps
        x[i] = plus
        let fp = f(x)
        x[i] = minus
        let fm = f(x)
        x[i] = original
        return (fp - fm) / (Double(plus) - Double(minus))
    }

    /// Numerical gradient of `f` at every coordinate of `x`.
    static func numericalGradient(_ x: [Float], eps: Float, _ f: ([Float]) -> Double) -> [Double] {
        var x = x
        return (0..<x.count).map { centralDifference(&x, $0, eps: eps, f) }
    }

    /// Norm-wise relative error ||a - n|| / max(||a||, ||n||, tiny).
    static func relativeError(_ analytic: [Float], _ numeric: [Double]) -> Double {
        precondition(analytic.count == numeric.count)
        var diff = 0.0, na = 0.0, nn = 0.0
        for (a, n) in zip(analytic, numeric) {
            diff += (Double(a) - n) * (Double(a) - n)
            na += Double(a) * Double(a)
            nn += n * n
        }
        return diff.squareRoot() / max(na.squareRoot(), nn.squareRoot(), 1e-30)
    }

    /// Largest elementwise error relative to the largest numerical entry:
    /// max_i |a_i - n_i| / max_i |n_i|.
    static func maxScaledError(_ analytic: [Float], _ numeric: [Double]) -> Double {
        let scale = max(numeric.map(abs).max() ?? 0, 1e-30)
        return zip(analytic, numeric).map { abs(Double($0) - $1) }.max().map { $0 / scale } ?? 0
    }

    /// sum_i w_i * y_i accumulated in Double: the scalar whose gradient w.r.t. y is w.
    static func dot(_ w: [Float], _ y: [Float]) -> Double {
        zip(w, y).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }
}

/// A fresh buffer holding `values` (kernels take raw pointers).
func buf(_ values: [Float]) -> FloatBuffer { FloatBuffer(values) }
