// ReportStageTests: the `report` stage kind run directly on artifact directories: gathered
// inputs are concatenated, outputs are written and byte-identical on a second run, and bad or
// missing inputs become notes and "not available" figures instead of failures.

import Base
import PipelineCore
import ReportTestSupport
import XCTest
@testable import Stages

final class ReportStageTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "report-stage-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: root) }

    func write(_ rel: String, _ text: String) throws {
        let p = root + "/" + rel
        try FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: p, atomically: true, encoding: .utf8)
    }

    func artifact(_ id: String, _ dir: String) -> InputArtifact {
        InputArtifact(stageId: id, assignment: [], path: root + "/" + dir, digest: "")
    }

    func run(_ inputs: [String: [InputArtifact]], out: String) throws -> [String] {
        var logs: [String] = []
        let params = Params([("title", .string("Stage report")), ("vars", .map([("seed", .string("3"))])),
                             ("provenance", .map([("host", .string("test-host"))]))])
        let ctx = StageContext(stageId: "report", params: params, inputs: inputs, paths: [:], outputDirectory: root + "/" + out,
                               workDirectory: root + "/work", scratchDirectory: root + "/scratch", logPath: root + "/log",
                               pipelineDirectory: root, cpus: 1, log: { logs.append($0) }, progress: { _, _ in }, isCancelled: { false })
        try ReportStage().execute(ctx)
        return logs
    }

    /// Splits the sample AUROC table into two artifacts (one per dataset), as a gather would.
    func writeSamples() throws -> [String: [InputArtifact]] {
        let lines = ReportSamples.auroc.split(separator: "\n").map(String.init)
        let header = lines[0]
        try write("ev-add/auroc.csv", ([header] + lines.dropFirst().filter { $0.contains(",addition,") }).joined(separator: "\n") + "\n")
        try write("ev-add/best-layer.csv", ReportSamples.bestLayer)
        try write("ev-sub/auroc.csv", ([header] + lines.dropFirst().filter { $0.contains(",subtraction,") }).joined(separator: "\n") + "\n")
        try write("q/quirkiness.csv", ReportSamples.quirkiness)
        try write("s/separation.csv", ReportSamples.separation)
        try write("o-add/outputs/gpt2s_addition.csv", ReportSamples.outputs(shift: 0.5))
        try write("o-sub/outputs/gpt2s_subtraction.csv", ReportSamples.outputs(shift: 2))
        try write("t/timings.json", #"{"stages": [{"id": "finetune", "seconds": 2.5}, {"id": "data", "seconds": 0.25}]}"#)
        return [
            "auroc": [artifact("ev[dataset=subtraction]", "ev-sub"), artifact("ev[dataset=addition]", "ev-add")],
            "quirkiness": [artifact("quirk", "q")], "separation": [artifact("sep", "s")],
            "outputs": [artifact("out[dataset=addition]", "o-add"), artifact("out[dataset=subtraction]", "o-sub")],
            "timings": [artifact("times", "t")],
        ]
    }

    func testWritesReportFromGatheredArtifactsDeterministically() throws {
        let inputs = try writeSamples()
        let logs = try run(inputs, out: "out1")
        XCTAssertTrue(logs.contains("wrote report/index.html with 7 of 7 figures"), logs.joined(separator: "\n"))
        let dir = root + "/out1/report"
        let html = try String(contentsOfFile: dir + "/index.html", encoding: .utf8)
        XCTAssertTrue(html.contains("<h1>Stage report</h1>"))
        XCTAssertTrue(html.contains("test-host"))
        XCTAssertFalse(html.contains("not available"))
        let figs = try FileManager.default.contentsOfDirectory(atPath: dir + "/figures").sorted()
        XCTAssertEqual(figs.count, 7)
        // Both gathered AUROC artifacts were concatenated (header once, 2 x 20 rows).
        let auroc = try CSVTable.read(path: dir + "/tables/auroc.csv")
        XCTAssertEqual(auroc.rows.count, 40)
        XCTAssertEqual(Set(auroc.records.map { $0["dataset"]! }), ["addition", "subtraction"])
        let timings = try CSVTable.read(path: dir + "/tables/timings.csv")
        XCTAssertEqual(timings.rows, [["finetune", "2.500"], ["data", "0.250"]])
        // Same inputs -> byte-identical outputs.
        _ = try run(inputs, out: "out2")
        for rel in ["index.html", "tables/summary.csv"] + figs.map({ "figures/" + $0 }) {
            XCTAssertEqual(FileManager.default.contents(atPath: dir + "/" + rel),
                           FileManager.default.contents(atPath: root + "/out2/report/" + rel), rel)
        }
    }

    func testBadAndMissingInputsBecomeNotes() throws {
        try write("ev/auroc.csv", "model,dataset,auroc\nm,d,0.5\n")
        try write("q/quirkiness.csv", "model,dataset,alice_accuracy,bob_accuracy,quirkiness\nm,d,1\n")
        try write("s/nothing.txt", "x")
        let logs = try run(["auroc": [artifact("ev", "ev")], "quirkiness": [artifact("q", "q")], "separation": [artifact("sep", "s")]], out: "out")
        let html = try String(contentsOfFile: root + "/out/report/index.html", encoding: .utf8)
        XCTAssertTrue(html.contains("missing columns detector, layer, subset, ap, ci_low, ci_high"), html)
        XCTAssertTrue(html.contains("quirkiness.csv:2: the row has 3 fields but the header has 5"))
        XCTAssertTrue(html.contains("separation: no separation.csv in sep"))
        XCTAssertTrue(html.contains("not available: no auroc table was given"))
        XCTAssertTrue(logs.contains { $0.hasPrefix("figure auroc-per-layer not available") })
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/out/report/figures/auroc-per-layer.svg"))
    }

    /// A twins.csv input gives the twin-difference figure (one line per detector over the layers)
    /// and the table of aggregated differences; without it neither appears.
    func testTwinsInputGivesDifferenceFigureAndTable() throws {
        try write("tw/twins.csv", """
            model,dataset,detector,layer,subset,quirky_auroc,twin_auroc,difference,ci_low,ci_high,alice,bob
            llama,addition,mahalanobis,0,all,0.700000,0.650000,0.050000,0.010000,0.090000,50,50
            llama,addition,mahalanobis,1,all,0.900000,0.600000,0.300000,0.250000,0.350000,50,50
            llama,addition,mahalanobis,1,agree,0.800000,0.600000,0.200000,0.100000,0.300000,25,25
            llama,addition,mahalanobis,aggregate,all,0.850000,0.620000,0.230000,0.180000,0.280000,50,50

            """)
        _ = try run(["twins": [artifact("twins", "tw")]], out: "out")
        let html = try String(contentsOfFile: root + "/out/report/index.html", encoding: .utf8)
        XCTAssertTrue(html.contains("Quirky model minus truthful twin (aggregated score)"))
        XCTAssertTrue(html.contains("<td class=\"num\">0.230000</td>"), "the aggregate difference is in the table")
        XCTAssertFalse(html.contains("<td class=\"num\">0.300000</td>"), "per-layer rows are in the figure, not the table")
        let svg = try String(contentsOfFile: root + "/out/report/figures/twin-difference.svg", encoding: .utf8)
        XCTAssertTrue(svg.contains("mahalanobis") && svg.contains("llama / addition"), svg)
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/out/report/tables/twins.csv"))
        _ = try run(["auroc": try writeSamples()["auroc"]!], out: "plain")
        XCTAssertFalse(try String(contentsOfFile: root + "/plain/report/index.html", encoding: .utf8).contains("truthful twin"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/plain/report/figures/twin-difference.svg"))
    }

    /// Two outputs tables of one model and dataset that differ on an axis (a quirky model and its
    /// twin) get panels labelled apart, not two panels with the same title.
    func testOutputsPanelsOfAQuirkyModelAndItsTwinAreLabelledApart() throws {
        try write("q/quirkiness.csv", ReportSamples.quirkiness)
        try write("o-q/outputs.csv", ReportSamples.outputs(shift: 0.5))
        try write("o-t/outputs.csv", ReportSamples.outputs(shift: 2))
        _ = try run(["quirkiness": [artifact("quirk", "q")],
                     "outputs": [artifact("logits[model=gpt2s,dataset=addition,bob_rule=quirky]", "o-q"),
                                 artifact("logits[model=gpt2s,dataset=addition,bob_rule=truthful]", "o-t")]], out: "out")
        let svg = try String(contentsOfFile: root + "/out/report/figures/log-odds.svg", encoding: .utf8)
        XCTAssertTrue(svg.contains("gpt2s / addition bob_rule=quirky"), svg)
        XCTAssertTrue(svg.contains("gpt2s / addition bob_rule=truthful"), svg)
    }

    func testDeclaresOptionalInputsAndParams() {
        let k = ReportStage()
        XCTAssertEqual(k.inputs?.map(\.name), ["auroc", "best_layer", "quirkiness", "separation", "outputs", "twins", "timings"])
        XCTAssertTrue(k.inputs!.allSatisfy { !$0.required })
        XCTAssertTrue(k.params.allSatisfy { !$0.isRequired })
        XCTAssertNotNil(BuiltinKinds.registry["report"])
    }
}
