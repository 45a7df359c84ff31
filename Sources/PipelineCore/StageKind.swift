// StageKind: what a built-in stage kind declares (typed, documented params) and does (execute),
// and the registry that `madpipe kinds` lists.

/// The type of a stage parameter, checked when a pipeline is validated.
public enum ParamType: Equatable, Sendable, CustomStringConvertible {
    /// "an int", "a string", ... for error messages.
    public var withArticle: String {
        let d = description
        return ("aeiou".contains(d.first ?? "x") ? "an " : "a ") + d
    }

    case string, int, double, bool
    /// A shell command line (a string): vars and matrix values substituted into it are quoted
    /// for the shell, each as one word; `${raw:name}` substitutes unquoted.
    case command
    case stringList
    case stringMap
    case list, map, any
    /// One of a fixed set of strings.
    case choice([String])
    /// A file or directory path relative to the pipeline file; its content digest enters the key.
    case path
    /// A map of names to such paths (`deps:` of command stages).
    case pathMap

    public var description: String {
        switch self {
        case .string: return "string"
        case .command: return "command line"
        case .int: return "int"
        case .double: return "number"
        case .bool: return "bool"
        case .stringList: return "list of strings"
        case .stringMap: return "map of strings"
        case .list: return "list"
        case .map: return "map"
        case .any: return "any value"
        case let .choice(c): return "one of " + c.joined(separator: "|")
        case .path: return "path"
        case .pathMap: return "map of paths"
        }
    }
}

/// One declared parameter of a stage kind.
public struct ParamSpec: Sendable {
    public var name: String
    public var type: ParamType
    /// nil means required.
    public var defaultValue: Value?
    public var doc: String
    /// For a path param: the absolute path a symbolic value names (e.g. `builtin`, madpipe's own
    /// copy of a resource), or nil for an ordinary path (relative to the pipeline file). The
    /// symbolic value is what the cache key holds, so keys do not depend on where madpipe lives;
    /// the content of the path it names is digested as for any path.
    public var resolvePath: (@Sendable (String) -> String?)?

    public init(_ name: String, _ type: ParamType, default defaultValue: Value? = nil, _ doc: String,
                resolvePath: (@Sendable (String) -> String?)? = nil) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.doc = doc
        self.resolvePath = resolvePath
    }

    public var isRequired: Bool { defaultValue == nil }
}

/// How a stage kind declares its inputs.
public struct InputSpec: Sendable {
    public var name: String
    public var doc: String
    public var required: Bool
    /// What the input reads; `validate` refuses a producer whose kind does not write it (Wiring).
    public var reads: Artifact?
    public init(_ name: String, required: Bool = true, reads: Artifact? = nil, _ doc: String) {
        self.name = name
        self.required = required
        self.reads = reads
        self.doc = doc
    }
}

/// A built-in stage kind. Implementations live in the Stages target and register themselves in
/// a `StageRegistry`.
public protocol StageKind: Sendable {
    /// The name used in `kind:`.
    var name: String { get }
    /// Bumped whenever the implementation changes its results; part of every cache key.
    var version: Int { get }
    /// One line for `madpipe kinds`.
    var summary: String { get }
    var params: [ParamSpec] { get }
    /// Declared inputs; nil means any names are accepted (e.g. `command`).
    var inputs: [InputSpec]? { get }
    /// Params that may also be written directly on the stage (e.g. `run:` for command stages).
    var stageLevelParams: [String] { get }
    /// True for kinds that run a program madpipe did not write (`command`): they get private
    /// copies of their inputs, so nothing they do can change a stored object.
    var runsExternalProgram: Bool { get }
    /// True for gathering kinds that can run on the instances of a gathered input that succeeded
    /// when others failed (`run -k`): the engine then lists the missing ones in `missing.csv`.
    var acceptsPartialGather: Bool { get }
    /// Extra checks on resolved params; throw `PipelineError.invalidValue` with `location`.
    func validate(_ params: Params, at location: SourceLocation) throws
    /// What the kind's output holds, for wiring checks; nil: not declared (anything).
    var writes: Set<Artifact>? { get }
    /// Wiring rules that depend on params (an input required by a param value, or the kind of
    /// producer it needs), checked by `validate` for each instance after every input's `reads`;
    /// throw `PipelineError.invalidValue` at `location` (the stage) or at the input's location.
    func checkWiring(_ params: Params, inputs: [WiredInput], at location: SourceLocation) throws
    /// Does the work, writing results under `context.outputDirectory`.
    func execute(_ context: StageContext) throws
}

extension StageKind {
    public var inputs: [InputSpec]? { nil }
    public var stageLevelParams: [String] { [] }
    public var runsExternalProgram: Bool { false }
    public var acceptsPartialGather: Bool { false }
    public func validate(_ params: Params, at location: SourceLocation) throws {}
    public var writes: Set<Artifact>? { nil }
    public func checkWiring(_ params: Params, inputs: [WiredInput], at location: SourceLocation) throws {}
}

/// The stage kinds a run may use, by name.
public struct StageRegistry: Sendable {
    public private(set) var kinds: [String: any StageKind] = [:]

    public init(_ kinds: [any StageKind] = []) {
        for k in kinds { register(k) }
    }

    public mutating func register(_ kind: any StageKind) {
        precondition(kinds[kind.name] == nil, "stage kind \(kind.name) registered twice")
        kinds[kind.name] = kind
    }

    public subscript(name: String) -> (any StageKind)? { kinds[name] }

    public var names: [String] { kinds.keys.sorted() }
}

/// Resolved, validated params of one stage instance, in declaration order.
public struct Params: Sendable, Equatable {
    public var values: [(String, Value)]

    public init(_ values: [(String, Value)]) { self.values = values }

    public static func == (a: Params, b: Params) -> Bool { Value.map(a.values) == Value.map(b.values) }

    public subscript(name: String) -> Value? { values.first { $0.0 == name }?.1 }

    public func string(_ name: String) -> String { self[name]?.description ?? "" }
    public func int(_ name: String) -> Int { self[name]?.intValue ?? 0 }
    public func double(_ name: String) -> Double { self[name]?.doubleValue ?? 0 }
    public func bool(_ name: String) -> Bool { self[name]?.boolValue ?? false }
    public func strings(_ name: String) -> [String] { self[name]?.listValue?.map(\.description) ?? [] }
    public func stringMap(_ name: String) -> [(String, String)] {
        self[name]?.mapValue?.map { ($0.0, $0.1.description) } ?? []
    }
}
