// Tests for ActivationSet: the .npy and safetensors readers agree, the canonical writer round
// trips, and malformed inputs fail with errors naming the file and tensor.
import Foundation
import XCTest
import Numerics
@testable import Stages

final class DetectorActivationSetTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "madpipe-actset-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root + "/test", withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: root) }

    func writeNPY(_ dir: String, layer1: NPYArray = NPYArray(shape: [3, 2], storage: .float64([1, 2, 3, 4, 5, 6]))) throws {
        try NPY.write(NPYArray(shape: [3, 2], storage: .float32([0, 1, 0, 1, 0, 1])), to: dir + "/layers.0.npy")
        try NPY.write(layer1, to: dir + "/layers.1.npy")
        try NPY.write(NPYArray(shape: [3], storage: .int64([0, 1, 1])), to: dir + "/character.npy")
        try NPY.write(NPYArray(shape: [3], storage: .int64([1, 0, 1])), to: dir + "/label.npy")
        try NPY.write(NPYArray(shape: [3], storage: .int64([1, 1, 1])), to: dir + "/alice_label.npy")
        try NPY.write(NPYArray(shape: [3], storage: .int64([1, 0, 1])), to: dir + "/bob_label.npy")
        try NPY.write(NPYArray(shape: [3], storage: .bool([true, false, true])), to: dir + "/agreement.npy")
        try Data(#"{"model": "m", "layers": 2}"#.utf8).write(to: URL(fileURLWithPath: dir + "/metadata.json"))
    }

    func testNPYAndCanonicalSafeTensorsAgree() throws {
        try writeNPY(root + "/test")
        let a = try ActivationSet.read(root: root, split: "test")
        XCTAssertEqual(a.layerIndices, [0, 1])
        XCTAssertEqual(a.layers[1]!.data, [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(a.character, [0, 1, 1])
        XCTAssertEqual(a.agreement, [true, false, true])
        XCTAssertEqual(a.metadata["model"], "m")
        try ActivationSet.write(a, root: root + "/out")
        var b = try ActivationSet.read(root: root + "/out", split: "test")
        XCTAssertEqual(b.metadata["format"], "madpipe-activations/1")
        XCTAssertEqual(b.metadata["layers"], "2")
        b.metadata = a.metadata
        XCTAssertEqual(a, b)
        XCTAssertEqual(ActivationSet.splitNames(in: root + "/out"), ["test"])
    }

    func testNonFiniteFeatureIsNamed() throws {
        try writeNPY(root + "/test", layer1: NPYArray(shape: [3, 2], storage: .float64([1, 2, .infinity, 4, 5, 6])))
        XCTAssertThrowsError(try ActivationSet.read(root: root, split: "test")) { e in
            let text = "\(e)"
            XCTAssertTrue(text.contains("split 'test'") && text.contains("layers.1") && text.contains("infinity at row 1, column 0"), text)
        }
    }

    func testRowCountMismatchAndBadCharacter() throws {
        try writeNPY(root + "/test", layer1: NPYArray(shape: [2, 3], storage: .float64([1, 2, 3, 4, 5, 6])))
        XCTAssertThrowsError(try ActivationSet.read(root: root, split: "test")) { e in
            XCTAssertTrue("\(e)".contains("layers.1") && "\(e)".contains("expected [3, d]"), "\(e)")
        }
        try writeNPY(root + "/test")
        try NPY.write(NPYArray(shape: [3], storage: .int64([0, 2, 1])), to: root + "/test/character.npy")
        XCTAssertThrowsError(try ActivationSet.read(root: root, split: "test")) { e in
            XCTAssertTrue("\(e)".contains("character") && "\(e)".contains("value 2 at row 1"), "\(e)")
        }
        try NPY.write(NPYArray(shape: [3], storage: .float32([0, 1, 1])), to: root + "/test/character.npy")
        XCTAssertThrowsError(try ActivationSet.read(root: root, split: "test")) { e in
            XCTAssertTrue("\(e)".contains("character.npy") && "\(e)".contains("expected int64"), "\(e)")
        }
    }

    func testMissingSplitAndLayerSelection() throws {
        XCTAssertThrowsError(try ActivationSet.read(root: root, split: "trusted")) { e in
            XCTAssertTrue("\(e)".contains("split directory not found") && "\(e)".contains("present: test"), "\(e)")
        }
        XCTAssertEqual(try ActivationSet.selectLayers(["all"], available: [0, 1, 2], path: root), [0, 1, 2])
        XCTAssertEqual(try ActivationSet.selectLayers(["2", "0"], available: [0, 1, 2], path: root), [2, 0])
        XCTAssertThrowsError(try ActivationSet.selectLayers(["5"], available: [0, 1], path: root)) { e in
            XCTAssertTrue("\(e)".contains("layer '5' not available"), "\(e)")
        }
    }
}
