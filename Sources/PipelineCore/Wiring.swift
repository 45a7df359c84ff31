// Wiring: what `validate` knows about how stages are connected. A kind declares what its output
// holds (`StageKind.writes`) and what each input reads (`InputSpec.reads`); the Planner refuses an
// input whose producer cannot write what it reads, then calls the kind's own `checkWiring` for
// rules that depend on params (e.g. `fit-detector`'s sae-l0 needs a train-sae `features` input).

/// A kind of content a stage's output can hold, named in wiring errors ("activations").
public struct Artifact: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public init(_ name: String) { self.name = name }
    public var description: String { name }
}

/// One input of a stage instance as the Planner wired it, given to `StageKind.checkWiring`.
public struct WiredInput: Sendable {
    /// The input's name (`activations`).
    public var name: String
    /// The producing stage (its template name).
    public var stage: String
    /// The producing stage's kind.
    public var kind: any StageKind
    /// Path inside the producer's output, or "".
    public var subpath: String
    /// Where the input is written in the pipeline file.
    public var location: SourceLocation

    public init(name: String, stage: String, kind: any StageKind, subpath: String, location: SourceLocation) {
        self.name = name
        self.stage = stage
        self.kind = kind
        self.subpath = subpath
        self.location = location
    }

    /// Whether the producer may have written `artifact`: its kind declares it, or says nothing
    /// of what it writes (`writes == nil`), or runs an external program (a `command` writes
    /// anything), or the input reads a path inside the output, of which the kind vouches nothing.
    public func mayHold(_ artifact: Artifact) -> Bool {
        guard subpath.isEmpty, !kind.runsExternalProgram, let w = kind.writes else { return true }
        return w.contains(artifact)
    }

    /// The error for a producer that does not write `artifact`, listing the kinds (of `among`)
    /// that do: "invalid 'inputs.features': stage 'x' (kind write) does not write ...".
    public func mismatch(reads artifact: Artifact, by consumer: String, among registry: StageRegistry) -> PipelineError {
        let writers = registry.names.filter { registry[$0]?.writes?.contains(artifact) ?? false }
        let from = writers.joined(separator: ", ") + (writers.isEmpty ? "" : " or ") + "command"
        return .invalidValue(location, field: "inputs.\(name)",
                             problem: "\(consumer) reads \(artifact) here, but stage '\(stage)' is kind \(kind.name), "
                                 + "which does not write \(artifact); wire a stage of kind \(from) here instead")
    }
}
