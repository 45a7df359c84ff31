// SafeTensorsRowReader against Numerics' whole-file (memory-mapped) reader: row ranges of F32 and
// F64 tensors placed after other tensors, chunked accumulation against one whole batch, and the
// errors for tensors that are not rank-2 floats or rows out of range.
import Base
import XCTest
import Numerics
@testable import Detectors

final class SafeTensorsRowReaderTests: XCTestCase {
    private func writeFile() throws -> String {
        var rng = SplitMix64(seed: 5)
        let a = Tensor(shape: [7, 3], data: (0..<21).map { _ in Float(rng.nextGaussian()) })
        let b = (0..<10).map { _ in rng.nextGaussian() * 3 + 1 }
        let path = tempPath("rows.safetensors")
        try SafeTensors.write([("character", .i64(shape: [7], data: [0, 1, 0, 1, 0, 1, 0])),
                               ("ids", .i64(shape: [2, 2], data: [1, 2, 3, 4])),
                               ("layers.0", .f32(a)),
                               ("layers.1", .f64(shape: [5, 2], data: b))], to: path)
        return path
    }

    func testRowRangesMatchTheMappedReader() throws {
        let path = try writeFile()
        let whole = try SafeTensorsFile(path: path)
        let f32 = try whole.tensor("layers.0"), f64 = try whole.tensor("layers.1")
        let r0 = try SafeTensorsRowReader(path: path, tensor: "layers.0")
        XCTAssertEqual([r0.rows, r0.columns], [7, 3])
        XCTAssertEqual(try r0.read(2..<5).data, Array(f32.data[6..<15]))
        XCTAssertEqual(try r0.read(0..<7).data, f32.data)
        XCTAssertEqual(try r0.read(3..<3).shape, [0, 3])
        let r1 = try SafeTensorsRowReader(path: path, tensor: "layers.1")
        XCTAssertEqual(r1.dtype, .f64)
        XCTAssertEqual(try r1.read(1..<4).data, Array(f64.data[2..<8]))
    }

    func testChunkedAccumulationMatchesOneBatch() throws {
        let path = try writeFile()
        let reader = try SafeTensorsRowReader(path: path, tensor: "layers.0")
        var chunked = CovarianceAccumulator(dimension: 3)
        try reader.accumulate(into: &chunked, chunkRows: 2)
        var whole = CovarianceAccumulator(dimension: 3)
        try whole.add(try SafeTensorsFile(path: path).tensor("layers.0"))
        XCTAssertEqual(chunked.count, 7)
        var byDefault = CovarianceAccumulator(dimension: 3)
        try reader.accumulate(into: &byDefault)
        XCTAssertEqual(byDefault.count, 7)
        assertClose(byDefault.comoment, whole.comoment, relative: 1e-12, absolute: 1e-12)
        assertClose(chunked.mean, whole.mean, relative: 1e-12, absolute: 1e-14)
        assertClose(chunked.comoment, whole.comoment, relative: 1e-12, absolute: 1e-12)
    }

    func testErrors() throws {
        let path = try writeFile()
        XCTAssertThrowsError(try SafeTensorsRowReader(path: path, tensor: "character")) {
            XCTAssertTrue("\($0)".contains("must be [rows, features]"), "\($0)")
        }
        XCTAssertThrowsError(try SafeTensorsRowReader(path: path, tensor: "ids")) { error in
            guard case .wrongDType(_, "ids", _, "I64") = error as? TensorFileError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try SafeTensorsRowReader(path: path, tensor: "layers.9"))
        let reader = try SafeTensorsRowReader(path: path, tensor: "layers.0")
        XCTAssertThrowsError(try reader.read(5..<8)) { XCTAssertTrue("\($0)".contains("0..<7"), "\($0)") }
        var acc = CovarianceAccumulator(dimension: 4)
        XCTAssertThrowsError(try reader.accumulate(into: &acc)) {
            XCTAssertEqual($0 as? DetectorError, .dimensionMismatch(what: "\(path): layers.0", expected: 4, actual: 3))
        }
    }
}
