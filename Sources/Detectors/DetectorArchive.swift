// DetectorArchive: saves fitted detectors as safetensors files, parameters as F64 tensors and
// the detector kind plus its JSON config in the `__metadata__` map, and loads them back.
import Foundation
import Numerics

/// A fitted detector of any saveable kind.
public enum SavedDetector: Equatable {
    case mahalanobis(MahalanobisDetector)
    case diagMahalanobis(DiagMahalanobisDetector)
    case logisticProbe(LogisticProbe)
    case sae(SparseAutoencoder)
    case saeL0(SAEL0Detector)
    case que(QUEDetector)

    /// The kind name stored in the file's metadata.
    public var kind: String {
        switch self {
        case .mahalanobis: return "mahalanobis"
        case .diagMahalanobis: return "diag-mahalanobis"
        case .logisticProbe: return "logistic-probe"
        case .sae: return "sae"
        case .saeL0: return "sae-l0"
        case .que: return "que"
        }
    }
}

/// Reading and writing detector files.
public enum DetectorArchive {
    /// Version of the on-disk layout, stored in the metadata.
    public static let formatVersion = "1"

    /// Writes `detector` to `path`.
    public static func save(_ detector: SavedDetector, to path: String) throws {
        var metadata = ["madpipe.detector": detector.kind, "madpipe.format": formatVersion]
        var tensors: [(name: String, value: SafeTensorValue)] = []
        switch detector {
        case .mahalanobis(let m):
            // Sorted keys: without them the order follows the per-process hash seed, so the same
            // detector gave different file bytes from run to run.
            let encoder = JSONEncoder(); encoder.outputFormatting = [.sortedKeys]
            let config = try encoder.encode(m.config)
            metadata["config"] = String(decoding: config, as: UTF8.self)
            metadata["shrinkage_coefficient"] = "\(m.shrinkageCoefficient)"
            metadata["sample_count"] = "\(m.sampleCount)"
            tensors = [("mean", .f64(shape: [m.dimension], data: m.mean)),
                       ("precision", .f64(shape: [m.dimension, m.dimension], data: m.precision.data))]
        case .diagMahalanobis(let m):
            tensors = [("mean", .f64(shape: [m.mean.count], data: m.mean)),
                       ("variance", .f64(shape: [m.variance.count], data: m.variance))]
        case .logisticProbe(let p):
            metadata["C"] = "\(p.c)"
            tensors = [("weights", .f64(shape: [p.weights.count], data: p.weights)),
                       ("bias", .f64(shape: [1], data: [p.bias]))]
        case .que(let q):
            tensors = [("mean", .f64(shape: [q.mean.count], data: q.mean)),
                       ("whitening", .f64(shape: [q.mean.count, q.mean.count], data: q.whitening.data))]
        case .sae(let model):
            metadata["k"] = "\(model.k)"
            tensors = saeTensors(model)
        case .saeL0(let detector):
            metadata["k"] = "\(detector.model.k)"
            tensors = saeTensors(detector.model)
                + [("fired_on_trusted", .i64(shape: [detector.firedOnTrusted.count], data: detector.firedOnTrusted.map { $0 ? 1 : 0 }))]
        }
        try SafeTensors.write(tensors, metadata: metadata, to: path)
    }

    static func saeTensors(_ m: SparseAutoencoder) -> [(name: String, value: SafeTensorValue)] {
        [("encoder_weights", .f32(m.encoderWeights)),
         ("encoder_bias", .f32(Tensor(shape: [m.latentCount], data: m.encoderBias))),
         ("decoder_weights", .f32(m.decoderWeights)),
         ("decoder_bias", .f32(Tensor(shape: [m.inputDimension], data: m.decoderBias)))]
    }

    static func loadSAE(_ file: SafeTensorsFile, fail: (String) -> DetectorError) throws -> SparseAutoencoder {
        for name in ["encoder_weights", "encoder_bias", "decoder_weights", "decoder_bias"] where file.tensors[name] == nil {
            throw fail("missing tensor '\(name)'")
        }
        let encW = try file.tensor("encoder_weights"), decW = try file.tensor("decoder_weights")
        let encB = try file.tensor("encoder_bias").data, decB = try file.tensor("decoder_bias").data
        guard encW.rank == 2, encW.shape == decW.shape, encB.count == encW.shape[0], decB.count == encW.shape[1] else {
            throw fail("SAE tensor shapes disagree: encoder \(encW.shape), decoder \(decW.shape)")
        }
        guard let kText = file.metadata["k"], let k = Int(kText), k >= 1, k <= encW.shape[0] else {
            throw fail("metadata 'k' must be an integer in 1...\(encW.shape[0])")
        }
        var model = SparseAutoencoder(inputDimension: encW.shape[1], latentCount: encW.shape[0], k: k, dataMean: decB, seed: 0)
        model.encoderWeights = encW; model.encoderBias = encB; model.decoderWeights = decW
        return model
    }

    /// Loads a detector written by `save`.
    public static func load(path: String) throws -> SavedDetector {
        let file = try SafeTensorsFile(path: path)
        func fail(_ reason: String) -> DetectorError { .badArchive(path: path, reason: reason) }
        guard let kind = file.metadata["madpipe.detector"] else { throw fail("metadata lacks 'madpipe.detector'") }
        guard file.metadata["madpipe.format"] == formatVersion else {
            throw fail("format version '\(file.metadata["madpipe.format"] ?? "none")' is not \(formatVersion)")
        }
        func vector(_ name: String) throws -> [Double] {
            guard file.tensors[name] != nil else { throw fail("missing tensor '\(name)'") }
            return try file.doubles(name).data
        }
        func number(_ key: String) throws -> Double {
            guard let text = file.metadata[key], let value = Double(text) else { throw fail("metadata '\(key)' is not a number") }
            return value
        }
        switch kind {
        case "mahalanobis":
            guard let configText = file.metadata["config"],
                  let config = try? JSONDecoder().decode(MahalanobisDetector.Config.self, from: Data(configText.utf8)) else {
                throw fail("metadata 'config' is not a valid mahalanobis config")
            }
            let mean = try vector("mean"), precision = try vector("precision")
            guard precision.count == mean.count * mean.count else {
                throw fail("precision has \(precision.count) entries, expected \(mean.count)²")
            }
            return .mahalanobis(MahalanobisDetector(
                config: config, mean: mean, precision: Matrix64(rows: mean.count, cols: mean.count, data: precision),
                shrinkageCoefficient: try number("shrinkage_coefficient"), sampleCount: Int(try number("sample_count"))))
        case "diag-mahalanobis":
            let mean = try vector("mean"), variance = try vector("variance")
            guard mean.count == variance.count else { throw fail("mean and variance lengths differ") }
            return .diagMahalanobis(DiagMahalanobisDetector(mean: mean, variance: variance))
        case "logistic-probe":
            let bias = try vector("bias")
            guard bias.count == 1 else { throw fail("bias must hold one value") }
            return .logisticProbe(LogisticProbe(weights: try vector("weights"), bias: bias[0], c: try number("C")))
        case "que":
            let mean = try vector("mean"), whitening = try vector("whitening")
            guard whitening.count == mean.count * mean.count else {
                throw fail("whitening has \(whitening.count) entries, expected \(mean.count)²")
            }
            return .que(QUEDetector(mean: mean, whitening: Matrix64(rows: mean.count, cols: mean.count, data: whitening)))
        case "sae":
            return .sae(try loadSAE(file, fail: fail))
        case "sae-l0":
            let model = try loadSAE(file, fail: fail)
            guard file.tensors["fired_on_trusted"] != nil else { throw fail("missing tensor 'fired_on_trusted'") }
            let fired = try file.int64s("fired_on_trusted").data
            guard fired.count == model.latentCount else { throw fail("fired_on_trusted has \(fired.count) entries, expected \(model.latentCount)") }
            return .saeL0(SAEL0Detector(model: model, firedOnTrusted: fired.map { $0 != 0 }))
        default:
            throw fail("unknown detector kind '\(kind)'")
        }
    }
}
