// PipelineSpec: the parsed, not yet expanded, content of a pipeline file and its includes.

/// A whole pipeline as written: vars, matrix axes, stage templates and published outputs.
public struct PipelineSpec {
    /// `pipeline:` the pipeline's name; results go under `results/<name>/`.
    public var name: String
    public var description: String
    /// Absolute path of the main pipeline file.
    public var file: String
    /// Absolute directory of the main pipeline file; `deps` and other paths are relative to it.
    public var directory: String
    /// Every file read (the main file first, then includes), for bundles and provenance.
    public var files: [String]
    /// `vars:` in file order.
    public var vars: [(name: String, value: Located<Value>)]
    /// `matrix:` axes in file order.
    public var axes: [Axis]
    /// `matrix.exclude:` partial assignments that remove combinations.
    public var excludes: [Located<[(String, Value)]>]
    /// `stages:` in file order.
    public var stages: [StageSpec]
    /// `outputs:` published after a run.
    public var outputs: [OutputSpec]
    /// `executor:` defaults for how to run (overridable on the command line).
    public var executor: [(String, Value)]

    public init(name: String, file: String, directory: String) {
        self.name = name
        self.description = ""
        self.file = file
        self.directory = directory
        self.files = [file]
        self.vars = []
        self.axes = []
        self.excludes = []
        self.stages = []
        self.outputs = []
        self.executor = []
    }

    public func stage(named name: String) -> StageSpec? { stages.first { $0.name == name } }
    public func axis(named name: String) -> Axis? { axes.first { $0.name == name } }
}

/// One sweep axis: `dataset: [addition, subtraction]`.
public struct Axis {
    public var name: String
    public var values: [Located<Value>]
    public var location: SourceLocation
}

/// A stage template: instantiated once per combination of its `over` axes.
public struct StageSpec {
    public var name: String
    public var location: SourceLocation
    public var kind: Located<String>
    public var description: String
    public var over: [Located<String>]
    /// `inputs:` name -> reference, in file order.
    public var inputs: [(name: String, reference: Located<String>)]
    /// `params:` (and kind-specific stage-level fields such as `run:`), unresolved.
    public var params: [(key: Located<String>, node: YAMLNode)]
    public var resources: Resources
    /// Keys written directly on the stage (outside `params:`), such as `run:`.
    public var stageLevelKeys: Set<String> = []
    /// Locations of keys written under `params:`.
    public var paramsKeys: [SourceLocation] = []
    /// `exclude:` on the stage: combinations of the stage's own axes it has no instance for, on
    /// top of `matrix.exclude`.
    public var excludes: [Located<[(String, Value)]>] = []
}

/// What a stage needs from the machine it runs on.
public struct Resources: Equatable, Sendable {
    /// CPU cores (threads) the stage uses.
    public var cpus: Int = 1
    /// Memory in bytes, if declared.
    public var memory: Int? = nil
    /// Wall-clock limit in seconds, if declared (Slurm's --time).
    public var time: Int? = nil
    /// Generic resources, e.g. `gpu:1` (Slurm's --gres).
    public var gres: String? = nil
    /// GPUs, if declared: the portable spelling of `gres: gpu:N` (Slurm's --gres=gpu:N).
    public var gpus: Int? = nil

    public init(cpus: Int = 1, memory: Int? = nil, time: Int? = nil, gres: String? = nil, gpus: Int? = nil) {
        self.cpus = cpus
        self.memory = memory
        self.time = time
        self.gres = gres
        self.gpus = gpus
    }
}

/// A published output: `auroc.csv: evaluate/auroc.csv`.
public struct OutputSpec {
    public var name: String
    public var reference: Located<String>
}
