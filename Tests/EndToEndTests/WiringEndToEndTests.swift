// WiringEndToEndTests: `load-activations` reads another stage's output given as its
// `activations` input (here a command that writes the activations), not only a literal path.

import Foundation
import XCTest

final class WiringEndToEndTests: XCTestCase {
    func testLoadActivationsFromAStageInput() throws {
        let s = try Sandbox("wiring")
        try DetectorPipelineTests.writeActivations(to: s.dir + "/raw")
        try s.write("p.yaml", """
        pipeline: wired
        stages:
          make:
            kind: command
            deps: {raw: raw}
            run: "cp -R ${deps.raw} acts"
            outs: [acts]
          acts: {kind: load-activations, inputs: {activations: make/acts}, params: {splits: [trusted, test]}}
          fit: {kind: fit-detector, inputs: {activations: acts}, params: {detector: diag-mahalanobis}}
        outputs: {acts: acts}
        """)
        let v = try s.run("validate", "p.yaml")
        XCTAssertEqual(v.code, 0, v.stderr)
        let r = try s.run("run", "p.yaml")
        XCTAssertEqual(r.code, 0, r.stderr + r.stdout)
        for split in ["trusted", "test"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: s.dir + "/results/wired/acts/\(split)/activations.safetensors"), split)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: s.dir + "/results/wired/acts/validation"))
    }
}
