// Tests for the normalising flow: exact gradients against central finite differences for every
// parameter group, inverse round trips, the density integrating to one (grid quadrature),
// training on a correlated Gaussian, determinism, archives and the two flow detectors.
import Base
import Foundation
import XCTest
import Numerics
@testable import Detectors

final class FlowTests: XCTestCase {
    /// A flow with every parameter drawn from N(0, scale^2) (so no group is trivially zero).
    func randomFlow(_ config: FlowConfig, seed: UInt64, scale: Double = 0.3) throws -> NormalizingFlow {
        var rng = SplitMix64(seed: seed)
        return try NormalizingFlow(config: config, parameters: (0..<config.parameterCount).map { _ in Float(rng.nextGaussian() * scale) })
    }

    func gaussianRows(_ n: Int, _ d: Int, seed: UInt64) -> [Double] {
        var rng = SplitMix64(seed: seed)
        return (0..<(n * d)).map { _ in rng.nextGaussian() }
    }

    func testGradientMatchesFiniteDifferencesForEveryGroup() throws {
        let config = FlowConfig(dimension: 3, layers: 2, hidden: 4, scaleBound: 1.5)
        var flow = try randomFlow(config, seed: 1)
        let rows = gaussianRows(5, 3, seed: 2)
        let analytic = flow.nllAndGradient(rows).gradient
        XCTAssertEqual(config.parameterGroups.count, 12)
        for group in config.parameterGroups {
            XCTAssertFalse(group.range.isEmpty, group.name)
            for i in group.range {
                let p0 = flow.parameters[i], h: Float = 1e-3
                flow.parameters[i] = p0 + h; let up = flow.nllAndGradient(rows).nll; let pu = Double(flow.parameters[i])
                flow.parameters[i] = p0 - h; let down = flow.nllAndGradient(rows).nll; let pd = Double(flow.parameters[i])
                flow.parameters[i] = p0
                let numeric = (up - down) / (pu - pd)
                XCTAssertEqual(analytic[i], numeric, accuracy: 1e-5 + 1e-4 * abs(numeric), "\(group.name)[\(i - group.range.lowerBound)]")
            }
        }
    }

    func testNLLMatchesMeanOfLogDensity() throws {
        let flow = try randomFlow(FlowConfig(dimension: 4, layers: 3, hidden: 5), seed: 3)
        let rows = gaussianRows(7, 4, seed: 4)
        XCTAssertEqual(flow.nllAndGradient(rows).nll, flow.meanNLL(rows), accuracy: 1e-10)
    }

    func testInverseUndoesForward() throws {
        for d in [1, 2, 5] {
            let flow = try randomFlow(FlowConfig(dimension: d, layers: 3, hidden: 6), seed: UInt64(d))
            let rows = gaussianRows(10, d, seed: 9)
            for r in 0..<10 {
                let x = Array(rows[(r * d)..<((r + 1) * d)])
                let z = flow.forward(x)
                XCTAssertNotEqual(z, x)
                let back = flow.inverse(z)
                for i in 0..<d { XCTAssertEqual(back[i], x[i], accuracy: 1e-9) }
            }
        }
    }

    func testDensityIntegratesToOneIn1D() throws {
        let flow = try randomFlow(FlowConfig(dimension: 1, layers: 2, hidden: 4), seed: 5, scale: 0.2)
        let step = 0.005
        var total = 0.0
        for k in -12_000...12_000 { total += Foundation.exp(flow.logDensity([Double(k) * step])) * step }
        XCTAssertEqual(total, 1, accuracy: 2e-3)
    }

    func testDensityIntegratesToOneIn2D() throws {
        let flow = try randomFlow(FlowConfig(dimension: 2, layers: 2, hidden: 4), seed: 6, scale: 0.2)
        let step = 0.1, half = 160
        var total = 0.0
        for a in -half...half {
            for b in -half...half { total += Foundation.exp(flow.logDensity([Double(a) * step, Double(b) * step])) }
        }
        XCTAssertEqual(total * step * step, 1, accuracy: 1e-2)
    }

    /// An untrained flow (identity ActNorm, zero output weights, even number of reversals) is
    /// the identity, so its density is exactly the Laplace(0,1) product density.
    func testUntrainedFlowIsLaplaceClosedForm() throws {
        let flow = try NormalizingFlow(config: FlowConfig(dimension: 3, layers: 2, hidden: 4), seed: 7)
        let x = [0.5, -1.25, 2.0]
        XCTAssertEqual(flow.forward(x), x)
        XCTAssertEqual(flow.logDensity(x), -(0.5 + 1.25 + 2.0) - 3 * Foundation.log(2.0), accuracy: 1e-12)
        let score = try FlowPriorDetector(flow: flow).scores(Matrix64(rows: 1, cols: 3, data: x))
        XCTAssertEqual(score[0], 3.75 + 3 * Foundation.log(2.0), accuracy: 1e-12)
    }

    func correlatedGaussian(_ n: Int, seed: UInt64) -> [Double] {
        var rng = SplitMix64(seed: seed)
        var out = [Double]()
        for _ in 0..<n {
            let a = rng.nextGaussian(), b = rng.nextGaussian()
            out += [3 + 2 * a, -1 + 1.8 * a + 0.5 * b]
        }
        return out
    }

    func testTrainingLowersNLLOnCorrelatedGaussian() throws {
        let train = correlatedGaussian(400, seed: 10), val = correlatedGaussian(200, seed: 11)
        let trainer = FlowTrainer(options: .init(epochs: 8, batchSize: 32, learningRate: 1e-2, seed: 3))
        let result = try trainer.train(config: FlowConfig(dimension: 2, layers: 4, hidden: 8), train: train, validation: val)
        // Entropy of the true Gaussian: covariance [[4, 3.6], [3.6, 3.49]], det = 4*3.49 - 12.96 = 1.
        let trueEntropy = 1 + Foundation.log(2 * Double.pi) + 0.5 * Foundation.log(1.0)
        let initial = result.validationNLL[0], best = result.validationNLL.min()!
        XCTAssertGreaterThan(result.bestEpoch, 0)
        XCTAssertLessThan(best, initial - 0.3, "history \(result.validationNLL)")
        XCTAssertLessThan(best, trueEntropy + 0.35, "history \(result.validationNLL)")
        XCTAssertEqual(result.flow.meanNLL(val), best, accuracy: 1e-12)
    }

    func testTrainingIsDeterministic() throws {
        let train = correlatedGaussian(100, seed: 12)
        let trainer = FlowTrainer(options: .init(epochs: 2, batchSize: 16, learningRate: 1e-2, seed: 4))
        let config = FlowConfig(dimension: 2, layers: 2, hidden: 4)
        let a = try trainer.train(config: config, train: train, validation: [])
        let b = try trainer.train(config: config, train: train, validation: [])
        XCTAssertEqual(a.flow.parameters, b.flow.parameters)
        let c = try FlowTrainer(options: .init(epochs: 2, batchSize: 16, learningRate: 1e-2, seed: 5)).train(config: config, train: train, validation: [])
        XCTAssertNotEqual(a.flow.parameters, c.flow.parameters)
    }

    func testArchiveRoundTripAndFlowMahalanobis() throws {
        let flow = try randomFlow(FlowConfig(dimension: 3, layers: 2, hidden: 4), seed: 8)
        let rows = Matrix64(rows: 40, cols: 3, data: gaussianRows(40, 3, seed: 13))
        let path = tempPath("flow-\(UUID().uuidString).safetensors")
        try FlowArchive.save(FlowPriorDetector(flow: flow), to: path)
        let loaded = try FlowArchive.load(path: path).flow
        XCTAssertEqual(loaded, flow)
        XCTAssertEqual(loaded.config.parameterCount, FlowConfig(dimension: 3, layers: 2, hidden: 4).parameterCount)

        let fm = try FlowMahalanobisDetector.fit(flow: flow, rows: rows)
        // Independent route: Mahalanobis fitted directly on latents computed row by row.
        let z = Matrix64(rows: 40, cols: 3, data: (0..<40).flatMap { flow.forward(rows.row($0)) })
        let direct = try MahalanobisDetector.fit(rows: Tensor(shape: [40, 3], doubles: z.data))
        assertClose(try fm.scores(rows), direct.scoresNaive(z), relative: 1e-5)
        try FlowArchive.save(fm, to: path)
        let back = try FlowArchive.loadFlowMahalanobis(path: path)
        XCTAssertEqual(try back.scores(rows), try fm.scores(rows))
        XCTAssertThrowsError(try FlowArchive.load(path: "/nonexistent/flow.safetensors"))
    }
}
