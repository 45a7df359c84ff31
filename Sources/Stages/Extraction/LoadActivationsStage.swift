// LoadActivationsStage: `kind: load-activations` imports an activations directory written by
// any tool (safetensors or .npy per split, docs/activations.md), named by a `path` param or given
// as another stage's output (`inputs: {activations: STAGE}`), validates it and writes the
// canonical safetensors layout to its output.
import Foundation
import Numerics
import PipelineCore

public struct LoadActivationsStage: StageKind {
    public init() {}
    public let name = "load-activations"
    public var writes: Set<Artifact>? { [.activations] }
    public let version = 2 // 2: agreement stored as BOOL (was I64), row columns in the layout's order
    public let summary = "Import and validate an activations directory (safetensors or .npy per split) into the canonical layout."
    public let params: [ParamSpec] = [
        ParamSpec("path", .path, default: .string(""), "Directory with one sub-directory per split (docs/activations.md), relative to the pipeline file; its content is part of the cache key. Empty = the `activations` input."),
        ParamSpec("splits", .stringList, default: .list([]), "Splits to import; empty imports every split directory present."),
    ]
    public var inputs: [InputSpec]? {
        [InputSpec("activations", required: false, reads: .activations,
                   "Another stage's output holding the activations directory (e.g. a command stage); instead of `path`.")]
    }

    /// Exactly one of `path` and the `activations` input names the directory.
    public func checkWiring(_ params: Params, inputs: [WiredInput], at location: SourceLocation) throws {
        let hasInput = inputs.contains { $0.name == "activations" }
        if params.string("path").isEmpty == !hasInput {
            throw PipelineError.invalidValue(location, field: "path", problem: hasInput
                ? "give either a `path` param or an `activations` input, not both"
                : "load-activations needs a `path` param (a directory relative to the pipeline file) or an `activations` input (another stage's output)")
        }
    }

    public func execute(_ context: StageContext) throws {
        let root: String
        if let path = context.paths["path"] { root = path } else { root = try context.input("activations").path }
        var splits = context.params.strings("splits")
        if splits.isEmpty { splits = ActivationSet.splitNames(in: root) }
        guard !splits.isEmpty else { throw StageError("\(root): no split directories (expected trusted/, validation/, test/ ...)") }
        for (i, name) in splits.enumerated() {
            try context.checkCancelled()
            let s: ActivationSplit
            do { s = try ActivationSet.read(root: root, split: name) } catch { throw StageError("\(error)") }
            try ActivationSet.write(s, root: context.outputDirectory)
            context.log("\(name): \(s.count) rows, layers \(s.layerIndices.map(String.init).joined(separator: ","))")
            context.progress(Double(i + 1) / Double(splits.count), name)
        }
    }
}
