// Artifacts: the kinds of content built-in stages write and read, for validate's wiring checks
// (a kind's `writes`, an input's `reads`; PipelineCore/Wiring.swift).

import PipelineCore

extension Artifact {
    /// Per-split activations (docs/activations.md): load-activations, extract-activations,
    /// extract-attribution.
    public static let activations = Artifact("activations")
    /// A train-sae output (one sparse autoencoder per layer).
    public static let saeFeatures = Artifact("sparse autoencoders")
    /// A train-flow output (one normalising flow per layer).
    public static let flowFeatures = Artifact("normalising flows")
    /// A fitted detector per layer: fit-detector, train-probe.
    public static let detector = Artifact("detectors")
    /// Scores per split: score.
    public static let scores = Artifact("scores")
}
