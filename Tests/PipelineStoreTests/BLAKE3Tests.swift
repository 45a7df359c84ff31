// BLAKE3 against the reference implementation (fixtures from b3sum, written by
// scripts/fixtures/blake3_fixtures.py), streaming against one-shot hashing, and the 8-lane
// kernels against the scalar reference compression.

import Foundation
import XCTest
@testable import PipelineStore

final class BLAKE3Tests: XCTestCase {
    struct Case: Decodable { let length: Int; let blake3: String }
    struct Fixture: Decodable { let cases: [Case] }

    func fixture() throws -> [Case] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil)).appendingPathComponent("blake3.json")
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url)).cases
    }

    func input(_ n: Int) -> [UInt8] { (0..<n).map { UInt8($0 % 251) } }

    func testMatchesReferenceImplementation() throws {
        let cases = try fixture()
        XCTAssertGreaterThan(cases.count, 30)
        for c in cases {
            let bytes = input(c.length)
            for threads in [1, 2] {
                for kernel in [BLAKE3.Kernel.swift, .best] {
                    var h = BLAKE3Hasher(threads: threads, kernel: kernel)
                    h.update(contentsOf: bytes)
                    XCTAssertEqual(h.finalizeHex(), c.blake3, "length \(c.length), \(threads) threads, \(kernel) kernel")
                }
            }
        }
    }

    func testScalarCompressionMatchesTheSpecificationsForm() {
        var x: UInt32 = 0x1234_5678
        func next() -> UInt32 { x ^= x << 13; x ^= x >> 17; x ^= x << 5; return x }
        for trial in 0..<200 {
            let cv = BLAKE3.CV((0..<8).map { _ in next() }), block = SIMD16<UInt32>((0..<16).map { _ in next() })
            let counter = UInt64(next()) << 32 | UInt64(next()), length = next() % 65, flags = next() % 16
            XCTAssertEqual(BLAKE3.compress(cv: cv, block: block, counter: counter, length: length, flags: flags),
                           BLAKE3.referenceCompress(cv: cv, block: block, counter: counter, length: length, flags: flags), "trial \(trial)")
        }
    }

    func testNativeKernelsArePickedWhereTheCPUHasThem() throws {
        let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        guard flags.contains(" avx2") else { throw XCTSkip("no AVX2 on this CPU") }
        XCTAssertEqual(BLAKE3.Kernel.best, .native)
        XCTAssertEqual(BLAKE3.Kernel.native.lanes, flags.contains(" avx512f") ? 16 : 8)
    }

    func testStreamingInPiecesEqualsOneShot() throws {
        // Piece sizes that end inside blocks, on chunk edges and past whole subtrees.
        let sizes = [1, 63, 1024, 4999, 3 << 20, 70, 8192, 1_000_003, 2048, 65]
        for c in try fixture() where c.length > 1000 {
            let bytes = input(c.length)
            var h = BLAKE3Hasher(threads: 2)
            var at = 0, piece = c.length % sizes.count
            while at < bytes.count {
                let end = min(bytes.count, at + sizes[piece % sizes.count])
                piece += 1
                bytes[at..<end].withUnsafeBytes { h.update($0) }
                at = end
            }
            XCTAssertEqual(h.finalizeHex(), c.blake3, "length \(c.length) in pieces")
        }
    }

    func testManyLaneKernelsMatchScalarReference() {
        let kernels: [BLAKE3.Kernel] = BLAKE3.Kernel.best == .native ? [.swift, .native] : [.swift]
        for kernel in kernels { checkKernel(kernel) }
    }

    func checkKernel(_ kernel: BLAKE3.Kernel) {
        let lanes = kernel.lanes
        let data = (0..<(lanes * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ ($0 >> 7)) }
        // A counter that crosses 2^32 inside the lanes checks the high counter word.
        for counter: UInt64 in [0, 5, 0xFFFF_FFFC] {
            var fast = [UInt32](repeating: 0, count: 8 * lanes)
            data.withUnsafeBytes { p in fast.withUnsafeMutableBufferPointer { kernel.chunks(p.baseAddress!, count: lanes, counter: counter, out: $0.baseAddress!) } }
            for lane in 0..<lanes {
                let slow = data.withUnsafeBytes { BLAKE3.chunkCV($0.baseAddress! + lane * 1024, counter: counter + UInt64(lane)) }
                XCTAssertEqual(Array(fast[(lane * 8)..<(lane * 8 + 8)]), (0..<8).map { slow[$0] }, "\(kernel) chunk lane \(lane), counter \(counter)")
            }
        }
        let children = (0..<(16 * lanes)).map { UInt32(truncatingIfNeeded: $0 &* 0x9E37_79B9) }
        var parents = [UInt32](repeating: 0, count: 8 * lanes)
        children.withUnsafeBufferPointer { c in parents.withUnsafeMutableBufferPointer { kernel.parents(c.baseAddress!, count: lanes, out: $0.baseAddress!) } }
        for lane in 0..<lanes {
            let left = BLAKE3.CV((0..<8).map { children[lane * 16 + $0] }), right = BLAKE3.CV((0..<8).map { children[lane * 16 + 8 + $0] })
            let slow = BLAKE3.parentCV(left, right)
            XCTAssertEqual(Array(parents[(lane * 8)..<(lane * 8 + 8)]), (0..<8).map { slow[$0] }, "\(kernel) parent lane \(lane)")
        }
    }
}
