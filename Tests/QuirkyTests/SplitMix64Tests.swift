// Tests of the seeded PRNG: published reference outputs, ranges and determinism.

import Base
import XCTest
@testable import Quirky

final class SplitMix64Tests: XCTestCase {
    func testMatchesPublishedSequenceForSeedZero() {
        // First outputs of Vigna's reference splitmix64.c with x = 0.
        var rng = SplitMix64(seed: 0)
        XCTAssertEqual(rng.next(), 0xE220_A839_7B1D_CDAF)
        XCTAssertEqual(rng.next(), 0x6E78_9E6A_A1B9_65F4)
    }

    func testUnitAndBoundedIntsStayInRange() {
        var rng = SplitMix64(seed: 42)
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<7000 {
            let u = rng.nextUniform()
            XCTAssertTrue(u >= 0 && u < 1)
            counts[rng.nextInt(below: 7)] += 1
        }
        // Each bucket expects 1000; 5 sigma is about 150.
        for c in counts { XCTAssertLessThan(abs(c - 1000), 150) }
    }

    func testShuffleIsAPermutationAndDeterministic() {
        var a = SplitMix64(seed: 7), b = SplitMix64(seed: 7)
        var x = Array(0..<50), y = Array(0..<50)
        a.shuffle(&x)
        b.shuffle(&y)
        XCTAssertEqual(x, y)
        XCTAssertNotEqual(x, Array(0..<50))
        XCTAssertEqual(x.sorted(), Array(0..<50))
    }
}
