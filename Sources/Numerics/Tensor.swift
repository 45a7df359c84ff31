// Tensor: a dense Float32 array in row-major (C) order with an explicit shape. The storage is a
// plain `[Float]` so kernels can borrow it as a buffer pointer; shapes are checked on creation.

/// A dense row-major Float32 tensor.
public struct Tensor: Equatable {
    /// Element storage in row-major (C) order; `data.count == shape.reduce(1, *)`.
    public var data: [Float]
    /// Extent of each axis, outermost first. A scalar has shape `[]`.
    public private(set) var shape: [Int]

    /// Creates a tensor from storage and shape; traps if the element count does not match.
    public init(shape: [Int], data: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative extent in shape \(shape)")
        precondition(Tensor.count(of: shape) == data.count,
                     "shape \(shape) needs \(Tensor.count(of: shape)) elements, got \(data.count)")
        self.shape = shape
        self.data = data
    }

    /// Creates a tensor of the given shape filled with `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        self.init(shape: shape, data: [Float](repeating: value, count: Tensor.count(of: shape)))
    }

    /// Number of elements a tensor of `shape` holds.
    public static func count(of shape: [Int]) -> Int { shape.reduce(1, *) }

    /// Number of elements.
    public var count: Int { data.count }
    /// Number of axes.
    public var rank: Int { shape.count }

    /// Row-major strides (in elements) of each axis.
    public var strides: [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) { s[i] = acc; acc *= shape[i] }
        return s
    }

    /// The element at a multi-index.
    public subscript(_ index: Int...) -> Float {
        get { data[flatIndex(index)] }
        set { data[flatIndex(index)] = newValue }
    }

    private func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "index \(index) does not match shape \(shape)")
        var flat = 0
        for (i, extent) in zip(index, shape) {
            precondition(i >= 0 && i < extent, "index \(index) out of range for shape \(shape)")
            flat = flat * extent + i
        }
        return flat
    }

    /// The storage widened to Float64.
    public var doubles: [Double] { data.map(Double.init) }

    /// Creates a tensor by narrowing Float64 values.
    public init(shape: [Int], doubles: [Double]) {
        self.init(shape: shape, data: doubles.map(Float.init))
    }
}
