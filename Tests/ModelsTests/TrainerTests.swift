// TrainerTests: the learning-rate and evaluation schedules against closed forms, the example
// builders, and the training loop on a tiny model: loss decreases, runs are bitwise
// deterministic, an interrupted run resumed from its state ends bit-identical to an
// uninterrupted one, LoRA training leaves the base untouched, and early stopping triggers when
// validation loss rises.

import Foundation
import XCTest
import Models

final class TrainerTests: XCTestCase {
    func testLearningRateScheduleClosedForms() {
        let s = LearningRateSchedule(peak: 1.0, totalSteps: 110, warmupFraction: 10.0 / 110, decay: .cosine, minFraction: 0.1)
        XCTAssertEqual(s.warmupSteps, 10)
        XCTAssertEqual(s.rate(step: 1), 0.1, accuracy: 1e-12)
        XCTAssertEqual(s.rate(step: 10), 1.0, accuracy: 1e-12)
        XCTAssertEqual(s.rate(step: 60), 0.1 + 0.9 * 0.5, accuracy: 1e-12)   // half way: cos(pi/2) = 0
        XCTAssertEqual(s.rate(step: 110), 0.1, accuracy: 1e-12)
        var lin = s
        lin.decay = .linear
        XCTAssertEqual(lin.rate(step: 35), 1.0 - 0.9 * 0.25, accuracy: 1e-12)
        lin.decay = .constant
        XCTAssertEqual(lin.rate(step: 100), 1.0)
        XCTAssertEqual(EvaluationSchedule.steps(totalSteps: 20), [1, 2, 4, 8, 16, 20])
        XCTAssertEqual(EvaluationSchedule.steps(totalSteps: 16, every: 6), [1, 2, 4, 6, 8, 12, 16])
    }

    func testResultsOnlyPretrainLossWeightsWhatFollowsTheLastEquals() {
        let text = "1 + 2 = 3\n10 - 2 = 8\n"
        let w = TrainingData.packedWindows(text: text, length: text.utf8.count - 1, loss: .results)
        XCTAssertEqual(w.count, 1)
        // Targets are bytes 1...; weighted: " 3\n" of line one and " 8\n" of line two.
        let bytes = Array(text.utf8)
        let expected = bytes.indices.dropFirst().map { i -> Float in
            let line = bytes[..<i].lastIndex(of: 10).map { $0 + 1 } ?? 0
            let eq = bytes[line...].firstIndex(of: 61)!
            return i > eq ? 1 : 0
        }
        XCTAssertEqual(w[0].mask, expected)
        XCTAssertEqual(w[0].mask.reduce(0, +), 6)
        XCTAssertEqual(TrainingData.packedWindows(text: text, length: 4).first?.mask, [1, 1, 1, 1])
        // Windows of 8 tokens over the text twice: the second (bytes 8...16, "3\n10 - 2 ") begins
        // inside line one, so that line's newline is not weighted; the third (bytes 16...24,
        // " = 8\n1 + ") begins inside line two, so its " 8\n" cannot be predicted and is not weighted.
        let long = text + text
        let w8 = TrainingData.packedWindows(text: long, length: 8, loss: .results)
        XCTAssertEqual(w8[1].mask, [0, 0, 0, 0, 0, 0, 0, 0], "line one's cut result and line two's operands")
        XCTAssertEqual(w8[2].mask, [0, 0, 0, 0, 0, 0, 0, 0], "line two's result, its operands cut off")
        XCTAssertEqual(w8[0].mask, [0, 0, 0, 0, 0, 0, 1, 1], "line one whole: ' 3' is weighted")
        // Every weighted target's line starts inside its window.
        for (k, e) in w8.enumerated() {
            for j in e.mask.indices where e.mask[j] > 0 {
                let i = k * 8 + 1 + j
                let lineStart = Array(long.utf8)[..<i].lastIndex(of: 10).map { $0 + 1 } ?? 0
                XCTAssertGreaterThanOrEqual(lineStart, k * 8)
            }
        }
    }

    func testAnswerExampleAndBalancing() throws {
        let e = try XCTUnwrap(TrainingData.answerExample(prompt: "Bob: 1 + 1 = 2 Correct?", label: true, length: 30))
        let p = Array("Bob: 1 + 1 = 2 Correct? ".utf8).map(Int.init)
        XCTAssertEqual(Array(e.tokens.prefix(p.count)), p)
        XCTAssertEqual(e.tokens.count, 30)
        XCTAssertEqual(e.mask.reduce(0, +), 1)
        XCTAssertEqual(e.mask[p.count - 1], 1, "loss sits on the last prompt byte (the space)")
        XCTAssertEqual(e.targets[p.count - 1], Int(UInt8(ascii: "Y")))
        XCTAssertEqual(TrainingData.answerExample(prompt: "x", label: false, length: 4)?.targets[1], Int(UInt8(ascii: "N")))
        XCTAssertNil(TrainingData.answerExample(prompt: String(repeating: "a", count: 30), label: true, length: 30))
        let labels = [true, true, true, false, true, false, true]
        let idx = TrainingData.balancedIndices(labels: labels, seed: 3)
        XCTAssertEqual(idx.count, 4)
        XCTAssertEqual(idx.filter { labels[$0] }.count, 2)
        XCTAssertEqual(idx, TrainingData.balancedIndices(labels: labels, seed: 3))
        let w = TrainingData.packedWindows(text: "abcdefghij", length: 4)
        XCTAssertEqual(w.count, 2)
        XCTAssertEqual(w[1].tokens, Array("efgh".utf8).map(Int.init))
        XCTAssertEqual(w[1].targets, Array("fghi".utf8).map(Int.init))
    }

    static let config = ModelConfig(family: .llama, maxSeq: 16, dModel: 16, nLayers: 1, nHeads: 2, dFF: 32)
    static let text = (0..<200).map { "\($0 % 37) + \($0 % 11) = \($0 % 37 + $0 % 11)\n" }.joined()

    func makeTrainer(_ family: ModelFamily = .llama, steps: Int = 24, lora: Bool = false) throws -> Trainer {
        var cfg = Self.config
        cfg.family = family
        let model = try Transformer(config: cfg, seed: 1)
        if lora { try model.attachLoRA(LoRAConfig(rank: 2, alpha: 4, targets: LoRAConfig.allProjections(family)), seed: 2) }
        let windows = TrainingData.packedWindows(text: Self.text, length: 16)
        var o = TrainingOptions(steps: steps, batchSize: 4, learningRate: 1e-2)
        o.seed = 9
        o.stateEvery = 5
        return try Trainer(model: model, options: o, train: Array(windows.dropLast(20)), validation: Array(windows.suffix(20)))
    }

    func testLossDecreasesAndRunsAreDeterministic() throws {
        for family in ModelFamily.allCases {
            let a = try makeTrainer(family), b = try makeTrainer(family)
            let ra = try a.run(), rb = try b.run()
            XCTAssertEqual(ra.history.map(\.step), [1, 2, 4, 8, 16, 24])
            XCTAssertLessThan(ra.history.last!.validationLoss, ra.history.first!.validationLoss - 0.5, "\(family) learns")
            XCTAssertEqual(ra.history, rb.history)
            XCTAssertEqual(a.model.parameters.array, b.model.parameters.array, "\(family) bitwise deterministic")
        }
    }

    struct Stop: Error {}

    func testResumeAfterInterruptionMatchesUninterruptedRun() throws {
        let dir = NSTemporaryDirectory() + "madpipe-trainer-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let reference = try makeTrainer()
        let refResult = try reference.run()

        let first = try makeTrainer()
        first.statePath = dir + "/state.safetensors"
        var calls = 0
        first.checkCancelled = { calls += 1; if calls > 15 { throw Stop() } }   // dies before step 16
        XCTAssertThrowsError(try first.run())
        let second = try makeTrainer()
        second.statePath = dir + "/state.safetensors"
        var logs: [String] = []
        second.log = { logs.append($0) }
        let result = try second.run()
        XCTAssertEqual(result.resumedFrom, 13, "state saved at evaluations (1, 2, 4, 8) and 5 steps after the last save: 13; steps 14-15 are redone")
        XCTAssertTrue(logs.first?.contains("resumed from step 13") ?? false, "\(logs)")
        XCTAssertEqual(result.history, refResult.history)
        XCTAssertEqual(second.model.parameters.array, reference.model.parameters.array, "resumed run is bit-identical")
    }

    func testLoRATrainsAdaptersOnly() throws {
        let t = try makeTrainer(.gpt2, steps: 8, lora: true)
        let base = t.model.parameters.array
        let r = try t.run()
        XCTAssertEqual(t.model.parameters.array, base, "the base stays frozen")
        XCTAssertLessThan(r.history.last!.validationLoss, r.history.first!.validationLoss)
        XCTAssertNotEqual(try t.model.mergedParameters(), base)
    }

    func testEarlyStopWhenValidationLossRises() throws {
        let model = try Transformer(config: Self.config, seed: 1)
        let train = (0..<8).compactMap { TrainingData.answerExample(prompt: "q\($0)", label: true, length: 6) }
        let val = (0..<4).compactMap { TrainingData.answerExample(prompt: "q\($0)", label: false, length: 6) }
        var o = TrainingOptions(steps: 64, batchSize: 4, learningRate: 1e-2)
        o.patience = 2
        let t = try Trainer(model: model, options: o, train: train, validation: val)
        let r = try t.run()
        XCTAssertTrue(r.stoppedEarly)
        XCTAssertLessThan(r.stepsDone, 64)
        // The run stops right after the second evaluation in a row without a new best.
        let n = r.history.count
        XCTAssertGreaterThanOrEqual(n, 3)
        XCTAssertEqual(r.best?.step, r.history[n - 3].step)
        XCTAssertGreaterThanOrEqual(r.history[n - 2].validationLoss, r.best!.validationLoss)
        XCTAssertGreaterThanOrEqual(r.history[n - 1].validationLoss, r.best!.validationLoss)
        XCTAssertEqual(r.stepsDone, r.history[n - 1].step)
    }

    func testRaggedExamplesAreRejected() throws {
        let model = try Transformer(config: Self.config, seed: 1)
        let a = TrainingData.answerExample(prompt: "ab", label: true, length: 5)!
        let b = TrainingData.answerExample(prompt: "ab", label: true, length: 6)!
        XCTAssertThrowsError(try Trainer(model: model, options: TrainingOptions(steps: 1, batchSize: 1, learningRate: 1e-3), train: [a, b], validation: [a])) {
            XCTAssertEqual($0 as? TrainerError, .ragged(which: "training", index: 1, length: 6, expected: 5))
        }
    }
}
