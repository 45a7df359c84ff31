// TestKinds: minimal stage kinds for planner tests (the real ones live in Stages).

import PipelineCore

struct EchoKind: StageKind {
    let name = "echo"
    let version = 1
    let summary = "test"
    let params: [ParamSpec] = [
        ParamSpec("text", .string, default: .string(""), "text"),
        ParamSpec("count", .int, default: .int(1), "count"),
        ParamSpec("rate", .double, default: .double(0.5), "rate"),
        ParamSpec("mode", .choice(["fast", "slow"]), default: .string("fast"), "mode"),
    ]
    func execute(_ context: StageContext) throws {}
}

let testRegistry = StageRegistry([EchoKind()])

func plan(_ yaml: String, overrides: [(String, Value)] = [], matrix: [(String, [Value])] = []) throws -> Plan {
    try Planner.plan(try SpecParser.parse(yaml, file: "/t/p.yaml"), registry: testRegistry, overrides: overrides, matrix: matrix)
}
