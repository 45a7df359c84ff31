// HTMLReport: writes the report directory: a self-contained index.html (inline CSS and SVG,
// no external resources), figures/*.svg and the tables it was built from. Its footer names the
// madpipe build (version, commit, dirty) and the numeric environment (BLAS, CPU, OS) that made it.

import BuildInfo
import Base
import Foundation
import Plot

/// Renders and writes the HTML report.
public enum HTMLReport {
    /// Escapes text for HTML element content and attribute values: the XML escaping of the
    /// figures (SVGWriter.escape), which also drops the control characters HTML forbids.
    public static func escape(_ s: String) -> String { SVGWriter.escape(s) }

    /// Writes `index.html`, `figures/<id>.svg` (available figures only) and `tables/*.csv`
    /// (the summary and each input table) under `directory`. Returns the figures.
    @discardableResult
    public static func write(_ inputs: ReportInputs, to directory: String) throws -> [ReportFigure] {
        let figures = ReportFigures.all(inputs)
        let summary = ReportSummary.table(inputs)
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory + "/figures", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: directory + "/tables", withIntermediateDirectories: true)
        for f in figures { if let svg = f.svg { try Data(svg.utf8).write(to: URL(fileURLWithPath: "\(directory)/figures/\(f.id).svg")) } }
        var tables: [(String, CSVTable)] = [("summary", summary)]
        for (name, t) in [("auroc", inputs.auroc), ("best-layer", inputs.bestLayer), ("quirkiness", inputs.quirkiness),
                          ("separation", inputs.separation), ("twins", inputs.twins), ("timings", inputs.timings)] {
            if let t { tables.append((name, t)) }
        }
        if let findings = try? ReportFindings.table(inputs) { tables.append(("findings", findings)) }
        for (name, t) in tables { try Data(t.csv().utf8).write(to: URL(fileURLWithPath: "\(directory)/tables/\(name).csv")) }
        let html = render(inputs, figures: figures, summary: summary)
        try Data(html.utf8).write(to: URL(fileURLWithPath: directory + "/index.html"))
        return figures
    }

    /// The HTML page (deterministic for the same inputs).
    public static func render(_ inputs: ReportInputs, figures: [ReportFigure], summary: CSVTable) -> String {
        var h = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(inputs.title))</title>
        <style>\(css)</style>
        </head>
        <body>
        <h1>\(escape(inputs.title))</h1>

        """
        h += "<nav><ul>"
        for f in figures { h += "<li><a href=\"#\(escape(f.id))\">\(escape(f.title))</a></li>" }
        if inputs.quirkiness != nil { h += "<li><a href=\"#quirkiness\">Quirkiness</a></li>" }
        if inputs.twins != nil { h += "<li><a href=\"#findings\">METHOD.md section 9</a></li>" }
        h += "<li><a href=\"#summary\">Summary table</a></li><li><a href=\"#params\">Params and provenance</a></li>"
        h += "<li><a href=\"#timings\">Timings</a></li></ul></nav>\n"
        if !inputs.notes.isEmpty {
            h += "<section class=\"notes\"><h2>Problems with the inputs</h2><ul>"
            for n in inputs.notes { h += "<li>\(escape(n))</li>" }
            h += "</ul></section>\n"
        }
        for f in figures {
            h += "<section class=\"figure\" id=\"\(escape(f.id))\"><h2>\(escape(f.title))</h2>\n"
            if let svg = f.svg {
                h += "<figure>\(inlineSVG(svg, id: f.id))<figcaption>\(escape(f.caption))</figcaption></figure>\n"
            } else {
                h += "<p class=\"unavailable\">not available: \(escape(f.unavailable ?? "no data"))</p>\n"
            }
            h += "</section>\n"
        }
        if let t = inputs.twins {
            h += "<section id=\"twins\"><h2>Quirky model minus truthful twin (aggregated score)</h2>\n"
            h += "<p>AUROC of the layer-aggregated score on each quirky model and on its truthful twin, on the same test prompts, their difference and its paired bootstrap 95% interval (all layers and subsets: tables/twins.csv). A difference above 0 is the detector responding to Bob's mechanism rather than to the input.</p>\n"
            h += table(ReportTwins.aggregateTable(t))
            h += "</section>\n"
        }
        if let q = ReportQuirkiness.table(inputs) {
            h += "<section id=\"quirkiness\"><h2>Quirkiness</h2>\n"
            h += "<p>Each model on the hard test split (held-out names): Alice's and Bob's accuracy on their own labels and the quirkiness coefficient (nats; above \(ReportFindings.quirkyMin): quirky)."
            if q.column("twin_alice_accuracy") != nil {
                h += " Beside each quirky model, its truthful twin's accuracies: a twin's labels are the truth on both sides, so they are its truthfulness."
            }
            h += "</p>\n" + table(q) + "</section>\n"
        }
        if inputs.twins != nil {
            h += "<section id=\"findings\"><h2>METHOD.md section 9, judged on the twins</h2>\n"
            do {
                h += "<p>Each finding of METHOD.md section 9, measured on the quirky models against their truthful twins (tables/findings.csv). The rules are fixed in the report's code, not tuned to a run.</p>\n"
                h += table(try ReportFindings.table(inputs))
            } catch {
                h += "<p class=\"unavailable\">not available: \(escape((error as? Unavailable)?.why ?? "\(error)"))</p>\n"
            }
            h += "</section>\n"
        }
        h += "<section id=\"summary\"><h2>Summary table</h2>\n"
        h += "<p>Mean AUROC over layers and aggregated AUROC (all test points; agree / disagree subsets where given), and the best layer chosen on the validation split with its validation and test AUROC.</p>\n"
        h += summary.rows.isEmpty ? "<p class=\"unavailable\">not available: no auroc or best-layer table was given</p>\n" : table(summary)
        h += "</section>\n<section id=\"params\"><h2>Params and provenance</h2>\n"
        h += keyValues(inputs.params, empty: "no params were given")
        h += keyValues(inputs.provenance, empty: "no provenance was given")
        h += "</section>\n<section id=\"timings\"><h2>Per-stage timings</h2>\n"
        if let t = inputs.timings {
            let total = t.column("seconds").map { c in t.rows.compactMap { CSVTable.number($0[c]) }.reduce(0, +) } ?? 0
            h += "<p>\(t.rows.count) stage\(t.rows.count == 1 ? "" : "s"), \(escape(ReportFormat.fixed(total, 1))) s in all."
            if t.column("state") != nil {
                h += " State: <em>executed</em> or <em>cached</em> (reused) in the latest run of this pipeline; <em>missing</em> or "
                    + "<em>stale</em>: no record for the current params and inputs (seconds blank). <em>made by run</em>: the run that executed the record."
            }
            h += "</p>\n"
            h += table(t)
        } else {
            h += "<p class=\"unavailable\">not available: no timings were given</p>\n"
        }
        h += "</section>\n"
        // The code that made the report, on a line of its own: `madpipe reproduce` compares the
        // rest of the report and only notes this line (ResultComparison.buildLineMarker).
        let env = NumericEnvironment.current.fields.filter { !["version", "commit", "dirty"].contains($0.name) }
        h += "<footer id=\"madpipe-build\">made by madpipe \(escape(BuildInfo.description)); "
            + env.map { "\($0.name) \(escape($0.value.replacingOccurrences(of: "\n", with: " ")))" }.joined(separator: "; ") + "</footer>\n"
        h += "</body>\n</html>\n"
        return h
    }

    /// An SVG document as inline markup: any XML declaration or doctype dropped, and its ids
    /// (clip paths) prefixed with the figure's id, since every figure numbers its own from 1 and
    /// ids must be unique in the page (a repeated clip id clips a later figure by an earlier
    /// figure's rectangle).
    static func inlineSVG(_ svg: String, id: String) -> String {
        guard let r = svg.range(of: "<svg") else { return "" }
        let p = id.filter { $0.isLetter || $0.isNumber || $0 == "-" }
        return String(svg[r.lowerBound...]).replacingOccurrences(of: " id=\"", with: " id=\"\(p)-")
            .replacingOccurrences(of: "url(#", with: "url(#\(p)-").replacingOccurrences(of: "href=\"#", with: "href=\"#\(p)-")
    }

    /// A CSV table as an HTML table; numeric cells are right-aligned.
    static func table(_ t: CSVTable) -> String {
        var h = "<div class=\"scroll\"><table><thead><tr>"
        for c in t.header { h += "<th>\(escape(c))</th>" }
        h += "</tr></thead><tbody>\n"
        for r in t.rows {
            h += "<tr>"
            for v in r { h += CSVTable.number(v) != nil ? "<td class=\"num\">\(escape(v))</td>" : "<td>\(escape(v))</td>" }
            h += "</tr>\n"
        }
        return h + "</tbody></table></div>\n"
    }

    static func keyValues(_ kv: [(String, String)], empty: String) -> String {
        guard !kv.isEmpty else { return "<p class=\"unavailable\">not available: \(escape(empty))</p>\n" }
        var h = "<table class=\"kv\"><tbody>\n"
        for (k, v) in kv { h += "<tr><th>\(escape(k))</th><td>\(escape(v))</td></tr>\n" }
        return h + "</tbody></table>\n"
    }

    static let css = """
    body{font-family:Helvetica,Arial,sans-serif;margin:24px auto;max-width:1320px;padding:0 16px;color:#222;line-height:1.4}
    h1{font-size:26px;margin-bottom:8px}h2{font-size:19px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
    nav ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:6px 16px;font-size:14px}nav a{color:#0072b2}
    figure{margin:8px 0}figure svg{max-width:100%;height:auto;display:block}figcaption{font-size:13px;color:#555;max-width:900px}
    .unavailable{background:#fafafa;border:1px dashed #bbb;padding:14px;color:#666}
    .notes{background:#fff4e5;border:1px solid #e69f00;padding:4px 16px}
    .scroll{overflow-x:auto}table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left}
    thead th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}table.kv th{background:#f7f7f7}
    """
}
