// ReportDataTests: how the report joins its tables: a model's per-prompt outputs pair with that
// model's own hidden-state separation, a truthful twin's with the twin's (not its quirky model's).

import Base
import ReportTestSupport
import XCTest
@testable import Report

final class ReportDataTests: XCTestCase {
    func testLogitPointsPairEachInstanceWithItsOwnSeparation() throws {
        let sep = try CSVTable.parse("""
        model,dataset,bob_rule,layer,separation,between_total_ratio
        m,addition,quirky,0,0.5,0.1
        m,addition,quirky,1,2.0,0.1
        m,addition,truthful,0,0.25,0.1
        m,addition,truthful,1,0.75,0.1
        """)
        var inputs = ReportInputs(title: "t", separation: sep)
        let out = try CSVTable.parse(ReportSamples.outputs(shift: 1))
        inputs.outputs = [(name: "logits[model=m,dataset=addition,bob_rule=quirky]/test/outputs.csv", table: out),
                          (name: "logits[model=m,dataset=addition,bob_rule=truthful]/test/outputs.csv", table: out)]
        let peaks = ReportData(inputs).logitPoints.map(\.2)
        XCTAssertEqual(peaks, [2.0, 0.75])  // each instance's largest separation over layers
    }
}
