// SAETrainer: fits a SparseAutoencoder with Adam on seeded shuffled mini-batches, projecting
// the decoder gradient off each row and renormalising the rows after every step, with the
// optional AuxK loss on latents that have not fired for a while. Gradient buffers are reused
// across steps and the Adam update of the two m×d weight arrays is split over the cores.
import Base
import Dispatch
import Foundation
import Numerics

/// Training settings and the training loop of a top-k SAE.
public struct SAETrainer {
    /// Number of latents m.
    public var latentCount: Int
    /// Active latents kept per row.
    public var k: Int
    /// Adam step size.
    public var learningRate: Float = 1e-3
    /// Rows per mini-batch.
    public var batchSize: Int = 256
    /// Passes over the data.
    public var epochs: Int = 10
    /// Seed of the initialisation and the batch shuffling.
    public var seed: UInt64 = 0
    /// Weight of the AuxK loss (0 disables it; Gao et al. use 1/32).
    public var auxKCoefficient: Float = 0
    /// Dead latents used per row by AuxK (nil: half the input dimension).
    public var auxK: Int? = nil
    /// A latent is dead once this many training rows have passed since it last fired
    /// (nil: one epoch).
    public var deadAfterRows: Int? = nil

    /// Creates training settings.
    public init(latentCount: Int, k: Int, learningRate: Float = 1e-3, batchSize: Int = 256, epochs: Int = 10, seed: UInt64 = 0) {
        self.latentCount = latentCount; self.k = k; self.learningRate = learningRate
        self.batchSize = batchSize; self.epochs = epochs; self.seed = seed
    }

    /// Trains on rows `x` (n×d); returns the model and the FVU of each epoch (mean over batches).
    /// `initial` replaces the default initialisation (its shapes must match).
    public func train(_ x: Tensor, initial: SparseAutoencoder? = nil) throws -> (model: SparseAutoencoder, fvuPerEpoch: [Double]) {
        guard x.rank == 2, x.shape[0] >= 2 else {
            throw DetectorError.tooFewSamples(what: "SAE training", needed: 2, actual: x.rank == 2 ? x.shape[0] : 0)
        }
        guard k >= 1 && k <= latentCount else {
            throw DetectorError.invalidParameter(name: "k", value: "\(k)", reason: "must lie in 1...\(latentCount) (the latent count)")
        }
        let n = x.shape[0], d = x.shape[1]
        let mean = x.mean(axis: 0).data
        var model = initial ?? SparseAutoencoder(inputDimension: d, latentCount: latentCount, k: k, dataMean: mean, seed: seed)
        guard model.inputDimension == d, model.latentCount == latentCount else {
            throw DetectorError.invalidParameter(name: "initial model", value: "\(model.latentCount)x\(model.inputDimension)",
                                                 reason: "must be \(latentCount)x\(d)")
        }
        let kAux = max(1, min(auxK ?? d / 2, latentCount))
        let deadAfter = deadAfterRows ?? n
        var rowsSinceFired = [Int](repeating: 0, count: latentCount)
        let adam = AdamW(learningRate: learningRate)
        // Adam moment buffers (m, v) for each parameter group.
        var mEncW = [Float](repeating: 0, count: latentCount * d), vEncW = mEncW
        var mEncB = [Float](repeating: 0, count: latentCount), vEncB = mEncB
        var mDecW = mEncW, vDecW = mEncW
        var mDecB = [Float](repeating: 0, count: d), vDecB = mDecB
        var rng = SplitMix64(seed: seed &+ 1)
        var step = 0
        var history: [Double] = []
        // Gradient buffers reused from step to step (their m×d weight arrays are the largest).
        var g = SparseAutoencoder.Gradients(encoderWeights: Tensor(shape: [0]), encoderBias: [],
                                            decoderWeights: Tensor(shape: [0]), decoderBias: [])
        for _ in 0..<epochs {
            var order = Array(0..<n)
            rng.shuffle(&order)
            var total = 0.0, batches = 0
            var start = 0
            while start + 1 < n {
                let rows = order[start..<min(start + batchSize, n)]
                start += batchSize
                var batch = Tensor(shape: [rows.count, d])
                for (r, i) in rows.enumerated() { for j in 0..<d { batch.data[r * d + j] = x.data[i * d + j] } }
                let f = model.forward(batch)
                model.backward(batch, f, into: &g)
                // Track when each latent last fired.
                var firedNow = [Bool](repeating: false, count: latentCount)
                for i in 0..<f.codes.count where f.codes.data[i] > 0 { firedNow[i % latentCount] = true }
                for j in 0..<latentCount { rowsSinceFired[j] = firedNow[j] ? 0 : rowsSinceFired[j] + rows.count }
                if auxKCoefficient > 0 {
                    let dead = rowsSinceFired.map { $0 >= deadAfter }
                    if dead.contains(true) {
                        var residual = batch
                        for i in 0..<residual.count { residual.data[i] -= f.reconstruction.data[i] }
                        let aux = model.auxK(batch, residual: residual, dead: dead, kAux: kAux).gradients
                        let c = auxKCoefficient
                        for i in 0..<g.encoderWeights.count { g.encoderWeights.data[i] += c * aux.encoderWeights.data[i] }
                        for i in 0..<g.decoderWeights.count { g.decoderWeights.data[i] += c * aux.decoderWeights.data[i] }
                        for i in 0..<g.encoderBias.count { g.encoderBias[i] += c * aux.encoderBias[i] }
                        for i in 0..<g.decoderBias.count { g.decoderBias[i] += c * aux.decoderBias[i] }
                    }
                }
                model.projectDecoderGradient(&g.decoderWeights)
                step += 1
                SAETrainer.adamStep(adam, params: &model.encoderWeights.data, grads: g.encoderWeights.data, m: &mEncW, v: &vEncW, t: step)
                adam.step(params: &model.encoderBias, grads: g.encoderBias, m: &mEncB, v: &vEncB, count: latentCount, t: step)
                SAETrainer.adamStep(adam, params: &model.decoderWeights.data, grads: g.decoderWeights.data, m: &mDecW, v: &vDecW, t: step)
                adam.step(params: &model.decoderBias, grads: g.decoderBias, m: &mDecB, v: &vDecB, count: d, t: step)
                SparseAutoencoder.normaliseRows(&model.decoderWeights.data, rows: latentCount, cols: d)
                total += f.fvu; batches += 1
            }
            history.append(total / Double(max(batches, 1)))
        }
        return (model, history)
    }

    /// One Adam update of a large parameter array, split into contiguous slices (multiples of 16
    /// elements) updated on the available cores. The update is element-wise, so the result does
    /// not depend on the split.
    static func adamStep(_ adam: AdamW, params: inout [Float], grads: [Float], m: inout [Float], v: inout [Float], t: Int) {
        let count = params.count
        precondition(grads.count == count && m.count == count && v.count == count, "Adam buffers differ in length")
        guard count > 0 else { return }
        let slices = count >= 1 << 16 ? max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8)) : 1
        let per = (count / slices + 15) / 16 * 16
        params.withUnsafeMutableBufferPointer { p in
            grads.withUnsafeBufferPointer { g in
                m.withUnsafeMutableBufferPointer { pm in
                    v.withUnsafeMutableBufferPointer { pv in
                        let (pp, gg, mm, vv) = (p.baseAddress!, g.baseAddress!, pm.baseAddress!, pv.baseAddress!)
                        DispatchQueue.concurrentPerform(iterations: slices) { s in
                            let start = s * per, end = min(count, start + per)
                            guard start < end else { return }
                            adam.step(params: pp + start, grads: gg + start, m: mm + start, v: vv + start, count: end - start, t: t)
                        }
                    }
                }
            }
        }
    }
}
