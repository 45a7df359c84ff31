// ReportSamples: small, hand-made report tables (AUROC rising with separation, quirkiness,
// per-prompt outputs) shared by the Report and Stages tests.

import Base
import Foundation
import Report

public enum ReportSamples {
    public static let models = ["gpt2s"], datasets = ["addition", "subtraction"], detectors = ["mahalanobis", "sae-l0"]

    /// AUROC rising with separation, which rises with the layer.
    public static func separationValue(_ dataset: Int, _ layer: Int) -> Double { 0.1 * Double(layer + 1) * Double(dataset + 1) }

    public static var auroc: String {
        var s = "model,dataset,detector,layer,subset,auroc,ap,ci_low,ci_high\n"
        for m in models {
            for (di, d) in datasets.enumerated() {
                for (k, det) in detectors.enumerated() {
                    for layer in 0..<4 {
                        let a = 0.5 + 0.1 * Double(layer) + 0.02 * Double(di) - 0.05 * Double(k)
                        s += "\(m),\(d),\(det),\(layer),all,\(a),\(a - 0.1),\(a - 0.05),\(a + 0.05)\n"
                        s += "\(m),\(d),\(det),\(layer),agree,\(a - 0.1),\(a - 0.2),\(a - 0.15),\(a - 0.05)\n"
                    }
                    s += "\(m),\(d),\(det),aggregate,all,\(0.8 - 0.05 * Double(k)),0.7,0.75,0.85\n"
                    s += "\(m),\(d),\(det),aggregate,disagree,0.9,0.8,0.85,0.95\n"
                }
            }
        }
        return s
    }

    public static let bestLayer = """
    model,dataset,detector,best_layer,validation_auroc,test_auroc
    gpt2s,addition,mahalanobis,2,0.71,0.69
    gpt2s,addition,sae-l0,3,0.66,0.64
    gpt2s,subtraction,mahalanobis,3,0.8,0.81

    """

    public static let quirkiness = """
    model,dataset,alice_accuracy,bob_accuracy,quirkiness,loss_alice_own,loss_alice_other,loss_bob_own,loss_bob_other
    gpt2s,addition,0.95,0.9,1.2,0.2,1.4,0.3,1.5
    gpt2s,subtraction,0.9,0.7,0.4,0.4,0.9,0.6,1.0

    """

    public static var separation: String {
        var s = "model,dataset,layer,separation,between_total_ratio\n"
        for (di, d) in datasets.enumerated() {
            for layer in 0..<4 { s += "gpt2s,\(d),\(layer),\(separationValue(di, layer)),0.1\n" }
        }
        return s
    }

    public static func outputs(shift: Double) -> String {
        var s = "id,character,label,alice_label,bob_label,agreement,logit_yes,logit_no,loss_alice,loss_bob,log_odds\n"
        for i in 0..<12 {
            let alice = i % 2 == 0
            let label = (i / 2) % 2
            let z = (label == 1 ? 1.0 : -1.0) * Double(i % 5 + 1) * 0.5 + (alice ? 0 : shift)
            s += "p\(i),\(alice ? "alice" : "bob"),\(label),\(label),\(1 - label),disagree,\(z),0,0.3,0.9,\(z)\n"
        }
        return s
    }

    public static func inputs(title: String = "Synthetic report") throws -> ReportInputs {
        ReportInputs(title: title, auroc: try CSVTable.parse(auroc, source: "auroc.csv"),
                     bestLayer: try CSVTable.parse(bestLayer, source: "best-layer.csv"),
                     quirkiness: try CSVTable.parse(quirkiness, source: "quirkiness.csv"),
                     separation: try CSVTable.parse(separation, source: "separation.csv"),
                     outputs: [(name: "outputs/gpt2s/addition.csv", table: try CSVTable.parse(outputs(shift: 0.5))),
                               (name: "outputs/gpt2s/subtraction.csv", table: try CSVTable.parse(outputs(shift: 2)))],
                     timings: CSVTable(header: ["stage", "seconds"], rows: [["data", "1.5"], ["finetune", "12.25"]]),
                     params: [("seed", "0")], provenance: [("engine", "0.1.0")])
    }
}
