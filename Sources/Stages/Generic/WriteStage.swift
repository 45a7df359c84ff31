// WriteStage: `kind: write` writes a given text to a file. Small, fast and deterministic: the
// building block of tests and of the scheduling benchmark.

import Base
import Foundation
import PipelineCore

public struct WriteStage: StageKind {
    public init() {}
    public let name = "write"
    public var writes: Set<Artifact>? { [] }
    public let version = 1
    public let summary = "Write a text (templated) to a file in the stage output."
    public let params: [ParamSpec] = [
        ParamSpec("text", .string, "The text to write; a newline is added if missing."),
        ParamSpec("file", .string, default: .string("out.txt"), "Name of the file to write."),
    ]
    public var inputs: [InputSpec]? { [] }

    public func execute(_ context: StageContext) throws {
        var text = context.params.string("text")
        if !text.hasSuffix("\n") { text += "\n" }
        try FileSystem.writeAtomically(Data(text.utf8), to: try context.outputPath(context.params.string("file")))
    }
}
