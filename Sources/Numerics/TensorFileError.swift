// TensorFileError: every way reading or writing a tensor file (safetensors, .npy) can fail.
// Each case names the file and, where known, the tensor and the offending field or offset, so
// the message alone tells a user what to fix.

/// An error reading, validating or writing a safetensors or .npy file.
public enum TensorFileError: Error, CustomStringConvertible, Equatable {
    /// The file could not be opened, mapped or written.
    case io(path: String, operation: String, reason: String)
    /// The file ends before `needed` bytes of `what` (it has `available`).
    case truncated(path: String, what: String, needed: Int, available: Int)
    /// The magic string at the start of the file is wrong.
    case badMagic(path: String, expected: String)
    /// The header is not valid (bad JSON, wrong field types, missing fields).
    case badHeader(path: String, reason: String)
    /// The file uses a format version this reader does not know.
    case unsupportedVersion(path: String, version: String)
    /// A tensor's dtype is unknown or unsupported.
    case unsupportedDType(path: String, tensor: String, dtype: String)
    /// The tensor was requested as a dtype it is not stored as.
    case wrongDType(path: String, tensor: String, expected: String, actual: String)
    /// A .npy file is stored in Fortran order, which this reader does not support.
    case fortranOrder(path: String)
    /// The byte size implied by the shape and dtype differs from the stored size.
    case sizeMismatch(path: String, tensor: String, shape: [Int], expectedBytes: Int, actualBytes: Int)
    /// A tensor's data offsets fall outside the data section or are reversed.
    case offsetsOutOfRange(path: String, tensor: String, begin: Int, end: Int, dataSize: Int)
    /// Two tensors' byte ranges overlap.
    case overlappingOffsets(path: String, first: String, second: String)
    /// No tensor of this name is in the file.
    case missingTensor(path: String, tensor: String, available: [String])
    /// A tensor holds NaN or infinity; `index` is the first bad element's multi-index.
    case nonFinite(path: String, tensor: String, index: [Int], value: String)
    /// A tensor's shape is not the one the reader needs (`expected` says it, e.g. "[rows, features]").
    case wrongShape(path: String, tensor: String, shape: [Int], expected: String)
    /// Rows outside the tensor's `0..<rows` were asked for.
    case rowsOutOfRange(path: String, tensor: String, requested: Range<Int>, rows: Int)

    /// "tensor 'name'", or "the array" for the single unnamed array of a .npy file.
    private static func label(_ tensor: String) -> String { tensor.isEmpty ? "the array" : "tensor '\(tensor)'" }

    public var description: String {
        switch self {
        case let .io(path, op, reason): return "\(path): cannot \(op): \(reason)"
        case let .truncated(path, what, needed, available):
            return "\(path): file is truncated: \(what) needs \(needed) bytes but only \(available) are present"
        case let .badMagic(path, expected): return "\(path): not a \(expected) file (bad magic bytes)"
        case let .badHeader(path, reason): return "\(path): bad header: \(reason)"
        case let .unsupportedVersion(path, version): return "\(path): unsupported format version \(version)"
        case let .unsupportedDType(path, tensor, dtype):
            return "\(path): \(Self.label(tensor)) has unsupported dtype '\(dtype)'"
        case let .wrongDType(path, tensor, expected, actual):
            return "\(path): tensor '\(tensor)' has dtype \(actual), expected \(expected)"
        case let .fortranOrder(path):
            return "\(path): array is stored in Fortran order; save it in C order (numpy.ascontiguousarray) first"
        case let .sizeMismatch(path, tensor, shape, expected, actual):
            return "\(path): \(Self.label(tensor)) with shape \(shape) needs \(expected) bytes but has \(actual)"
        case let .offsetsOutOfRange(path, tensor, begin, end, size):
            return "\(path): tensor '\(tensor)' data_offsets [\(begin), \(end)] lie outside the data section of \(size) bytes"
        case let .overlappingOffsets(path, first, second):
            return "\(path): tensors '\(first)' and '\(second)' have overlapping data_offsets"
        case let .missingTensor(path, tensor, available):
            return "\(path): no tensor named '\(tensor)' (available: \(available.joined(separator: ", ")))"
        case let .nonFinite(path, tensor, index, value):
            return "\(path): \(Self.label(tensor)) holds \(value) at index \(index)"
        case let .wrongShape(path, tensor, shape, expected):
            return "\(path): \(Self.label(tensor)) has shape \(shape); it must be \(expected)"
        case let .rowsOutOfRange(path, tensor, requested, rows):
            return "\(path): rows \(requested) of \(Self.label(tensor)) asked for; they must lie in 0..<\(rows)"
        }
    }
}
