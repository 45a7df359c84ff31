// TrainFlowStage: `kind: train-flow` trains one normalising flow per layer on an activations
// input (trusted split by default) and saves them as layer.{l}.safetensors for fit-detector's
// flow-prior and flow-mahalanobis detectors.
import Base
import Foundation
import PipelineCore
import Numerics
import Detectors

public struct TrainFlowStage: StageKind {
    public init() {}
    public let name = "train-flow"
    public var writes: Set<Artifact>? { [.flowFeatures] }
    public let version = 2
    public let summary = "Train a normalising flow (affine couplings, Laplace prior) per layer on activations."
    public let params: [ParamSpec] = [
        ParamSpec("layers", .any, default: .string("all"), "\"all\" or a list of layer indices."),
        ParamSpec("split", .string, default: .string("trusted"), "Split to train on."),
        ParamSpec("blocks", .int, default: .int(4), "Coupling blocks (ActNorm + affine coupling + reversal)."),
        ParamSpec("hidden", .int, default: .int(32), "Hidden width of each coupling's tanh conditioner."),
        ParamSpec("scale_bound", .double, default: .double(2), "Bound on each coupling's log-scales."),
        ParamSpec("epochs", .int, default: .int(20), "Training epochs; the epoch with the best validation NLL is kept."),
        ParamSpec("batch_size", .int, default: .int(64), "Rows per AdamW step."),
        ParamSpec("lr", .double, default: .double(1e-3), "AdamW learning rate."),
        ParamSpec("validation_fraction", .double, default: .double(0.2), "Fraction of the rows held out to select the epoch."),
        ParamSpec("seed", .int, default: .int(0), "Seed for initialisation, the hold-out split and shuffling."),
    ]
    public var inputs: [InputSpec]? { [InputSpec("activations", reads: .activations, "Activations (docs/activations.md).")] }

    public func validate(_ params: Params, at location: SourceLocation) throws {
        try DetectorStageSupport.validateLayers(params["layers"], at: location)
        for f in ["blocks", "hidden", "epochs", "batch_size"] where params.int(f) < 1 {
            throw PipelineError.invalidValue(location, field: f, problem: "must be at least 1")
        }
        let v = params.double("validation_fraction")
        if !(v >= 0 && v < 1) { throw PipelineError.invalidValue(location, field: "validation_fraction", problem: "must lie in [0, 1)") }
    }

    public func execute(_ context: StageContext) throws {
        let p = context.params
        let art = try context.input("activations")
        let split = try DetectorStageSupport.split(art, p.string("split"))
        let layers = try DetectorStageSupport.wrap("layers") {
            try ActivationSet.selectLayers(DetectorStageSupport.layerRequest(p["layers"]), available: split.layerIndices, path: art.path)
        }
        let n = split.count
        var rng = SplitMix64(seed: UInt64(bitPattern: Int64(p.int("seed"))))
        var order = Array(0..<n)
        for i in stride(from: n - 1, to: 0, by: -1) { order.swapAt(i, rng.nextInt(below: i + 1)) }
        let nVal = Int(Double(n) * p.double("validation_fraction"))
        let valIdx = Array(order.prefix(nVal)).sorted(), trainIdx = Array(order.dropFirst(nVal)).sorted()
        let options = FlowTrainer.Options(epochs: p.int("epochs"), batchSize: p.int("batch_size"), learningRate: p.double("lr"),
                                          seed: UInt64(bitPattern: Int64(p.int("seed"))))
        var summary: [String: Any] = [:]
        for (i, l) in layers.enumerated() {
            let m = split.matrix(l), d = m.cols
            func rows(_ idx: [Int]) -> [Double] { idx.flatMap { m.data[($0 * d)..<(($0 + 1) * d)] } }
            let config = FlowConfig(dimension: d, layers: p.int("blocks"), hidden: p.int("hidden"), scaleBound: p.double("scale_bound"))
            let result = try DetectorStageSupport.wrap("train-flow layer \(l)") {
                try FlowTrainer(options: options).train(config: config, train: rows(trainIdx), validation: rows(valIdx)) { epoch, nll in
                    try context.checkCancelled()
                    context.progress((Double(i) + Double(epoch) / Double(max(options.epochs, 1))) / Double(layers.count), "layer \(l) epoch \(epoch)")
                    context.log("layer \(l) epoch \(epoch): validation NLL \(DetectorStageSupport.fmt(nll))")
                }
            }
            try FlowArchive.save(result.flow, to: try context.outputPath("layer.\(l).safetensors"))
            summary["\(l)"] = ["best_epoch": result.bestEpoch, "validation_nll": result.validationNLL.map(DetectorStageSupport.fmt)]
        }
        try DetectorStageSupport.writeJSON(["features": "flow", "layers": layers, "training": summary], to: try context.outputPath("features.json"))
    }
}
