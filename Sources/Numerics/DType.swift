// DType: element types of tensor files, with their sizes and the conversions of raw
// little-endian bytes (including IEEE half and bfloat16) to Float and Double.

/// Element type of a stored tensor.
public enum DType: String, CaseIterable, Equatable {
    case f32 = "F32", f16 = "F16", bf16 = "BF16", f64 = "F64", i64 = "I64", bool = "BOOL", u8 = "U8"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16: return 2
        case .f64, .i64: return 8
        case .bool, .u8: return 1
        }
    }

    /// Reads element `i` of a little-endian buffer as Double.
    @inline(__always)
    func double(at i: Int, in p: UnsafeRawPointer) -> Double {
        switch self {
        case .f32: return Double(Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))))
        case .f64: return Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))
        case .f16: return Double(DType.halfToFloat(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
        case .bf16:
            let bits = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
            return Double(Float(bitPattern: UInt32(bits) << 16))
        case .i64: return Double(Int64(littleEndian: p.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)))
        case .bool: return p.load(fromByteOffset: i, as: UInt8.self) != 0 ? 1 : 0
        case .u8: return Double(p.load(fromByteOffset: i, as: UInt8.self))
        }
    }

    /// Converts IEEE 754 binary16 bits to Float (handles subnormals, infinities and NaN).
    public static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = Int((h >> 10) & 0x1F)
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0 {
            // Zero or subnormal: value = mantissa * 2^-24.
            let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign != 0 ? -magnitude : magnitude
        }
        if exponent == 31 {
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        return Float(bitPattern: sign | (UInt32(exponent - 15 + 127) << 23) | (mantissa << 13))
    }
}
