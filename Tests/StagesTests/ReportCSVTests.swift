// ReportCSVTests: the CSV reader and writer the report uses: quoting, line endings, errors with
// file and line, and concatenation of tables with different columns.

import Base
import XCTest
@testable import Report
@testable import Stages

final class ReportCSVTests: XCTestCase {
    func testParsesQuotedFieldsAndCRLF() throws {
        let t = try CSVTable.parse("a,b,c\r\n1,\"x, \"\"y\"\"\",3\r\n\r\n4,\"multi\nline\",\r\n", source: "t.csv")
        XCTAssertEqual(t.header, ["a", "b", "c"])
        XCTAssertEqual(t.rows, [["1", "x, \"y\"", "3"], ["4", "multi\nline", ""]])
        XCTAssertEqual(t.records[1]["b"], "multi\nline")
    }

    func testRaggedRowNamesFileAndLine() {
        XCTAssertThrowsError(try CSVTable.parse("a,b\n1,2\n3\n", source: "auroc.csv")) { e in
            XCTAssertEqual(e as? CSVError, .ragged(source: "auroc.csv", line: 3, expected: 2, found: 1))
            XCTAssertEqual("\(e)", "auroc.csv:3: the row has 1 field but the header has 2")
        }
        XCTAssertThrowsError(try CSVTable.parse("a,b\n1,\"open\n", source: "q.csv")) { e in
            XCTAssertEqual(e as? CSVError, .unterminatedQuote(source: "q.csv", line: 2))
        }
        XCTAssertThrowsError(try CSVTable.parse("\n\n", source: "e.csv")) { e in
            XCTAssertEqual(e as? CSVError, .empty(source: "e.csv"))
        }
    }

    func testRequireListsMissingColumns() throws {
        let t = try CSVTable.parse("model,auroc\nm,0.5\n", source: "auroc.csv")
        XCTAssertThrowsError(try t.require(["model", "layer", "subset"])) { e in
            XCTAssertEqual("\(e)", "auroc.csv: missing columns layer, subset")
        }
        XCTAssertNoThrow(try t.require(["auroc"]))
    }

    func testConcatenateUnionsColumns() throws {
        let a = try CSVTable.parse("x,y\n1,2\n")
        let b = try CSVTable.parse("y,z\n3,4\n")
        let c = CSVTable.concatenate([a, b])
        XCTAssertEqual(c.header, ["x", "y", "z"])
        XCTAssertEqual(c.rows, [["1", "2", ""], ["", "3", "4"]])
    }

    func testWriteRoundTrips() throws {
        let t = CSVTable(header: ["name", "v"], rows: [["a,b", "1"], ["say \"hi\"", " 2"], ["line\nbreak", ""]])
        XCTAssertEqual(t.csv(), "name,v\n\"a,b\",1\n\"say \"\"hi\"\"\",\" 2\"\n\"line\nbreak\",\n")
        XCTAssertEqual(try CSVTable.parse(t.csv()).rows, t.rows)
    }

    func testNumbers() {
        XCTAssertEqual(CSVTable.number(" 0.25 "), 0.25)
        XCTAssertNil(CSVTable.number(""))
        XCTAssertNil(CSVTable.number("nan"))
        XCTAssertNil(CSVTable.number("aggregate"))
        XCTAssertEqual(ReportFormat.fixed(-0.00001, 3), "0.000")
        XCTAssertEqual(ReportFormat.fixed(.nan, 3), "—")
    }
}
