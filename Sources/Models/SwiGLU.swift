// SwiGLU: the gated MLP activation of Llama, silu(gate) * up. The forward pass saves
// sigmoid(gate) so the backward pass needs no exponential (the exponentials were a tenth of a
// fine-tuning step, docs/benchmarks.md); the naive pair recomputes it and is the reference the
// tests hold the fast pair to, bit for bit.

import Foundation

/// SwiGLU: out = silu(gate) * up, silu(g) = g * sigmoid(g).
public enum SwiGLU {
    /// - out, gate, up: [N]
    /// - sigmoid: [N], receives sigmoid(gate) for `backward`
    public static func forward(out: UnsafeMutablePointer<Float>, sigmoid: UnsafeMutablePointer<Float>,
                               gate: UnsafePointer<Float>, up: UnsafePointer<Float>, N: Int) {
        for i in 0..<N {
            let g = gate[i]
            let e = 1 + expf(-g)
            out[i] = g / e * up[i]
            sigmoid[i] = 1 / e
        }
    }

    /// dgate[N] += dout * up * sigmoid(g) (1 + g (1 - sigmoid(g))); dup[N] += dout * silu(g),
    /// with `sigmoid` as saved by `forward`.
    public static func backward(dgate: UnsafeMutablePointer<Float>, dup: UnsafeMutablePointer<Float>,
                                dout: UnsafePointer<Float>, gate: UnsafePointer<Float>,
                                up: UnsafePointer<Float>, sigmoid: UnsafePointer<Float>, N: Int) {
        for i in 0..<N {
            let g = gate[i], sg = sigmoid[i]
            dgate[i] += dout[i] * up[i] * sg * (1 + g * (1 - sg))
            dup[i] += dout[i] * g * sg
        }
    }

    /// Reference for `forward` without the saved sigmoid.
    public static func forwardNaive(out: UnsafeMutablePointer<Float>, gate: UnsafePointer<Float>,
                                    up: UnsafePointer<Float>, N: Int) {
        for i in 0..<N {
            let g = gate[i]
            out[i] = g / (1 + expf(-g)) * up[i]
        }
    }

    /// Reference for `backward`: recomputes sigmoid(gate).
    public static func backwardNaive(dgate: UnsafeMutablePointer<Float>, dup: UnsafeMutablePointer<Float>,
                                     dout: UnsafePointer<Float>, gate: UnsafePointer<Float>,
                                     up: UnsafePointer<Float>, N: Int) {
        for i in 0..<N {
            let g = gate[i]
            let sg = 1 / (1 + expf(-g))
            dgate[i] += dout[i] * up[i] * sg * (1 + g * (1 - sg))
            dup[i] += dout[i] * g * sg
        }
    }
}
