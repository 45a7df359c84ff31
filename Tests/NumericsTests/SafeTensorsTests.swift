// safetensors reading against files built by hand in Python, round trips through the writer,
// the finite-value validation, and the corpus of malformed files.
import XCTest
@testable import Numerics

final class SafeTensorsTests: XCTestCase {
    func testReadsPythonWrittenFiles() throws {
        let expected = Fixtures.expected["safetensors"] as! [String: [String: Any]]
        for (name, info) in expected {
            let file = try SafeTensorsFile(path: Fixtures.path(name))
            XCTAssertEqual(file.metadata, info["metadata"] as! [String: String], name)
            let tensors = info["tensors"] as! [String: [String: Any]]
            XCTAssertEqual(Set(file.names), Set(tensors.keys))
            for (tname, t) in tensors {
                let entry = try file.info(tname)
                XCTAssertEqual(entry.dtype.rawValue, t["dtype"] as! String)
                XCTAssertEqual(entry.shape, t["shape"] as! [Int])
                let (shape, values) = try file.doubles(tname)
                XCTAssertEqual(shape, entry.shape)
                assertClose(values, t["values"] as! [Double], tolerance: 1e-14, "\(name):\(tname)")  // JSON parsing may be off by an ulp
                let asFloat = try file.tensor(tname)
                assertClose(asFloat.doubles, (t["values"] as! [Double]).map { Double(Float($0)) }, tolerance: 1e-7, tname)
            }
        }
    }

    func testInt64AccessAndWrongDType() throws {
        let file = try SafeTensorsFile(path: Fixtures.path("mixed.safetensors"))
        XCTAssertEqual(try file.int64s("index").data, [7, -3, 1 << 41])
        XCTAssertEqual(try file.int64s("mask").data, [1, 0, 1, 1])
        XCTAssertThrowsError(try file.int64s("weight")) { XCTAssertEqual(caseName($0), "wrongDType") }
        XCTAssertThrowsError(try file.tensor("nope")) { error in
            XCTAssertEqual(caseName(error), "missingTensor")
            XCTAssertTrue("\(error)".contains("weight"), "lists the available names")
        }
    }

    func testBoolTensorsAreWrittenAsBOOLAndU8Reads() throws {
        let bytes = SafeTensors.encode([("mask", .bool(shape: [2, 2], data: [true, false, false, true])),
                                        ("after", .i64(shape: [1], data: [-2]))])
        // The header read by Foundation's parser, the data bytes by position.
        let n = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + n)])) as! [String: [String: Any]]
        XCTAssertEqual(header["mask"]?["dtype"] as? String, "BOOL")
        XCTAssertEqual(header["mask"]?["shape"] as? [Int], [2, 2])
        XCTAssertEqual(header["mask"]?["data_offsets"] as? [Int], [0, 4])
        XCTAssertEqual(header["after"]?["data_offsets"] as? [Int], [4, 12])
        XCTAssertEqual(Array(bytes[(8 + n)..<(8 + n + 4)]), [1, 0, 0, 1])
        let file = try SafeTensorsFile(bytes: bytes)
        XCTAssertEqual(try file.int64s("mask").data, [1, 0, 0, 1])
        XCTAssertEqual(try file.int64s("after").data, [-2])
        // U8, as external writers store 0/1 columns: a header patched from BOOL to "U8  " (same length).
        var patched = bytes
        let text = String(decoding: bytes[8..<(8 + n)], as: UTF8.self).replacingOccurrences(of: #""BOOL""#, with: #""U8"  "#)
        patched.replaceSubrange(8..<(8 + n), with: Array(text.utf8))
        let u8 = try SafeTensorsFile(bytes: patched)
        XCTAssertEqual(try u8.info("mask").dtype, .u8)
        XCTAssertEqual(try u8.int64s("mask").data, [1, 0, 0, 1])
        XCTAssertEqual(try u8.doubles("mask").data, [1, 0, 0, 1])
    }

    func testHalfPrecisionConversionClosedForms() {
        XCTAssertEqual(DType.halfToFloat(0x3C00), 1)
        XCTAssertEqual(DType.halfToFloat(0xC000), -2)
        XCTAssertEqual(DType.halfToFloat(0x7BFF), 65504)
        XCTAssertEqual(DType.halfToFloat(0x0001), Float(sign: .plus, exponent: -24, significand: 1))
        XCTAssertEqual(DType.halfToFloat(0xFC00), -.infinity)
        XCTAssertTrue(DType.halfToFloat(0x7E00).isNaN)
    }

    func testRoundTripWithMetadata() throws {
        let w = Tensor(shape: [3, 2], data: randomFloats(6, seed: 21))
        let tensors: [(name: String, value: SafeTensorValue)] = [
            ("w", .f32(w)), ("d", .f64(shape: [2], data: [Double.leastNormalMagnitude / 4, -3])), ("i", .i64(shape: [1, 2], data: [5, -9])),
            ("e", .f32(Tensor(shape: [0]))),
        ]
        let path = temporaryPath("rt.safetensors")
        try SafeTensors.write(tensors, metadata: ["config": "{\"a\": 1}", "line\nbreak": "é"], to: path)
        let file = try SafeTensorsFile(path: path)
        XCTAssertEqual(file.metadata, ["config": "{\"a\": 1}", "line\nbreak": "é"])
        XCTAssertEqual(try file.tensor("w"), w)
        XCTAssertEqual(try file.doubles("d").data, [Double.leastNormalMagnitude / 4, -3])
        XCTAssertEqual(try file.int64s("i").data, [5, -9])
        XCTAssertEqual(try file.tensor("e").shape, [0])
        let bytes = SafeTensors.encode(tensors)
        let headerLength = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        XCTAssertEqual(headerLength % 8, 0)
        XCTAssertEqual(try SafeTensorsFile(bytes: bytes).names, ["d", "e", "i", "w"])
    }

    func testValidateFiniteReportsTensorAndIndex() throws {
        let info = Fixtures.expected["nan"] as! [String: Any]
        let path = Fixtures.path(info["file"] as! String)
        let file = try SafeTensorsFile(path: path)
        XCTAssertThrowsError(try file.validateFinite()) { error in
            guard case let .nonFinite(p, tensor, index, _) = error as? TensorFileError else { return XCTFail("\(error)") }
            XCTAssertEqual(p, path)
            XCTAssertEqual(tensor, info["tensor"] as! String)
            XCTAssertEqual(index, info["index"] as! [Int])
        }
        XCTAssertNoThrow(try SafeTensorsFile(path: Fixtures.path("mixed.safetensors")).validateFinite())
    }

    func testMalformedFilesGiveNamedErrors() {
        let expected = Fixtures.expected["malformed"] as! [String: String]
        var checked = 0
        for (name, kind) in expected where name.hasSuffix(".safetensors") {
            let path = Fixtures.path("malformed/" + name)
            XCTAssertThrowsError(try SafeTensorsFile(path: path), name) { error in
                XCTAssertEqual(caseName(error), kind, "\(name): \(error)")
                XCTAssertTrue("\(error)".contains(path), "message must name the file: \(error)")
            }
            checked += 1
        }
        XCTAssertEqual(checked, 13)
    }

    func testMessagesNameTheProblem() {
        let overlap = Fixtures.path("malformed/overlap.safetensors")
        XCTAssertThrowsError(try SafeTensorsFile(path: overlap)) {
            XCTAssertEqual("\($0)", "\(overlap): tensors 'x' and 'y' have overlapping data_offsets")
        }
        let mismatch = Fixtures.path("malformed/shape_mismatch.safetensors")
        XCTAssertThrowsError(try SafeTensorsFile(path: mismatch)) {
            XCTAssertEqual("\($0)", "\(mismatch): tensor 'x' with shape [3] needs 12 bytes but has 8")
        }
    }
}
