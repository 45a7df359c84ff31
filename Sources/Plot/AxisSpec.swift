// What a chart is told about one of its continuous axes: title, scale kind, fixed domain,
// whether its ticks must be integers (indices such as layers), and reference lines across it.

/// A labelled reference value drawn as a dashed line across the plot (e.g. chance at AUROC 0.5).
public struct ReferenceLine: Sendable, Equatable {
    /// Where the line sits, in data units of its axis.
    public var value: Double
    /// Short text written at the line's end ("" for none).
    public var label: String

    /// Creates a reference line.
    public init(_ value: Double, label: String = "") {
        self.value = value
        self.label = label
    }
}

/// Axis options.
public struct AxisSpec: Sendable {
    /// Axis title.
    public var label: String
    /// Linear or log.
    public var scale: ScaleKind
    /// Fixed domain; nil fits the data (and the reference values) and extends to nice ticks.
    public var domain: ClosedRange<Double>?
    /// Ticks only at integers (steps of at least 1), for axes of indices such as layers.
    public var integerTicks: Bool
    /// Dashed lines across the plot at these values of this axis (horizontal on a y axis).
    public var references: [ReferenceLine]

    /// Creates an axis description.
    public init(_ label: String = "", scale: ScaleKind = .linear, domain: ClosedRange<Double>? = nil,
                integerTicks: Bool = false, references: [ReferenceLine] = []) {
        self.label = label
        self.scale = scale
        self.domain = domain
        self.integerTicks = integerTicks
        self.references = references
    }
}
