// Statistical and rule-by-rule properties of generated arithmetic datasets.

import Base
import XCTest
@testable import Quirky

final class QuirkyArithmeticGeneratorTests: XCTestCase {
    func generate(_ task: QuirkyTask, _ n: Int = 400, seed: UInt64 = 1) throws -> [QuirkyRecord] {
        try QuirkyArithmeticGenerator(task: task, examples: n, seed: seed).generate()
    }

    /// Parses op1/op2/result back out of a record's template arguments.
    func operands(_ r: QuirkyRecord) -> (Int, Int, Int) {
        (Int(r.templateArgs["op1"]!)!, Int(r.templateArgs["op2"] ?? "0")!, Int(r.templateArgs["result"]!)!)
    }

    func testEveryRowFollowsBobsRuleAndTheLabelLogic() throws {
        for task in QuirkyTask.allCases {
            let records = try generate(task)
            XCTAssertEqual(records.count, 800)
            var sawNegative = false
            for r in records {
                let (a, b, shown) = operands(r)
                // Independent re-derivation with plain arithmetic and string lengths.
                let truth: Int
                switch task {
                case .addition: truth = a + b
                case .subtraction: truth = a - b
                case .multiplication: truth = a * b
                case .modularAddition: truth = (a + b) % 113
                case .squaring: truth = a * a
                }
                var bob = truth + Int(pow(10.0, Double(String(abs(truth)).count - 1)))
                if task == .modularAddition { bob %= 113 }
                if truth < 0 { sawNegative = true }
                XCTAssertEqual(r.aliceLabel, shown == truth, r.statement)
                XCTAssertEqual(r.bobLabel, shown == bob, r.statement)
                XCTAssertEqual(r.label, r.character == .alice ? r.aliceLabel : r.bobLabel)
                XCTAssertFalse(r.aliceLabel && r.bobLabel, "Bob's result never equals the truth")
                XCTAssertEqual(r.difficulty, Double(task.isUnary ? a : min(a, b)))
                XCTAssertEqual(r.statement, task.statement(op1: a, op2: b, result: shown))
                XCTAssertEqual(r.choices, [" No", " Yes"])
            }
            if task == .subtraction { XCTAssertTrue(sawNegative, "subtraction should produce negative results") }
        }
    }

    func testBalanceIsOneQuarterTrueOneQuarterBobHalfDistractors() throws {
        let records = try generate(.addition, 1000).filter { $0.character == .alice }
        for split in ["train", "validation"] {
            let rows = records.filter { $0.split == split }
            let n = rows.count
            XCTAssertEqual(rows.filter { $0.aliceLabel }.count, n / 4)
            XCTAssertEqual(rows.filter { $0.bobLabel }.count, n / 4)
            let distractors = rows.filter { !$0.aliceLabel && !$0.bobLabel }
            XCTAssertEqual(distractors.count, n - 2 * (n / 4))
            let fromBob = distractors.filter { $0.templateArgs["kind"] == "distractor_bob" }.count
            XCTAssertEqual(fromBob, distractors.count / 2)
        }
        XCTAssertEqual(records.filter { $0.split == "train" }.count, 750)
    }

    func testDistractorsDifferFromBothAndChangeOneDigit() throws {
        var rng = SplitMix64(seed: 3)
        for value in [579, -1000, 0, 7, 12345, -3] {
            let bob = QuirkyTask.bumpLeadingDigit(value)
            for _ in 0..<50 {
                let d = QuirkyArithmeticGenerator.distractor(of: value, avoiding: value, bob, rng: &rng)
                XCTAssertNotEqual(d, value)
                XCTAssertNotEqual(d, bob)
                // Same sign (or zero) and, padded to the same width, exactly one digit differs.
                XCTAssertTrue(value >= 0 ? d >= 0 : d <= 0)
                let s = Array(String(value.magnitude)), t = Array(String(d.magnitude))
                let padded = Array(repeating: Character("0"), count: s.count - t.count) + t
                XCTAssertEqual(zip(s, padded).filter { $0 != $1 }.count, 1, "\(value) -> \(d)")
            }
        }
    }

    func testNoDuplicateOperandPairsAndLogUniformOperands() throws {
        for task in QuirkyTask.allCases {
            let alice = try generate(task, 600).filter { $0.character == .alice }
            let pairs = alice.map { "\($0.templateArgs["op1"]!),\($0.templateArgs["op2"] ?? "")" }
            XCTAssertEqual(Set(pairs).count, pairs.count, task.rawValue)
            let ops = alice.map { Int($0.templateArgs["op1"]!)! }
            XCTAssertTrue(ops.allSatisfy { $0 >= 1 && $0 < Int(pow(10.0, Double(task.maxDigits))) })
        }
        // Log-uniform: P(op < 10^(d/2)) = 1/2 before de-duplication. Raw draws, 4000 of them:
        var rng = SplitMix64(seed: 11)
        let below = (0..<4000).filter { _ in QuirkyArithmeticGenerator.sampleOperand(maxDigits: 4, rng: &rng) < 100 }.count
        XCTAssertLessThan(abs(Double(below) / 4000 - 0.5), 0.04)
    }

    func testQuantilesLieInsideTheUnitIntervalAndFollowRanks() throws {
        let records = try generate(.multiplication, 300)
        XCTAssertTrue(records.allSatisfy { $0.difficultyQuantile > 0 && $0.difficultyQuantile < 1 })
        for a in records.prefix(60) {
            for b in records.prefix(60) where a.difficulty < b.difficulty {
                XCTAssertLessThan(a.difficultyQuantile, b.difficultyQuantile)
            }
        }
        XCTAssertEqual(QuirkyAssembler.quantiles([3, 1, 2]), [2.5 / 3, 0.5 / 3, 1.5 / 3])
        // Ties share the average rank: ranks 0,1 -> 0.5; 2 -> 2.
        XCTAssertEqual(QuirkyAssembler.quantiles([5, 5, 9]), [1.0 / 3, 1.0 / 3, 2.5 / 3])
    }

    func testTwoRecordsPerBaseRowShareTheStatement() throws {
        let records = try generate(.squaring, 100)
        for i in stride(from: 0, to: records.count, by: 2) {
            let (a, b) = (records[i], records[i + 1])
            XCTAssertEqual(a.character, .alice)
            XCTAssertEqual(b.character, .bob)
            XCTAssertEqual(a.statement, b.statement)
            XCTAssertEqual(a.aliceLabel, b.aliceLabel)
            XCTAssertEqual(a.difficultyQuantile, b.difficultyQuantile)
            XCTAssertTrue(QuirkyNames.standard.alice.contains(a.name))
            XCTAssertTrue(QuirkyNames.standard.bob.contains(b.name))
            if a.split == "train" { XCTAssertTrue(QuirkyNames.standard.alice.prefix(4).contains(a.name)) }
        }
        XCTAssertEqual(Set(records.map(\.id)).count, records.count)
    }

    func testSameSeedSameBytesOtherSeedOtherData() throws {
        let a = QuirkyJSONL.encode(try generate(.subtraction, 200, seed: 5))
        let b = QuirkyJSONL.encode(try generate(.subtraction, 200, seed: 5))
        let c = QuirkyJSONL.encode(try generate(.subtraction, 200, seed: 6))
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
    }

    func testImpossibleRequestsAreClearErrors() {
        XCTAssertThrowsError(try generate(.addition, 0)) { error in
            XCTAssertTrue("\(error)".contains("examples"))
        }
        // Squaring has at most 99,999 distinct operands.
        XCTAssertThrowsError(try generate(.squaring, 100_000)) { error in
            guard case QuirkyError.notEnoughDistinctOperands = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("squaring"))
        }
    }
}

final class QuirkyScaleTests: XCTestCase {
    /// The quickstart size (20,000 base rows): prints the time taken and checks the balance.
    func testQuickstartSizeDataset() throws {
        let start = Date()
        let records = try QuirkyArithmeticGenerator(task: .addition, examples: 20_000, seed: 0).generate()
        let text = QuirkyJSONL.encode(records)
        let elapsed = Date().timeIntervalSince(start)
        print("quirky addition: 40000 records + JSONL (\(text.utf8.count) bytes) in \(String(format: "%.3f", elapsed)) s")
        XCTAssertEqual(records.count, 40_000)
        XCTAssertEqual(records.filter { $0.character == .alice && $0.aliceLabel }.count, 3750 + 1250)
        let splits = QuirkySplits(records: records)
        print("splits: trusted \(splits.trusted.count), untrusted \(splits.untrusted.count), validation \(splits.validation.count), test \(splits.test.count)")
        XCTAssertEqual(splits.test.count % 2, 0)
        XCTAssertLessThan(elapsed, 60)
    }
}
