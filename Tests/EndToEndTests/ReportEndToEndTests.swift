// ReportEndToEndTests: a pipeline whose `report` stage gathers CSV tables from matrix stages,
// `madpipe report` on its published results, and the page rendered by headless Chromium (when
// installed): every figure present with data marks, the screenshot not blank.

import Foundation
import XCTest

final class ReportEndToEndTests: XCTestCase {
    /// A pipeline writing synthetic result tables for two datasets and a report over them.
    static let pipeline = """
    pipeline: rep
    vars: {seed: 7}
    matrix:
      dataset: [addition, subtraction]
    stages:
      ev:
        kind: write
        over: [dataset]
        params:
          file: auroc.csv
          text: |
            model,dataset,detector,layer,subset,auroc,ap,ci_low,ci_high
            gpt2s,${dataset},mahalanobis,0,all,0.55,0.5,0.5,0.6
            gpt2s,${dataset},mahalanobis,1,all,0.7,0.6,0.65,0.75
            gpt2s,${dataset},mahalanobis,2,all,0.9,0.8,0.85,0.95
            gpt2s,${dataset},mahalanobis,3,all,0.85,0.8,0.8,0.9
            gpt2s,${dataset},mahalanobis,aggregate,all,0.88,0.8,0.84,0.92
            gpt2s,${dataset},sae-l0,0,all,0.5,0.5,0.45,0.55
            gpt2s,${dataset},sae-l0,1,all,0.62,0.6,0.57,0.67
            gpt2s,${dataset},sae-l0,2,all,0.8,0.7,0.75,0.85
            gpt2s,${dataset},sae-l0,3,all,0.78,0.7,0.73,0.83
            gpt2s,${dataset},sae-l0,aggregate,all,0.8,0.7,0.75,0.85
      quirk:
        kind: write
        params:
          file: quirkiness.csv
          text: |
            model,dataset,alice_accuracy,bob_accuracy,quirkiness,loss_alice_own,loss_alice_other,loss_bob_own,loss_bob_other
            gpt2s,addition,0.95,0.9,1.2,0.2,1.4,0.3,1.5
            gpt2s,subtraction,0.9,0.7,0.4,0.4,0.9,0.6,1.0
      sep:
        kind: write
        params:
          file: separation.csv
          text: |
            model,dataset,layer,separation,between_total_ratio
            gpt2s,addition,0,0.05,0.01
            gpt2s,addition,1,0.2,0.05
            gpt2s,addition,2,0.6,0.2
            gpt2s,addition,3,0.5,0.15
            gpt2s,subtraction,0,0.1,0.02
            gpt2s,subtraction,1,0.3,0.08
            gpt2s,subtraction,2,0.8,0.25
            gpt2s,subtraction,3,0.7,0.2
      outs:
        kind: write
        over: [dataset]
        params:
          file: outputs/gpt2s_${dataset}.csv
          text: |
            id,character,label,alice_label,bob_label,agreement,logit_yes,logit_no,loss_alice,loss_bob,log_odds
            a0,alice,1,1,0,disagree,2.0,0,0.2,1.3,2.0
            a1,alice,0,0,1,disagree,-1.5,0,0.3,1.1,-1.5
            a2,alice,1,1,1,agree,1.2,0,0.25,0.3,1.2
            b0,bob,0,1,0,disagree,-0.5,0,1.2,0.4,-0.5
            b1,bob,1,0,1,disagree,0.7,0,1.0,0.5,0.7
            b2,bob,1,1,1,agree,1.9,0,0.3,0.2,1.9
      report:
        kind: report
        inputs: {auroc: ev, quirkiness: quirk, separation: sep, outputs: outs}
        params:
          title: "Synthetic <quirky> report"
          vars: {seed: "${seed}"}
          provenance: {engine: 0.1.0, host: e2e}
    outputs:
      report: report/report
      auroc.csv: ev
      quirkiness.csv: quirk/quirkiness.csv
      separation.csv: sep/separation.csv
      outputs: outs
    """

    static let figureIDs = ["auroc-per-layer", "auroc-aggregate", "log-odds", "auroc-vs-quirkiness", "losses",
                            "auroc-vs-separation", "separation-vs-logits"]

    func testReportStageAndCommandRenderInChromium() throws {
        let s = try Sandbox("report")
        try s.write("p.yaml", Self.pipeline)
        let r = try s.run("run", "p.yaml")
        XCTAssertEqual(r.code, 0, r.stderr)
        let html = try XCTUnwrap(s.read("results/rep/report/index.html"), "report not published: \(r.stdout) \(r.stderr)")
        XCTAssertTrue(html.contains("<h1>Synthetic &lt;quirky&gt; report</h1>"))
        // Every figure is drawn; only the timings (no `timings` input here) are not available.
        XCTAssertEqual(html.components(separatedBy: "not available").count - 1, 1, html)
        XCTAssertTrue(html.contains("not available: no timings were given"))
        for id in Self.figureIDs {
            XCTAssertNotNil(s.read("results/rep/report/figures/\(id).svg"), id)
        }
        // Both matrix instances of `ev` were gathered: two datasets in the summary.
        let summary = try XCTUnwrap(s.read("results/rep/report/tables/summary.csv"))
        XCTAssertEqual(summary.split(separator: "\n").count, 5, summary)

        // `madpipe report` from the published results and the run records.
        let c = try s.run("report", "p.yaml", "-o", "cli-report")
        XCTAssertEqual(c.code, 0, c.stderr)
        XCTAssertTrue(c.stdout.contains("(7 of 7 figures)"), c.stdout + c.stderr)
        let cli = try XCTUnwrap(s.read("cli-report/index.html"))
        XCTAssertFalse(cli.contains("not available"), cli)
        // Timings of every stage instance from the records: ev x2, quirk, sep, outs x2, report.
        let timings = try XCTUnwrap(s.read("cli-report/tables/timings.csv"))
        XCTAssertEqual(timings.split(separator: "\n").count, 8, timings)
        XCTAssertTrue(timings.contains("ev[dataset=addition]") || timings.contains("ev[addition]"), timings)
        // The state is what the latest run did: it executed every stage, so each row names it.
        let firstRun = try XCTUnwrap(s.run("runs", "--json").stdout.components(separatedBy: "\"id\": \"").dropFirst().first?.prefix(while: { $0 != "\"" }))
        func states() throws -> [String] {
            try XCTUnwrap(s.read("cli-report/tables/timings.csv")).split(separator: "\n").dropFirst()
                .map { $0.components(separatedBy: ",").suffix(2).joined(separator: ",") }
        }
        XCTAssertEqual(try states(), Array(repeating: "executed,\(firstRun)", count: 7))
        // After a no-op run the latest run reused every record: cached, still made by the first run.
        XCTAssertEqual(try s.run("run", "p.yaml").code, 0)
        XCTAssertEqual(try s.run("report", "p.yaml", "-o", "cli-report").code, 0)
        XCTAssertEqual(try states(), Array(repeating: "cached,\(firstRun)", count: 7))
        XCTAssertTrue(cli.contains("seed</th><td>7"), "pipeline vars shown")

        try render(s, page: s.dir + "/results/rep/report/index.html")
    }

    /// Renders a page with headless Chromium: the DOM holds every figure's SVG with data marks
    /// and the screenshot is far from blank.
    func render(_ s: Sandbox, page: String) throws {
        guard let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
            .first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("chromium is not installed")
        }
        let base = ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(s.dir)/chromium-profile"]
        let dom = try Self.exec(chromium, base + ["--dump-dom", "file://" + page])
        for id in Self.figureIDs {
            guard let start = dom.range(of: "id=\"\(id)\"") else { XCTFail("figure \(id) missing from the DOM"); continue }
            let rest = dom[start.upperBound...]
            let section = rest[..<(rest.range(of: "</section>")?.lowerBound ?? rest.endIndex)]
            XCTAssertTrue(section.contains("<svg"), "\(id) has no svg")
            XCTAssertTrue(section.contains("<circle") || section.contains("<rect") && section.contains("<polyline")
                          || section.contains("<polyline"), "\(id) has no data marks")
        }
        try "<html><body></body></html>".write(toFile: s.dir + "/blank.html", atomically: true, encoding: .utf8)
        for (name, url) in [("report.png", "file://" + page), ("blank.png", "file://\(s.dir)/blank.html")] {
            _ = try Self.exec(chromium, base + ["--screenshot=\(s.dir)/\(name)", "--window-size=1280,2400", url])
        }
        let shot = (try? FileManager.default.attributesOfItem(atPath: s.dir + "/report.png")[.size] as? Int) ?? 0
        let blank = (try? FileManager.default.attributesOfItem(atPath: s.dir + "/blank.png")[.size] as? Int) ?? 0
        XCTAssertGreaterThan(blank, 0, "chromium wrote no screenshot")
        // A single-colour page compresses to almost nothing; charts and text do not.
        XCTAssertGreaterThan(shot, 4 * blank, "the screenshot looks blank (\(shot) bytes vs \(blank) for an empty page)")
    }

    /// Runs a program and returns its standard output.
    /// Runs `path` with its stdout in a file (not a pipe: a helper process chromium leaves behind
    /// may hold a pipe open, and reading to its end then never returns, as seen once in CI) and a
    /// time limit.
    static func exec(_ path: String, _ args: [String], timeout: Double = 120) throws -> String {
        let outPath = NSTemporaryDirectory() + "madpipe-exec-\(UUID().uuidString).out"
        FileManager.default.createFile(atPath: outPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: outPath) }
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(50_000) }
        if p.isRunning {
            p.terminate()
            XCTFail("\(path) \(args.joined(separator: " ")) did not finish in \(Int(timeout)) s")
        }
        p.waitUntilExit()
        try out.close()
        return (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
    }
}
