// SafeTensors: reader and writer for the safetensors format (8-byte little-endian header length,
// a JSON header mapping names to {dtype, shape, data_offsets} plus optional "__metadata__",
// then the raw little-endian data). Reads are memory-mapped and fully validated up front.
import Base
import Foundation

/// Header entry of one stored tensor.
public struct TensorInfo: Equatable {
    /// Element type.
    public let dtype: DType
    /// Shape, outermost axis first.
    public let shape: [Int]
    /// Byte range [begin, end) relative to the start of the data section.
    public let begin: Int, end: Int
}

/// A tensor to write, in one of the writable dtypes.
public enum SafeTensorValue: Equatable {
    case f32(Tensor)
    case f64(shape: [Int], data: [Double])
    case i64(shape: [Int], data: [Int64])
    /// Stored as BOOL: one byte per element, 1 for true and 0 for false.
    case bool(shape: [Int], data: [Bool])

    var dtype: DType {
        switch self { case .f32: return .f32; case .f64: return .f64; case .i64: return .i64; case .bool: return .bool }
    }
    var shape: [Int] {
        switch self {
        case .f32(let t): return t.shape
        case .f64(let s, _), .i64(let s, _), .bool(let s, _): return s
        }
    }
    var byteCount: Int {
        switch self {
        case .f32(let t): return 4 * t.count
        case .f64(_, let d): return 8 * d.count
        case .i64(_, let d): return 8 * d.count
        case .bool(_, let d): return d.count
        }
    }
}

/// An opened safetensors file: a validated header over a memory mapping.
public struct SafeTensorsFile {
    /// Path (for error messages).
    public let path: String
    /// Tensor entries by name.
    public let tensors: [String: TensorInfo]
    /// The `__metadata__` string map (empty when absent).
    public let metadata: [String: String]
    private let storage: MappedFile?
    private let bytes: [UInt8]?
    private let dataStart: Int

    /// Tensor names in sorted order.
    public var names: [String] { tensors.keys.sorted() }

    /// Opens and validates `path` through a read-only memory map.
    public init(path: String) throws {
        let file = try MappedFile(path: path)
        let (tensors, metadata, dataStart) = try SafeTensors.parseHeader(file.bytes, path: path)
        self.path = path; self.tensors = tensors; self.metadata = metadata
        self.storage = file; self.bytes = nil; self.dataStart = dataStart
    }

    /// Parses and validates an in-memory safetensors image; `path` is used in messages.
    public init(bytes: [UInt8], path: String = "<memory>") throws {
        let (tensors, metadata, dataStart) = try bytes.withUnsafeBytes { try SafeTensors.parseHeader($0, path: path) }
        self.path = path; self.tensors = tensors; self.metadata = metadata
        self.storage = nil; self.bytes = bytes; self.dataStart = dataStart
    }

    /// Header entry for `name`, or a `missingTensor` error.
    public func info(_ name: String) throws -> TensorInfo {
        guard let info = tensors[name] else {
            throw TensorFileError.missingTensor(path: path, tensor: name, available: names)
        }
        return info
    }

    private func withData<R>(_ info: TensorInfo, _ body: (UnsafeRawPointer?) -> R) -> R {
        if let storage {
            return body(storage.base.map { $0 + dataStart + info.begin })
        }
        return bytes!.withUnsafeBytes { body($0.baseAddress.map { $0 + dataStart + info.begin }) }
    }

    /// The tensor converted to Float64 values (any stored dtype).
    public func doubles(_ name: String) throws -> (shape: [Int], data: [Double]) {
        let info = try info(name)
        let n = Tensor.count(of: info.shape)
        let values: [Double] = withData(info) { p in
            guard let p, n > 0 else { return [] }
            return (0..<n).map { info.dtype.double(at: $0, in: p) }
        }
        return (info.shape, values)
    }

    /// The tensor converted to Float32 (any stored dtype; F64 and I64 are rounded).
    public func tensor(_ name: String) throws -> Tensor {
        let info = try info(name)
        let n = Tensor.count(of: info.shape)
        if info.dtype == .f32 {
            let values: [Float] = withData(info) { p in
                guard let p, n > 0 else { return [] }
                return [Float](unsafeUninitializedCapacity: n) { buf, initialized in
                    memcpy(buf.baseAddress!, p, 4 * n)
                    initialized = n
                }
            }
            return Tensor(shape: info.shape, data: values)
        }
        let (shape, d) = try doubles(name)
        return Tensor(shape: shape, doubles: d)
    }

    /// The tensor as Int64 values; it must be stored as I64, BOOL or U8.
    public func int64s(_ name: String) throws -> (shape: [Int], data: [Int64]) {
        let info = try info(name)
        guard [.i64, .bool, .u8].contains(info.dtype) else {
            throw TensorFileError.wrongDType(path: path, tensor: name, expected: "I64, BOOL or U8", actual: info.dtype.rawValue)
        }
        let n = Tensor.count(of: info.shape)
        let values: [Int64] = withData(info) { p in
            guard let p, n > 0 else { return [] }
            if info.dtype == .bool { return (0..<n).map { Int64(p.load(fromByteOffset: $0, as: UInt8.self) != 0 ? 1 : 0) } }
            if info.dtype == .u8 { return (0..<n).map { Int64(p.load(fromByteOffset: $0, as: UInt8.self)) } }
            return (0..<n).map { Int64(littleEndian: p.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) }
        }
        return (info.shape, values)
    }

    /// Checks every floating-point tensor for NaN and infinity; throws `nonFinite` naming the
    /// first offending tensor (in sorted name order) and the multi-index of its first bad element.
    public func validateFinite() throws {
        for name in names {
            let info = tensors[name]!
            guard [.f32, .f64, .f16, .bf16].contains(info.dtype) else { continue }
            let (shape, values) = try doubles(name)
            if let i = values.firstIndex(where: { !$0.isFinite }) {
                throw TensorFileError.nonFinite(path: path, tensor: name, index: TensorValidation.multiIndex(i, shape: shape),
                                                value: "\(values[i])")
            }
        }
    }
}

/// Writing and header parsing for the safetensors format.
public enum SafeTensors {
    /// Largest header accepted (the reference implementation's limit).
    public static let maxHeaderSize = 100_000_000

    /// Serialises named tensors (in the given order) and metadata to safetensors bytes. The header
    /// is padded with spaces to a multiple of 8 bytes so the data section stays aligned.
    public static func encode(_ tensors: [(name: String, value: SafeTensorValue)], metadata: [String: String] = [:]) -> [UInt8] {
        var entries: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(JSONValue.quoted($0)):\(JSONValue.quoted(metadata[$0]!))" }
            entries.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for (name, value) in tensors {
            let end = offset + value.byteCount
            let shape = value.shape.map(String.init).joined(separator: ",")
            entries.append("\(JSONValue.quoted(name)):{\"dtype\":\"\(value.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var header = Array("{\(entries.joined(separator: ","))}".utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var out: [UInt8] = []
        out.reserveCapacity(8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: header)
        for (_, value) in tensors {
            switch value {
            case .f32(let t): t.data.withUnsafeBytes { out.append(contentsOf: $0) }
            case .f64(_, let d): d.withUnsafeBytes { out.append(contentsOf: $0) }
            case .i64(_, let d): d.withUnsafeBytes { out.append(contentsOf: $0) }
            case .bool(_, let d): out.append(contentsOf: d.map { $0 ? 1 : 0 })
            }
        }
        return out
    }

    /// Writes named tensors and metadata to `path` (atomically: temp file then rename).
    public static func write(_ tensors: [(name: String, value: SafeTensorValue)], metadata: [String: String] = [:], to path: String) throws {
        for (name, value) in tensors {
            let n = Tensor.count(of: value.shape)
            if n * value.dtype.size != value.byteCount {
                throw TensorFileError.sizeMismatch(path: path, tensor: name, shape: value.shape,
                                                   expectedBytes: n * value.dtype.size, actualBytes: value.byteCount)
            }
        }
        try writeAtomically(encode(tensors, metadata: metadata), to: path)
    }

    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let tmp = path + ".tmp-\(getpid())"
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: tmp))
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
            try FileManager.default.moveItem(atPath: tmp, toPath: path)
        } catch {
            try? FileManager.default.removeItem(atPath: tmp)
            throw TensorFileError.io(path: path, operation: "write", reason: "\(error.localizedDescription)")
        }
    }

    /// Parses and validates the header of a safetensors image: returns the entries, metadata and
    /// the byte offset where the data section starts.
    static func parseHeader(_ buf: UnsafeRawBufferPointer, path: String) throws
        -> (tensors: [String: TensorInfo], metadata: [String: String], dataStart: Int) {
        guard buf.count >= 8 else {
            throw TensorFileError.truncated(path: path, what: "the 8-byte header length", needed: 8, available: buf.count)
        }
        let headerLength = UInt64(littleEndian: buf.loadUnaligned(as: UInt64.self))
        guard headerLength <= UInt64(maxHeaderSize) else {
            throw TensorFileError.badHeader(path: path, reason: "header length \(headerLength) exceeds the limit of \(maxHeaderSize) bytes")
        }
        let n = Int(headerLength)
        guard buf.count - 8 >= n else {
            throw TensorFileError.truncated(path: path, what: "the JSON header", needed: n, available: buf.count - 8)
        }
        let json: JSONValue
        do {
            json = try JSONValue.parseJSON(bytes: Array(buf[8..<(8 + n)]))
        } catch {
            throw TensorFileError.badHeader(path: path, reason: "header is not valid JSON (\(error))")
        }
        guard case let .map(object) = json else {
            throw TensorFileError.badHeader(path: path, reason: "header must be a JSON object")
        }
        let dataSize = buf.count - 8 - n
        var tensors: [String: TensorInfo] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in object {
            if name == "__metadata__" {
                guard case let .map(dict) = value else {
                    throw TensorFileError.badHeader(path: path, reason: "__metadata__ must be an object of strings")
                }
                for (k, v) in dict {
                    guard case let .string(s) = v else {
                        throw TensorFileError.badHeader(path: path, reason: "__metadata__ value for '\(k)' is not a string")
                    }
                    metadata[k] = s
                }
                continue
            }
            guard value.mapValue != nil else {
                throw TensorFileError.badHeader(path: path, reason: "entry '\(name)' is not an object")
            }
            let entry = value
            guard let dtypeName = entry["dtype"]?.stringValue else {
                throw TensorFileError.badHeader(path: path, reason: "entry '\(name)' lacks a string field 'dtype'")
            }
            guard let dtype = DType(rawValue: dtypeName) else {
                throw TensorFileError.unsupportedDType(path: path, tensor: name, dtype: dtypeName)
            }
            guard let shape = intArray(entry["shape"]), shape.allSatisfy({ $0 >= 0 }) else {
                throw TensorFileError.badHeader(path: path, reason: "entry '\(name)' field 'shape' must be an array of non-negative integers")
            }
            guard let offsets = intArray(entry["data_offsets"]), offsets.count == 2 else {
                throw TensorFileError.badHeader(path: path, reason: "entry '\(name)' field 'data_offsets' must be two integers")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end <= dataSize else {
                throw TensorFileError.offsetsOutOfRange(path: path, tensor: name, begin: begin, end: end, dataSize: dataSize)
            }
            let (count, overflow) = shape.reduce((1, false)) { acc, e in
                let (p, o) = acc.0.multipliedReportingOverflow(by: e); return (p, acc.1 || o)
            }
            let expected = count.multipliedReportingOverflow(by: dtype.size)
            guard !overflow, !expected.overflow, expected.partialValue == end - begin else {
                throw TensorFileError.sizeMismatch(path: path, tensor: name, shape: shape,
                                                   expectedBytes: overflow ? Int.max : expected.partialValue, actualBytes: end - begin)
            }
            tensors[name] = TensorInfo(dtype: dtype, shape: shape, begin: begin, end: end)
        }
        // Overlap check: sort the non-empty ranges by start and compare neighbours.
        let ranges = tensors.filter { $0.value.end > $0.value.begin }
            .sorted { ($0.value.begin, $0.key) < ($1.value.begin, $1.key) }
        for (a, b) in zip(ranges, ranges.dropFirst()) where b.value.begin < a.value.end {
            throw TensorFileError.overlappingOffsets(path: path, first: a.key, second: b.key)
        }
        return (tensors, metadata, 8 + n)
    }

    private static func intArray(_ value: JSONValue?) -> [Int]? {
        guard let array = value?.listValue else { return nil }
        var out: [Int] = []
        for element in array {
            guard case let .int(i) = element else { return nil }
            out.append(i)
        }
        return out
    }
}
