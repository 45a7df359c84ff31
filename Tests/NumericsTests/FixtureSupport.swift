// Helpers shared by the Numerics tests: locating fixtures in the test bundle, loading
// expected.json, and a seeded source of random test data.
import Base
import Foundation
import XCTest
@testable import Numerics

enum Fixtures {
    /// Directory holding the copied Fixtures folder.
    static var directory: URL { Bundle.module.url(forResource: "Fixtures", withExtension: nil)! }
    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
    static var expected: [String: Any] {
        let data = try! Data(contentsOf: directory.appendingPathComponent("expected.json"))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }
}

/// The enum case name of an error (e.g. "truncated"), for matching against fixture labels.
func caseName(_ error: Error) -> String {
    Mirror(reflecting: error).children.first?.label ?? "\(error)"
}

func randomFloats(_ n: Int, seed: UInt64) -> [Float] {
    var rng = SplitMix64(seed: seed)
    return (0..<n).map { _ in Float(rng.nextGaussian()) }
}

func randomDoubles(_ n: Int, seed: UInt64) -> [Double] {
    var rng = SplitMix64(seed: seed)
    return (0..<n).map { _ in rng.nextGaussian() }
}

func temporaryPath(_ name: String) -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("madpipe-numerics-\(getpid())")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent(name).path
}

func assertClose(_ a: [Double], _ b: [Double], tolerance: Double, _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "count differs \(message)", file: file, line: line)
    for (i, (x, y)) in zip(a, b).enumerated() where !(abs(x - y) <= tolerance * max(1, abs(y))) {
        XCTFail("element \(i): \(x) vs \(y) \(message)", file: file, line: line)
        return
    }
}
