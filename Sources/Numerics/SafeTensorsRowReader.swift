// SafeTensorsRowReader: reads row ranges of one rank-2 float tensor of a safetensors file with
// pread into a fresh chunk-sized buffer, so a file far larger than memory can be streamed (into
// Detectors' CovarianceAccumulator, say). (Reading through the whole-file memory map instead keeps every touched
// page of the file resident, and those pages count towards the process's resident set.)
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Row-range reads of one `[rows, columns]` F32, F64, F16 or BF16 tensor of a safetensors file.
public struct SafeTensorsRowReader {
    /// The file read.
    public let path: String
    /// The tensor read.
    public let tensor: String
    /// Number of rows of the tensor.
    public let rows: Int
    /// Number of columns (features) of the tensor.
    public let columns: Int
    /// Stored element type.
    public let dtype: DType
    /// Absolute byte offset of the tensor's first element in the file.
    let dataOffset: Int

    /// Validates the header of `path` and locates `tensor`, which must be rank 2 and floating point.
    public init(path: String, tensor: String) throws {
        let file = try SafeTensorsFile(path: path)   // maps the file but touches only the header
        let info = try file.info(tensor)
        guard info.shape.count == 2 else {
            throw TensorFileError.wrongShape(path: path, tensor: tensor, shape: info.shape, expected: "[rows, features]")
        }
        guard [.f32, .f64, .f16, .bf16].contains(info.dtype) else {
            throw TensorFileError.wrongDType(path: path, tensor: tensor, expected: "F32, F64, F16 or BF16", actual: info.dtype.rawValue)
        }
        var lengthBytes = [UInt8](repeating: 0, count: 8)
        try SafeTensorsRowReader.readFully(path: path, into: &lengthBytes, at: 0)
        let headerLength = lengthBytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        self.path = path; self.tensor = tensor; self.dtype = info.dtype
        rows = info.shape[0]; columns = info.shape[1]
        dataOffset = 8 + Int(headerLength) + info.begin
    }

    /// Rows `range` as a Float32 tensor `[range.count, columns]` (F64 values are rounded).
    public func read(_ range: Range<Int>) throws -> Tensor {
        guard range.lowerBound >= 0, range.upperBound <= rows else {
            throw TensorFileError.rowsOutOfRange(path: path, tensor: tensor, requested: range, rows: rows)
        }
        let count = range.count * columns
        let offset = dataOffset + range.lowerBound * columns * dtype.size
        if dtype == .f32 {
            var values = [Float](repeating: 0, count: count)
            try values.withUnsafeMutableBytes { try SafeTensorsRowReader.readFully(path: path, into: $0, at: offset) }
            return Tensor(shape: [range.count, columns], data: values)
        }
        var raw = [UInt8](repeating: 0, count: count * dtype.size)
        try SafeTensorsRowReader.readFully(path: path, into: &raw, at: offset)
        let values: [Float] = raw.withUnsafeBytes { p in
            (0..<count).map { i -> Float in
                switch dtype {
                case .f64: return Float(Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
                case .f16: return DType.halfToFloat(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                default: return Float(bitPattern: UInt32(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16)
                }
            }
        }
        return Tensor(shape: [range.count, columns], data: values)
    }

    private static func readFully(path: String, into buffer: inout [UInt8], at offset: Int) throws {
        try buffer.withUnsafeMutableBytes { try readFully(path: path, into: $0, at: offset) }
    }

    /// pread until `buffer` is full; short reads are retried, end of file is an error.
    private static func readFully(path: String, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw TensorFileError.io(path: path, operation: "open", reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw TensorFileError.io(path: path, operation: "read at offset \(offset + done)", reason: String(cString: strerror(errno)))
            }
            if n == 0 {
                throw TensorFileError.truncated(path: path, what: "rows of the tensor", needed: buffer.count, available: done)
            }
            done += n
        }
    }
}
