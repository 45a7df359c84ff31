// Tests for ActivationSet, the one owner of the madpipe-activations/1 layout: the .npy and
// safetensors readers agree, the writer round trips and stores `agreement` as BOOL, the 0/1 row
// columns read from BOOL, I64 and U8, and malformed inputs fail with errors naming the file and
// tensor.
import Foundation
import XCTest
@testable import Numerics

final class ActivationSetTests: XCTestCase {
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

    /// A safetensors image assembled here from its definition (8-byte little-endian header
    /// length, JSON header, raw data), independently of `SafeTensors.encode`.
    func rawSafeTensors(_ entries: [(name: String, dtype: String, shape: [Int], bytes: [UInt8])]) -> [UInt8] {
        var parts: [String] = [], offset = 0, data: [UInt8] = []
        for e in entries {
            parts.append("\"\(e.name)\":{\"dtype\":\"\(e.dtype)\",\"shape\":\(e.shape),\"data_offsets\":[\(offset),\(offset + e.bytes.count)]}")
            offset += e.bytes.count
            data += e.bytes
        }
        let header = Array(("{" + parts.joined(separator: ",") + "}").utf8)
        let out: [UInt8] = (0..<8).map { UInt8((header.count >> (8 * $0)) & 0xFF) }
        return out + header + data
    }

    func int64Bytes(_ v: [Int64]) -> [UInt8] { v.flatMap { x in (0..<8).map { UInt8((UInt64(bitPattern: x) >> (8 * UInt64($0))) & 0xFF) } } }

    func testWriterStoresAgreementAsBOOL() throws {
        try writeNPY(root + "/test")
        try ActivationSet.write(try ActivationSet.read(root: root, split: "test"), root: root + "/out")
        // Read the header with Foundation's parser, not madpipe's.
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: root + "/out/test/activations.safetensors")))
        let n = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + n)])) as! [String: Any]
        let agreement = header["agreement"] as! [String: Any]
        XCTAssertEqual(agreement["dtype"] as? String, "BOOL")
        XCTAssertEqual(agreement["shape"] as? [Int], [3])
        let range = agreement["data_offsets"] as! [Int]
        XCTAssertEqual(Array(bytes[(8 + n + range[0])..<(8 + n + range[1])]), [1, 0, 1])
        for name in ["character", "label", "alice_label", "bob_label"] {
            XCTAssertEqual((header[name] as! [String: Any])["dtype"] as? String, "I64", name)
        }
    }

    func testRowColumnsReadFromBOOLI64AndU8() throws {
        let layer = (0..<6).flatMap { withUnsafeBytes(of: Float($0).bitPattern.littleEndian, Array.init) }
        for (dtype, agreement) in [("BOOL", [UInt8]([1, 0, 1])), ("U8", [1, 0, 1]), ("I64", int64Bytes([1, 0, 1]))] {
            let dir = root + "/" + dtype + "/test"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let image = rawSafeTensors([("layers.0", "F32", [3, 2], layer),
                                        ("character", "I64", [3], int64Bytes([0, 1, 1])), ("label", "U8", [3], [1, 0, 1]),
                                        ("alice_label", "BOOL", [3], [1, 1, 1]), ("bob_label", "I64", [3], int64Bytes([1, 0, 1])),
                                        ("agreement", dtype, [3], agreement)])
            try Data(image).write(to: URL(fileURLWithPath: dir + "/activations.safetensors"))
            let s = try ActivationSet.read(root: root + "/" + dtype, split: "test")
            XCTAssertEqual(s.agreement, [true, false, true], dtype)
            XCTAssertEqual(s.label, [1, 0, 1], dtype)
            XCTAssertEqual(s.aliceLabel, [1, 1, 1], dtype)
            XCTAssertEqual(s.layers[0]!.data, [0, 1, 2, 3, 4, 5], dtype)
        }
        let dir = root + "/F32/test"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Data(rawSafeTensors([("layers.0", "F32", [3, 2], layer), ("character", "I64", [3], int64Bytes([0, 1, 1])),
                                 ("label", "I64", [3], int64Bytes([1, 0, 1])), ("alice_label", "I64", [3], int64Bytes([1, 1, 1])),
                                 ("bob_label", "I64", [3], int64Bytes([1, 0, 1])), ("agreement", "F32", [3], Array(layer[0..<12]))]))
            .write(to: URL(fileURLWithPath: dir + "/activations.safetensors"))
        XCTAssertThrowsError(try ActivationSet.read(root: root + "/F32", split: "test")) { e in
            XCTAssertTrue("\(e)".contains("agreement") && "\(e)".contains("dtype F32, expected BOOL, I64, U8"), "\(e)")
        }
    }
}
