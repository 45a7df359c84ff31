// DetectorPipelineTests: runs load-activations -> train-flow -> fit-detector (each detector
// kind) -> score -> evaluate, and separation, with the built binary on synthetic activations
// whose Bob rows are shifted in layers 1 and 2 only; checks AUROC is high there and ~0.5 on
// layer 0, and the exact CSV columns.
import Base
import Foundation
import XCTest
import Numerics

final class DetectorPipelineTests: XCTestCase {
    /// Writes trusted/untrusted/validation/test splits with d = 4 features in 3 layers; Bob rows
    /// are shifted by `shift` (4 sd) along feature 0 in layers 1 and 2.
    static func writeActivations(to root: String, shift: Float = 4) throws {
        var rng = SplitMix64(seed: 42)
        for (split, n, bobFraction) in [("trusted", 200, 0.0), ("untrusted", 100, 0.5), ("validation", 100, 0.5), ("test", 200, 0.5)] {
            let dir = root + "/" + split
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let character: [Int64] = (0..<n).map { Double($0) < Double(n) * (1 - bobFraction) ? 0 : 1 }
            let alice: [Int64] = (0..<n).map { _ in Int64(rng.nextInt(below: 2)) }
            let bob: [Int64] = (0..<n).map { i in rng.nextUniform() < 0.5 ? alice[i] : 1 - alice[i] }
            var tensors: [(name: String, value: SafeTensorValue)] = []
            for l in 0..<3 {
                var data = [Float]()
                for i in 0..<n {
                    let a = rng.nextGaussian(), b = rng.nextGaussian()
                    var row = [a, 0.8 * a + 0.6 * b, rng.nextGaussian(), 2 * rng.nextGaussian()].map(Float.init)
                    if l > 0 && character[i] == 1 { row[0] += shift }
                    data += row
                }
                tensors.append(("layers.\(l)", .f32(Tensor(shape: [n, 4], data: data))))
            }
            tensors += [("character", .i64(shape: [n], data: character)),
                        ("label", .i64(shape: [n], data: (0..<n).map { character[$0] == 0 ? alice[$0] : bob[$0] })),
                        ("alice_label", .i64(shape: [n], data: alice)), ("bob_label", .i64(shape: [n], data: bob)),
                        ("agreement", .i64(shape: [n], data: (0..<n).map { alice[$0] == bob[$0] ? 1 : 0 }))]
            try SafeTensors.write(tensors, metadata: ["format": "madpipe-activations/1", "model": "toy", "dataset": "synthetic",
                                                      "split": split, "layers": "3", "position": "last"], to: dir + "/activations.safetensors")
        }
    }

    static let pipeline = """
    pipeline: det
    matrix:
      detector: [mahalanobis, diag-mahalanobis, que, flow-prior, flow-mahalanobis]
    stages:
      acts:
        kind: load-activations
        params: {path: acts}
      flow:
        kind: train-flow
        inputs: {activations: acts}
        params: {epochs: 3, blocks: 2, hidden: 8, lr: 0.01}
      fit:
        kind: fit-detector
        over: [detector]
        inputs: {activations: acts, features: flow}
        params: {detector: "${detector}", shrinkage: ledoit-wolf}
      score:
        kind: score
        over: [detector]
        inputs: {detector: fit, activations: acts}
      eval:
        kind: evaluate
        inputs: {scores: score}
        params: {resamples: 50}
      sae:
        kind: train-sae
        inputs: {activations: acts}
        params: {k: 2, latents: 2, epochs: 2, batch_size: 32, auxk: 2}
      fitsae:
        kind: fit-detector
        inputs: {activations: acts, features: sae}
        params: {detector: sae-l0, layers: [1, 2]}
      probe:
        kind: train-probe
        inputs: {activations: acts}
        params: {supervised: true, folds: 3}
      scoresae:
        kind: score
        inputs: {detector: fitsae, activations: acts}
      scoreprobe:
        kind: score
        inputs: {detector: probe, activations: acts}
      evalsae:
        kind: evaluate
        inputs: {scores: scoresae}
        params: {resamples: 20}
      evalprobe:
        kind: evaluate
        inputs: {scores: scoreprobe}
        params: {resamples: 20}
      sep:
        kind: separation
        inputs: {activations: acts}
    outputs:
      auroc: eval
      separation: sep
      sae: evalsae
      probe: evalprobe
    """

    /// Parses a CSV with a header into rows of column -> value.
    static func table(_ text: String?) -> (header: [String], rows: [[String: String]]) {
        let lines = (text ?? "").split(separator: "\n").map(String.init)
        guard let first = lines.first else { return ([], []) }
        let header = first.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let rows = lines.dropFirst().map { line -> [String: String] in
            Dictionary(uniqueKeysWithValues: zip(header, line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)))
        }
        return (header, rows)
    }

    func testDetectorPipelineFindsShiftedLayers() throws {
        let s = try Sandbox("detectors")
        try Self.writeActivations(to: s.dir + "/acts")
        try s.write("p.yaml", Self.pipeline)
        let r = try s.run("run", "p.yaml")
        XCTAssertEqual(r.code, 0, r.stderr + r.stdout)

        let auroc = Self.table(s.read("results/det/auroc/auroc.csv"))
        XCTAssertEqual(auroc.header, ["model", "dataset", "detector", "layer", "subset", "auroc", "ap", "ci_low", "ci_high", "note"])
        XCTAssertEqual(auroc.rows.count, 5 * 4 * 3, "5 detectors x (3 layers + aggregate) x 3 subsets")
        for detector in ["mahalanobis", "diag-mahalanobis", "que", "flow-prior", "flow-mahalanobis"] {
            func value(_ layer: String, _ subset: String = "all") -> Double {
                Double(auroc.rows.first { $0["detector"] == detector && $0["layer"] == layer && $0["subset"] == subset }?["auroc"] ?? "") ?? .nan
            }
            XCTAssertGreaterThan(value("1"), 0.85, detector)
            XCTAssertGreaterThan(value("2"), 0.85, detector)
            XCTAssertGreaterThan(value("aggregate"), 0.8, detector)
            XCTAssertEqual(value("0"), 0.5, accuracy: 0.15, detector)
            XCTAssertGreaterThan(value("1", "disagree"), 0.8, detector)
            let row = auroc.rows.first { $0["detector"] == detector && $0["layer"] == "1" && $0["subset"] == "all" }!
            XCTAssertEqual(row["model"], "toy"); XCTAssertEqual(row["dataset"], "synthetic")
            XCTAssertLessThanOrEqual(Double(row["ci_low"]!)!, value("1")); XCTAssertGreaterThanOrEqual(Double(row["ci_high"]!)!, value("1"))
        }
        let best = Self.table(s.read("results/det/auroc/best-layer.csv"))
        XCTAssertEqual(best.rows.count, 5)
        for row in best.rows { XCTAssertTrue(["1", "2"].contains(row["best_layer"]!), "\(row)") }
        XCTAssertNotNil(s.read("results/det/auroc/auroc.json"))

        let sae = Self.table(s.read("results/det/sae/auroc.csv"))
        XCTAssertEqual(sae.rows.count, 3 * 3, "layers 1, 2 and the aggregate")
        XCTAssertTrue(sae.rows.allSatisfy { $0["detector"] == "sae-l0" && $0["model"] == "toy" && $0["note"] == "" }, "\(sae.rows)")
        // sae-l0 scores every trusted row 0 by construction: not a zero-variance layer.
        let saeBest = Self.table(s.read("results/det/sae/best-layer.csv"))
        XCTAssertTrue(["1", "2"].contains(saeBest.rows.first?["best_layer"] ?? ""), "\(saeBest.rows)")
        let probe = Self.table(s.read("results/det/probe/auroc.csv"))
        let probeLayer1 = probe.rows.first { $0["layer"] == "1" && $0["subset"] == "all" }
        XCTAssertEqual(probeLayer1?["detector"], "supervised-probe")
        XCTAssertGreaterThan(Double(probeLayer1?["auroc"] ?? "") ?? 0, 0.9)

        let sep = Self.table(s.read("results/det/separation/separation.csv"))
        XCTAssertEqual(sep.header, ["model", "dataset", "layer", "separation", "between_total_ratio", "note"])
        let bySep = Dictionary(uniqueKeysWithValues: sep.rows.map { ($0["layer"]!, Double($0["separation"]!)!) })
        XCTAssertLessThan(bySep["0"]!, 0.05)
        XCTAssertGreaterThan(bySep["1"]!, 0.5)

        // Deterministic outputs: a second run is fully cached and the published files identical.
        let before = s.read("results/det/auroc/auroc.csv")
        let (again, counts) = try s.runJSON(["p.yaml"])
        XCTAssertEqual(again.code, 0)
        XCTAssertEqual(counts["executed"], 0)
        XCTAssertEqual(s.read("results/det/auroc/auroc.csv"), before)
    }

    func testLoadActivationsNamesTheBadTensor() throws {
        let s = try Sandbox("badacts")
        try Self.writeActivations(to: s.dir + "/acts")
        // Overwrite the test split with a NaN in layers.1.
        var t = [Float](repeating: 0, count: 8); t[5] = .nan
        try SafeTensors.write([("layers.0", .f32(Tensor(shape: [2, 4], data: [Float](repeating: 0, count: 8)))),
                               ("layers.1", .f32(Tensor(shape: [2, 4], data: t))),
                               ("character", .i64(shape: [2], data: [0, 1])), ("label", .i64(shape: [2], data: [0, 1])),
                               ("alice_label", .i64(shape: [2], data: [0, 1])), ("bob_label", .i64(shape: [2], data: [0, 1])),
                               ("agreement", .i64(shape: [2], data: [1, 1]))], to: s.dir + "/acts/test/activations.safetensors")
        try s.write("p.yaml", "pipeline: bad\nstages:\n  acts:\n    kind: load-activations\n    params: {path: acts}\n")
        let r = try s.run("run", "p.yaml")
        XCTAssertNotEqual(r.code, 0)
        let text = r.stderr + r.stdout
        XCTAssertTrue(text.contains("layers.1") && text.contains("NaN"), text)
        XCTAssertTrue(text.contains("test/activations.safetensors"), text)
    }

    /// Activations whose test split holds only Alice's rows: before, fit-detector, score and
    /// evaluate "succeeded" with every AUROC `nan` and an empty best-layer table; now evaluate
    /// fails naming the score instance, the split and the tensor, and publishes nothing.
    func testOneClassTestSplitFailsLoudly() throws {
        let s = try Sandbox("oneclass")
        try Self.writeActivations(to: s.dir + "/acts")
        let path = s.dir + "/acts/test/activations.safetensors"
        let file = try SafeTensorsFile(path: path)
        var tensors: [(name: String, value: SafeTensorValue)] = try file.names.filter { $0.hasPrefix("layers.") }.map { ($0, .f32(try file.tensor($0))) }
        for name in ["label", "alice_label", "bob_label", "agreement"] { tensors.append((name, .i64(shape: [200], data: try file.int64s(name).data))) }
        tensors.append(("character", .i64(shape: [200], data: [Int64](repeating: 0, count: 200))))
        try SafeTensors.write(tensors, metadata: file.metadata, to: path)
        try s.write("p.yaml", """
        pipeline: oneclass
        matrix: {detector: [mahalanobis, diag-mahalanobis]}
        stages:
          acts: {kind: load-activations, params: {path: acts}}
          fit: {kind: fit-detector, over: [detector], inputs: {activations: acts}, params: {detector: "${detector}"}}
          score: {kind: score, over: [detector], inputs: {detector: fit, activations: acts}}
          eval: {kind: evaluate, inputs: {scores: score}, params: {resamples: 10}}
        outputs: {auroc.csv: eval/auroc.csv}
        """)
        let r = try s.run("run", "p.yaml")
        XCTAssertNotEqual(r.code, 0, r.stdout)
        let text = r.stderr + r.stdout
        for part in ["stage eval failed", "score[detector=", "split 'test'", "tensor 'character'", "200 Alice, 0 Bob"] {
            XCTAssertTrue(text.contains(part), "\(part) in: \(text)")
        }
        XCTAssertNil(s.read("results/oneclass/auroc.csv"), "no table of NaNs is published")
    }

    /// Layer 0 constant in every split: the run succeeds, layer 0's rows say why their AUROC means
    /// nothing (`note`), nothing is NaN without a note, and layer 0 is never the best layer.
    func testZeroVarianceLayerIsMarkedInThePublishedTables() throws {
        let s = try Sandbox("zerovar")
        try Self.writeActivations(to: s.dir + "/acts")
        for split in ["trusted", "untrusted", "validation", "test"] {
            let path = s.dir + "/acts/\(split)/activations.safetensors"
            let file = try SafeTensorsFile(path: path)
            var tensors: [(name: String, value: SafeTensorValue)] = []
            for name in file.names {
                if name == "layers.0" {
                    let t = try file.tensor(name)
                    tensors.append((name, .f32(Tensor(shape: t.shape, data: [Float](repeating: 0.25, count: t.data.count)))))
                } else if name.hasPrefix("layers.") {
                    tensors.append((name, .f32(try file.tensor(name))))
                } else {
                    tensors.append((name, .i64(shape: file.tensors[name]!.shape, data: try file.int64s(name).data)))
                }
            }
            try SafeTensors.write(tensors, metadata: file.metadata, to: path)
        }
        try s.write("p.yaml", """
        pipeline: zerovar
        matrix: {detector: [mahalanobis, diag-mahalanobis, que]}
        stages:
          acts: {kind: load-activations, params: {path: acts}}
          fit: {kind: fit-detector, over: [detector], inputs: {activations: acts}, params: {detector: "${detector}"}}
          score: {kind: score, over: [detector], inputs: {detector: fit, activations: acts}}
          eval: {kind: evaluate, inputs: {scores: score}, params: {resamples: 10}}
          sep: {kind: separation, inputs: {activations: acts}}
        outputs: {eval: eval, separation.csv: sep/separation.csv}
        """)
        let r = try s.run("run", "p.yaml")
        XCTAssertEqual(r.code, 0, r.stderr + r.stdout)
        let auroc = Self.table(s.read("results/zerovar/eval/auroc.csv"))
        XCTAssertEqual(auroc.rows.count, 3 * 4 * 3)
        for row in auroc.rows {
            if row["layer"] == "0" { XCTAssertTrue(row["note", default: ""].contains("zero variance"), "\(row)") }
            if row["auroc"] == "nan" { XCTAssertFalse(row["note", default: ""].isEmpty, "NaN without a note: \(row)") }
        }
        let best = Self.table(s.read("results/zerovar/eval/best-layer.csv"))
        XCTAssertEqual(best.rows.count, 3)
        for row in best.rows { XCTAssertTrue(["1", "2"].contains(row["best_layer", default: ""]), "\(row)") }
        let sep = Self.table(s.read("results/zerovar/separation.csv"))
        let sep0 = sep.rows.first { $0["layer"] == "0" }
        XCTAssertEqual(sep0?["separation"], "nan")
        XCTAssertTrue(sep0?["note", default: ""].contains("zero variance") == true, "\(String(describing: sep0))")
    }

    /// pipelines/examples in the repository.
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("pipelines/examples")

    /// Skips unless python3 with numpy runs (the examples' stand-in extraction script needs it).
    static func requireNumpy() throws {
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        check.arguments = ["python3", "-c", "import numpy"]
        check.standardError = FileHandle.nullDevice
        do { try check.run(); check.waitUntilExit() } catch { throw XCTSkip("python3 not runnable") }
        guard check.terminationStatus == 0 else { throw XCTSkip("python3 with numpy is not available") }
    }

    /// The shipped example: a numpy script writes .npy activations, madpipe does the rest.
    func testExternalActivationsExample() throws {
        try Self.requireNumpy()
        let examples = Self.examples
        let s = try Sandbox("external")
        try FileManager.default.copyItem(atPath: examples.appendingPathComponent("make_activations.py").path, toPath: s.dir + "/make_activations.py")
        // Same pipeline, with fewer bootstrap resamples and flow epochs to stay fast in debug builds.
        let yaml = try String(contentsOf: examples.appendingPathComponent("external-activations.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "resamples: 1000", with: "resamples: 20")
            .replacingOccurrences(of: "epochs: 10", with: "epochs: 2")
        try s.write("p.yaml", yaml)
        let r = try s.run("run", "p.yaml")
        XCTAssertEqual(r.code, 0, r.stderr + r.stdout)
        let auroc = Self.table(s.read("results/external-activations/auroc/auroc.csv"))
        XCTAssertEqual(auroc.header, ["model", "dataset", "detector", "layer", "subset", "auroc", "ap", "ci_low", "ci_high", "note"])
        for detector in ["mahalanobis", "que", "flow-mahalanobis"] {
            func value(_ layer: String) -> Double {
                Double(auroc.rows.first { $0["detector"] == detector && $0["layer"] == layer && $0["subset"] == "all" }?["auroc"] ?? "") ?? .nan
            }
            XCTAssertGreaterThan(value("3"), 0.9, detector)
            XCTAssertEqual(value("0"), 0.5, accuracy: 0.1, detector)
            XCTAssertEqual(auroc.rows.first { $0["detector"] == detector }?["model"], "synthetic")
        }
    }

    /// The shipped load-activations example on activations written by the numpy script.
    func testLoadActivationsExample() throws {
        try Self.requireNumpy()
        let examples = Self.examples
        let s = try Sandbox("load-acts")
        let gen = Process()
        gen.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gen.arguments = ["python3", examples.appendingPathComponent("make_activations.py").path, s.dir + "/acts"]
        try gen.run(); gen.waitUntilExit()
        XCTAssertEqual(gen.terminationStatus, 0)
        let yaml = try String(contentsOf: examples.appendingPathComponent("load-activations.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "resamples: 1000", with: "resamples: 20")
        try s.write("p.yaml", yaml)
        let r = try s.run("run", "p.yaml")
        XCTAssertEqual(r.code, 0, r.stderr + r.stdout)
        let auroc = Self.table(s.read("results/load-activations/auroc.csv"))
        func value(_ detector: String, _ layer: String) -> Double {
            Double(auroc.rows.first { $0["detector"] == detector && $0["layer"] == layer && $0["subset"] == "all" }?["auroc"] ?? "") ?? .nan
        }
        // The script shifts Bob rows from layer 2 on: detectable there, chance at layer 0.
        XCTAssertGreaterThan(value("mahalanobis", "3"), 0.9)
        XCTAssertEqual(value("mahalanobis", "0"), 0.5, accuracy: 0.1)
        XCTAssertNotNil(s.read("results/load-activations/separation.csv"))
    }
}
