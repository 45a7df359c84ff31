// KindsCommand: `madpipe kinds`: the built-in stage kinds with their typed params and defaults.

import ArgumentParser
import PipelineCore
import Stages

struct KindsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kinds",
        abstract: "List the built-in stage kinds and their params.",
        discussion: """
        Examples:
          madpipe kinds
          madpipe kinds command
          madpipe kinds --json
        """)

    @Argument(help: "Show only this kind.") var kind: String?
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() throws {
        let registry = BuiltinKinds.registry
        var names = registry.names
        if let kind {
            guard registry[kind] != nil else {
                throw ValidationError("unknown stage kind '\(kind)'" + (suggestion(for: kind, among: names).map { "; did you mean '\($0)'?" } ?? ""))
            }
            names = [kind]
        }
        if json {
            print(Value.list(names.map { n in
                let k = registry[n]!
                return .map([("name", .string(n)), ("version", .int(k.version)), ("summary", .string(k.summary)),
                             ("params", .list(k.params.map { p in
                                 .map([("name", .string(p.name)), ("type", .string(p.type.description)),
                                       ("default", p.defaultValue ?? .null), ("required", .bool(p.isRequired)), ("doc", .string(p.doc))])
                             })),
                             ("inputs", k.inputs.map { .list($0.map { .string($0.name) }) } ?? .string("any")),
                             ("accepts_partial_gather", .bool(k.acceptsPartialGather))])
            }).prettyJSON())
            return
        }
        for n in names {
            let k = registry[n]!
            print("\(n) (v\(k.version)): \(k.summary)")
            if k.acceptsPartialGather { print("  under run -k, runs on the gathered instances that succeeded (missing.csv lists the others)") }
            if let inputs = k.inputs, !inputs.isEmpty {
                print("  inputs:")
                for i in inputs { print("    \(i.name)\(i.required ? "" : " (optional)"): \(i.doc)") }
            }
            print("  params:")
            for p in k.params {
                let d = p.defaultValue.map { "default \($0 == .string("") ? "\"\"" : $0.canonicalJSON)" } ?? "required"
                print("    \(p.name): \(p.type), \(d)")
                print("        \(p.doc)")
            }
            print("")
        }
    }
}
