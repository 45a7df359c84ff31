// DetectorStageSupport: helpers shared by the detector stage kinds: parsing `layers` and
// `shrinkage` params, reading an activations input, deterministic number formatting and JSON.
import Foundation
import PipelineCore
import Numerics
import Detectors

enum DetectorStageSupport {
    /// `layers` param: "all", an int, or a list of ints -> strings for ActivationSet.selectLayers.
    static func layerRequest(_ v: Value?) -> [String] {
        guard let v else { return ["all"] }
        if let list = v.listValue { return list.map(\.description) }
        return [v.description]
    }

    /// Validates a `layers` value at pipeline-validation time.
    static func validateLayers(_ v: Value?, at location: SourceLocation) throws {
        for r in layerRequest(v) where r != "all" && (Int(r) ?? -1) < 0 {
            throw PipelineError.invalidValue(location, field: "layers", problem: "'\(r)' is neither \"all\" nor a layer index")
        }
    }

    /// `shrinkage` param: none | ledoit-wolf | a number in [0, 1].
    static func shrinkage(_ s: String) -> Shrinkage? {
        switch s {
        case "none", "": return Shrinkage.none
        case "ledoit-wolf": return .ledoitWolf
        default:
            guard let x = Double(s), x >= 0, x <= 1 else { return nil }
            return .fixed(x)
        }
    }

    /// Reads one split of an activations input, as a stage error naming the input.
    static func split(_ art: InputArtifact, _ name: String) throws -> ActivationSplit {
        do { return try ActivationSet.read(root: art.path, split: name) } catch {
            throw StageError("input from \(art.stageId): \(error)")
        }
    }

    /// A fixed-format number for CSV/JSON (no locale, 6 significant decimals).
    static func fmt(_ x: Double) -> String {
        if x.isNaN { return "nan" }
        return String(format: "%.6f", x)
    }

    /// Writes a JSON object with sorted keys.
    static func writeJSON(_ object: Any, to path: String) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
        try (data + Data("\n".utf8)).write(to: URL(fileURLWithPath: path))
    }

    /// Axis value `key` of an artifact's matrix assignment, if any.
    static func axis(_ art: InputArtifact, _ key: String) -> String? {
        art.assignment.first { $0.0 == key }?.1.description
    }

    /// Runs `body` converting library errors into stage errors with `what` as context.
    static func wrap<T>(_ what: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as StageError { throw e } catch { throw StageError("\(what): \(error)") }
    }
}
