// CrossEntropy: softmax over the vocabulary and the weighted mean negative log-likelihood of the
// targets. The per-position weights are the loss mask (fine-tuning puts weight 1 on the answer
// token and 0 elsewhere); the mean divides by the sum of the weights. Positions of weight 0 are
// skipped in both passes (fine-tuning weighs one position in ~48; their softmax over the vocabulary
// was 3% of a step), so they cannot affect the loss, not even with a non-finite logit.

import Foundation

/// Forward and backward of softmax cross-entropy with a per-position loss mask.
public enum CrossEntropy {
    /// Returns sum_n w[n] * loss[n] / sum_n w[n] (0 when every weight is 0), accumulated in Double.
    /// - losses:  [N]     -log softmax(logits[n])[targets[n]]; 0 where the weight is 0
    /// - probs:   [N, V]  softmax(logits) (saved for backward); rows of weight 0 are not written
    /// - logits:  [N, V]
    /// - targets: [N], each in [0, V)
    /// - weights: [N]
    @discardableResult
    public static func forward(losses: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>,
                               logits: UnsafePointer<Float>, targets: UnsafePointer<Int>,
                               weights: UnsafePointer<Float>, N: Int, V: Int) -> Double {
        var total = 0.0, wsum = 0.0
        for n in 0..<N {
            if weights[n] == 0 { losses[n] = 0; continue }
            let z = logits + n * V, p = probs + n * V
            var maxv = -Float.infinity
            for i in 0..<V where z[i] > maxv { maxv = z[i] }
            var sum = 0.0
            for i in 0..<V {
                let e = expf(z[i] - maxv)
                p[i] = e
                sum += Double(e)
            }
            let inv = Float(1 / sum)
            for i in 0..<V { p[i] *= inv }
            let loss = Double(maxv) + log(sum) - Double(z[targets[n]])
            losses[n] = Float(loss)
            total += Double(weights[n]) * loss
            wsum += Double(weights[n])
        }
        return wsum == 0 ? 0 : total / wsum
    }

    /// dlogits[N, V] += w[n] / sum(w) * (probs[n] - onehot(targets[n])).
    public static func backward(dlogits: UnsafeMutablePointer<Float>, probs: UnsafePointer<Float>,
                                targets: UnsafePointer<Int>, weights: UnsafePointer<Float>, N: Int, V: Int) {
        var wsum = 0.0
        for n in 0..<N { wsum += Double(weights[n]) }
        guard wsum != 0 else { return }
        for n in 0..<N {
            let w = Float(Double(weights[n]) / wsum)
            if w == 0 { continue }
            let d = dlogits + n * V, p = probs + n * V
            for i in 0..<V { d[i] += w * p[i] }
            d[targets[n]] -= w
        }
    }
}
