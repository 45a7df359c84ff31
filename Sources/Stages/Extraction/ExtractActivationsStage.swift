// ExtractActivationsStage: `kind: extract-activations` writes the residual stream at the last
// prompt token, entering each block and after the last one, per split, in the layout of
// docs/activations.md.

import Foundation
import Models
import PipelineCore

public struct ExtractActivationsStage: StageKind {
    public init() {}
    public let name = "extract-activations"
    public var writes: Set<Artifact>? { [.activations] }
    public let version = 1
    public let summary = "Residual-stream activations at the last prompt token for each split (docs/activations.md)."
    public let params: [ParamSpec] = ExtractionInputs.readerParams
    public var inputs: [InputSpec]? { ExtractionInputs.readerInputs }

    public func validate(_ params: Params, at location: SourceLocation) throws {
        try ExtractionInputs.validate(params, at: location)
    }

    public func execute(_ context: StageContext) throws {
        let model = try ExtractionInputs.loadModel(context)
        let splits = try context.params.strings("splits").map {
            try ExtractionInputs.split($0, context: context, maxSeq: model.config.maxSeq)
        }
        let total = max(1, splits.map(\.sequences.count).reduce(0, +))
        var before = 0
        let extractor = try ActivationExtractor(model: model, batchSize: context.params.int("batch"))
        let L = model.config.nLayers
        for split in splits {
            let layers = try extractor.extract(split.sequences) { done, _ in
                try context.checkCancelled()
                context.progress(Double(before + done) / Double(total), "\(split.name) \(done)/\(split.sequences.count)")
            }
            before += split.sequences.count
            let features = (0...L).map { (name: "layers.\($0)", width: model.config.dModel, data: layers[$0]) }
            try ActivationsFile.write(features: features, examples: split.metadata,
                                      metadata: try ExtractionInputs.fileMetadata(context, split: split.name, layers: L + 1),
                                      to: try context.outputPath("\(split.name)/activations.safetensors"))
            context.log("\(split.name): \(split.sequences.count) examples, \(L + 1) layers of width \(model.config.dModel)")
        }
    }
}
