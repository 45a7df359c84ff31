// ReferenceTransformer: a deliberately plain forward pass in Double for one sequence at a time:
// one position at a time, no BLAS, no shared buffers, written independently of the fast kernels.
// Tests compare the fast Float32 model against it; it is far too slow for real use.

import Foundation
@testable import Models
import Numerics

/// Naive Double-precision reference of `Transformer`'s forward pass.
public enum ReferenceTransformer {
    /// Everything the reference computes for one sequence of length T.
    public struct Output {
        /// [T][vocabSize]
        public var logits: [[Double]]
        /// [nLayers + 1][T][dModel]: residual stream entering each block, then after the last.
        public var residuals: [[[Double]]]
        /// [nLayers][T][dModel]: attention output-projection inputs (heads concatenated).
        public var heads: [[[Double]]]
    }

    /// A change added to the attention output-projection input of one block at one position
    /// (heads concatenated, [dModel]); lets tests take finite differences w.r.t. head outputs.
    public struct HeadPerturbation {
        public var layer: Int
        public var position: Int
        public var delta: [Double]
        public init(layer: Int, position: Int, delta: [Double]) {
            self.layer = layer
            self.position = position
            self.delta = delta
        }
    }

    /// Runs the reference on `tokens` ([T]) with `parameters` laid out as `ParameterLayout(config:)`
    /// and, when given, adapters (whose layout must come from the same config) and a perturbation
    /// of one block's head outputs.
    public static func run(config: ModelConfig, parameters: [Float], lora: LoRAAdapters? = nil,
                           tokens: [Int], perturbation: HeadPerturbation? = nil) throws -> Output {
        let layout = try ParameterLayout(config: config)
        guard parameters.count == layout.count else {
            throw ModelError.shapeMismatch(argument: "parameters", expected: layout.count, got: parameters.count)
        }
        guard tokens.count <= config.maxSeq else { throw ModelError.sequenceTooLong(length: tokens.count, maxSeq: config.maxSeq) }
        let C = config.dModel, NH = config.nHeads, hd = config.headDim, T = tokens.count
        let gpt2 = config.family == .gpt2
        let eps = Double(config.normEpsilon)

        let pd = parameters.map(Double.init)
        let linearByModule = Dictionary(uniqueKeysWithValues: layout.linears.map { ($0.module, $0) })
        func offset(_ name: String) -> Int { layout.tensors[name]!.offset }
        func norm(_ x: [Double], _ module: String) -> [Double] {
            let w = offset(module + ".weight")
            var y = [Double](repeating: 0, count: C)
            if gpt2 {
                let b = offset(module + ".bias")
                var m = 0.0, v = 0.0
                for c in 0..<C { m += x[c] }
                m /= Double(C)
                for c in 0..<C { v += (x[c] - m) * (x[c] - m) }
                v /= Double(C)
                for c in 0..<C { y[c] = (x[c] - m) / (v + eps).squareRoot() * pd[w + c] + pd[b + c] }
            } else {
                var ms = 0.0
                for c in 0..<C { ms += x[c] * x[c] }
                ms /= Double(C)
                for c in 0..<C { y[c] = x[c] / (ms + eps).squareRoot() * pd[w + c] }
            }
            return y
        }
        func linear(_ x: [Double], _ module: String) -> [Double] {
            let spec = linearByModule[module]!
            let (inF, outF) = (spec.inFeatures, spec.outFeatures)
            let w = offset(spec.weightName), b = spec.hasBias ? offset(spec.biasName) : -1
            var y = [Double](repeating: 0, count: outF)
            for o in 0..<outF {
                var acc = b >= 0 ? pd[b + o] : 0
                for i in 0..<inF { acc += pd[w + o * inF + i] * x[i] }
                y[o] = acc
            }
            if let lora, let site = lora.site(module) {
                let r = lora.config.rank
                var u = [Double](repeating: 0, count: r)
                for k in 0..<r {
                    for i in 0..<inF { u[k] += Double(lora.parameters[site.aOffset + k * inF + i]) * x[i] }
                }
                for o in 0..<outF {
                    var delta = 0.0
                    for k in 0..<r { delta += Double(lora.parameters[site.bOffset + o * r + k]) * u[k] }
                    y[o] += Double(lora.config.scale) * delta
                }
            }
            return y
        }
        func rope(_ x: [Double], pos: Int) -> [Double] {
            var y = x
            for h in 0..<NH {
                for i in 0..<(hd / 2) {
                    let angle = Double(pos) / pow(config.ropeTheta, Double(2 * i) / Double(hd))
                    let (a, b) = (x[h * hd + i], x[h * hd + i + hd / 2])
                    y[h * hd + i] = a * cos(angle) - b * sin(angle)
                    y[h * hd + i + hd / 2] = b * cos(angle) + a * sin(angle)
                }
            }
            return y
        }

        let emb = offset(layout.tokenEmbeddingName)
        let wpe = gpt2 ? offset("wpe.weight") : -1
        var x: [[Double]] = (0..<T).map { t in
            (0..<C).map { c in pd[emb + tokens[t] * C + c] + (gpt2 ? pd[wpe + t * C + c] : 0) }
        }
        var residuals: [[[Double]]] = [x]
        var allHeads: [[[Double]]] = []
        for l in 0..<config.nLayers {
            let blk = layout.blocks[l]
            let n1 = x.map { norm($0, blk.norm1) }
            var q: [[Double]] = [], k: [[Double]] = [], v: [[Double]] = []
            for t in 0..<T {
                if gpt2 {
                    let qkv = linear(n1[t], blk.qkv[0])
                    q.append(Array(qkv[0..<C])); k.append(Array(qkv[C..<2 * C])); v.append(Array(qkv[2 * C..<3 * C]))
                } else {
                    q.append(rope(linear(n1[t], blk.qkv[0]), pos: t))
                    k.append(rope(linear(n1[t], blk.qkv[1]), pos: t))
                    v.append(linear(n1[t], blk.qkv[2]))
                }
            }
            var heads = [[Double]](repeating: [Double](repeating: 0, count: C), count: T)
            for t in 0..<T {
                for h in 0..<NH {
                    let r = h * hd ..< (h + 1) * hd
                    let scores = (0...t).map { t2 in zip(q[t][r], k[t2][r]).map(*).reduce(0, +) / Double(hd).squareRoot() }
                    let m = scores.max()!
                    let e = scores.map { exp($0 - m) }
                    let z = e.reduce(0, +)
                    for i in 0..<hd {
                        heads[t][h * hd + i] = (0...t).reduce(0.0) { $0 + e[$1] / z * v[$1][h * hd + i] }
                    }
                }
            }
            if let perturbation, perturbation.layer == l {
                for c in 0..<C { heads[perturbation.position][c] += perturbation.delta[c] }
            }
            allHeads.append(heads)
            let mid = (0..<T).map { t in zip(x[t], linear(heads[t], blk.attnOut)).map(+) }
            let n2 = mid.map { norm($0, blk.norm2) }
            x = (0..<T).map { t -> [Double] in
                let act: [Double]
                if gpt2 {
                    act = linear(n2[t], blk.mlpIn[0]).map { u in
                        0.5 * u * (1 + tanh((2 / Double.pi).squareRoot() * (u + 0.044715 * u * u * u)))
                    }
                } else {
                    let g = linear(n2[t], blk.mlpIn[0]), up = linear(n2[t], blk.mlpIn[1])
                    act = zip(g, up).map { $0 / (1 + exp(-$0)) * $1 }
                }
                return zip(mid[t], linear(act, blk.mlpOut)).map(+)
            }
            residuals.append(x)
        }
        let head = offset(layout.lmHeadName)
        let logits = x.map { xt -> [Double] in
            let n = norm(xt, layout.finalNormModule)
            var z = [Double](repeating: 0, count: config.vocabSize)
            for o in 0..<config.vocabSize {
                for c in 0..<C { z[o] += pd[head + o * C + c] * n[c] }
            }
            return z
        }
        return Output(logits: logits, residuals: residuals, heads: allHeads)
    }

    /// Weighted mean cross-entropy of `targets` under `logits` ([T][V]), weights default 1.
    public static func loss(logits: [[Double]], targets: [Int], weights: [Float]? = nil) -> Double {
        var total = 0.0, wsum = 0.0
        for (t, z) in logits.enumerated() {
            let w = Double(weights?[t] ?? 1)
            let m = z.max()!
            let lse = m + log(z.map { exp($0 - m) }.reduce(0, +))
            total += w * (lse - z[targets[t]])
            wsum += w
        }
        return wsum == 0 ? 0 : total / wsum
    }
}
