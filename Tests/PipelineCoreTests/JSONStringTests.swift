// JSONStringTests: the one JSON string escaper (Base.JSONValue.quoted, which PipelineCore's
// `Value` is) on tricky strings: the exact escapes the earlier writers produced, and round trips
// through Foundation's JSONSerialization as an independent parser, in both directions.
import Foundation
import XCTest
import PipelineCore

final class JSONStringTests: XCTestCase {
    /// Single scalars every earlier escaper had to handle: controls, quote, backslash, DEL,
    /// non-ASCII (two-, three- and four-byte UTF-8, a combining mark, line separators, BOM).
    static let scalars: [String] = (0..<0x20).map { String(UnicodeScalar(UInt8($0))) }
        + ["\"", "\\", "/", "a", " ", "\u{7F}", "é", "中", "🙂", "e\u{301}", "\u{2028}", "\u{2029}", "\u{FEFF}", "\u{FFFD}"]

    /// Every scalar alone and every ordered pair of them, plus a few longer strings.
    static var tricky: [String] {
        scalars + scalars.flatMap { a in scalars.map { a + $0 } }
            + ["", "plain text", #"C:\path\"quoted"\n"#, "line one\nline two\r\n\ttabbed", "</script>", "\u{0}\u{0}"]
    }

    func testEscapesAsTheEarlierWritersDid() {
        XCTAssertEqual(Value.quoted(#"a"b\c"#), #""a\"b\\c""#)
        XCTAssertEqual(Value.quoted("\n\r\t"), #""\n\r\t""#)
        XCTAssertEqual(Value.quoted("\u{0}\u{8}\u{C}\u{1B}\u{1F}"), #""\u0000\u0008\u000c\u001b\u001f""#)
        // Everything from U+0020 up, non-ASCII included, is written as it is.
        XCTAssertEqual(Value.quoted("é🙂\u{7F}\u{2028}/ x"), "\"é🙂\u{7F}\u{2028}/ x\"")
        XCTAssertEqual(Value.quoted(""), "\"\"")
    }

    /// swift-corelibs-foundation's JSONSerialization drops U+FEFF inside strings (in both
    /// directions), so it is no reference for that one scalar; madpipe's own parser still is.
    static func foundationReadsFaithfully(_ s: String) -> Bool { !s.unicodeScalars.contains("\u{FEFF}") }

    func testFoundationParsesWhatTheEscaperWrites() throws {
        for s in Self.tricky {
            let text = "[" + Value.quoted(s) + "]"
            XCTAssertEqual(try Value.parseJSON(text), .list([.string(s)]), text.debugDescription)
            guard Self.foundationReadsFaithfully(s) else { continue }
            let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String]
            XCTAssertEqual(parsed, [s], text.debugDescription)
        }
    }

    func testParserReadsWhatFoundationWrites() throws {
        for s in Self.tricky where Self.foundationReadsFaithfully(s) {
            let data = try JSONSerialization.data(withJSONObject: ["k": s, s: [1, 2.5]] as [String: Any])
            let v = try Value.parseJSON(bytes: Array(data))
            XCTAssertEqual(v["k"], .string(s), s.debugDescription)
            XCTAssertEqual(v[s], .list([.int(1), .double(2.5)]), s.debugDescription)
        }
        // Escapes Foundation and other writers use that the escaper itself never writes.
        XCTAssertEqual(try Value.parseJSON(#""\/\b\f\u00e9\ud83d\ude42""#), .string("/\u{8}\u{C}é🙂"))
        // A NUL byte after the value is trailing text, as Foundation also says (safetensors headers
        // are parsed here and must not hide bytes after the object).
        XCTAssertThrowsError(try JSONSerialization.jsonObject(with: Data("{}\u{0}x".utf8)))
        XCTAssertThrowsError(try Value.parseJSON("{}\u{0}x"))
        XCTAssertEqual(try Value.parseJSON("{} \n"), .map([]))
    }

    /// What is not JSON is refused, as Foundation refuses it: an unknown escape, a raw control
    /// character inside a string, a high surrogate followed by no low one.
    func testMalformedStringsAreRefusedLikeFoundationDoes() {
        for bad in [#""a\xb""#, "\"a\u{1}b\"", "\"tab\there\"", #""\ud83d\u0041""#] {
            XCTAssertThrowsError(try JSONSerialization.jsonObject(with: Data("[\(bad)]".utf8)), bad.debugDescription)
            XCTAssertThrowsError(try Value.parseJSON("[\(bad)]"), bad.debugDescription)
        }
    }
}
