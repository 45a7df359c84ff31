// SVGScan (test support for PlotTests and ReportTests): the elements of an SVG
// document in document order, with their attributes and (for text) their content, read with
// regular expressions: enough to assert where a chart put its marks and what its texts say.

import Foundation

/// One element of an SVG document.
public struct SVGElement {
    public var name: String
    public var attributes: [String: String]
    /// The text content of a `text` element ("" for others).
    public var text: String

    public subscript(_ attribute: String) -> String? { attributes[attribute] }
    /// A numeric attribute, or nil.
    public func number(_ attribute: String) -> Double? { attributes[attribute].flatMap(Double.init) }
}

public enum SVGScan {
    /// Opening tags (`<g ...>`, `<line .../>`, `<text ...>content</text>`) in document order;
    /// closing tags are skipped.
    public static func elements(_ svg: String) -> [SVGElement] {
        let tag = try! NSRegularExpression(pattern: #"<([a-zA-Z]+)((?:\s+[\w:-]+="[^"]*")*)\s*/?>(?:([^<]*)</text>)?"#)
        let attribute = try! NSRegularExpression(pattern: #"([\w:-]+)="([^"]*)""#)
        let ns = svg as NSString
        return tag.matches(in: svg, range: NSRange(location: 0, length: ns.length)).map { m in
            let attrText = ns.substring(with: m.range(at: 2))
            var attrs: [String: String] = [:]
            for a in attribute.matches(in: attrText, range: NSRange(location: 0, length: (attrText as NSString).length)) {
                attrs[(attrText as NSString).substring(with: a.range(at: 1))] = (attrText as NSString).substring(with: a.range(at: 2))
            }
            let text = m.range(at: 3).location == NSNotFound ? "" : ns.substring(with: m.range(at: 3))
            return SVGElement(name: ns.substring(with: m.range(at: 1)), attributes: attrs, text: text)
        }
    }

    /// The document cut at each `<g class="panel">`: one element list per panel, in order.
    public static func panels(_ svg: String) -> [[SVGElement]] {
        svg.components(separatedBy: "<g class=\"panel\">").dropFirst().map { elements($0) }
    }

    /// The pixel height of the value `v` on a panel's y axis, interpolated from the first two y
    /// tick labels (right-aligned texts in the axes group, written 4 px below their tick).
    public static func y(of v: Double, in panel: [SVGElement]) -> Double? {
        let ticks = panel.filter { $0.name == "text" && $0["text-anchor"] == "end" && $0["class"] == nil && $0["transform"] == nil }
            .compactMap { t in Double(t.text).flatMap { value in t.number("y").map { (value, $0 - 4) } } }
        guard ticks.count >= 2, ticks[0].0 != ticks[1].0 else { return nil }
        let (a, b) = (ticks[0], ticks[1])
        return a.1 + (v - a.0) / (b.0 - a.0) * (b.1 - a.1)
    }
}
