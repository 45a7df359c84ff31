// QuirkyBobRuleTests: the truthful twin (QuirkyBobRule.truthful, QuirkySplits(records:rule:)):
// the quirky dataset's records with Bob telling the truth, and splits that select the quirky
// dataset's rows (the test split: the same prompts in the same order, which compare-twins pairs),
// except validation, which is balanced on the twin's own labels.

import XCTest
@testable import Quirky

final class QuirkyBobRuleTests: XCTestCase {
    let config = QuirkySplitConfig(cap: 300, seed: 4)

    func records() throws -> [QuirkyRecord] {
        try QuirkyArithmeticGenerator(task: .addition, examples: 3000, seed: 2, maxDigits: 3).generate()
    }

    func testTruthfulRuleGivesBobAlicesLabelAndChangesNothingElse() throws {
        let quirky = try records()
        let twin = quirky.map(QuirkyBobRule.truthful.apply)
        // Non-vacuous: the quirky dataset has Bob records whose label is not the truth.
        XCTAssertTrue(quirky.contains { $0.character == .bob && $0.label != $0.aliceLabel })
        for (q, t) in zip(quirky, twin) {
            XCTAssertEqual(t.bobLabel, q.aliceLabel)
            XCTAssertEqual(t.label, q.aliceLabel)
            XCTAssertTrue(t.agreement)
            var restored = t
            restored.bobLabel = q.bobLabel
            restored.label = q.label
            XCTAssertEqual(restored, q, "only the labels change")
        }
        XCTAssertEqual(quirky.map(QuirkyBobRule.quirky.apply), quirky)
    }

    func testTwinSplitsSelectTheQuirkyRowsAndBalanceValidationOnTheirOwnLabels() throws {
        let quirky = try records()
        let q = QuirkySplits(records: quirky, config: config)
        XCTAssertEqual(QuirkySplits(records: quirky, rule: .quirky, config: config), q)
        let t = QuirkySplits(records: quirky, rule: .truthful, config: config)
        XCTAssertFalse(q.test.isEmpty)
        XCTAssertEqual(t.test.map(\.id), q.test.map(\.id))
        XCTAssertEqual(t.test.map(\.name), q.test.map(\.name))
        XCTAssertEqual(t.test.map(\.statement), q.test.map(\.statement))
        XCTAssertEqual(t.trusted.map(\.id), q.trusted.map(\.id))
        XCTAssertEqual(t.untrusted.map(\.id), q.untrusted.map(\.id))
        XCTAssertTrue((t.test + t.untrusted + t.validation).allSatisfy { $0.bobLabel == $0.aliceLabel && $0.label == $0.aliceLabel })
        // Validation is balanced on the twin's labels (the quirky selection, relabelled, is not).
        XCTAssertEqual(t.validation.filter(\.label).count * 2, t.validation.count)
        let relabelled = q.validation.map(QuirkyBobRule.truthful.apply)
        XCTAssertNotEqual(relabelled.filter(\.label).count * 2, relabelled.count)
    }
}
