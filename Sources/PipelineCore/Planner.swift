// Planner: expands a PipelineSpec into a Plan. Checks kinds, axes, excludes, references, cycles,
// params (unknown names, types, required values, literal paths), wiring (what each input's
// producer writes, per-kind rules; Wiring.swift) and reports each problem at its location.

public enum Planner {
    /// The most stage instances a plan may hold, counted before `matrix.exclude` and before any
    /// is built. A plan costs about 1 KB and 30 us per instance (a million: about 1 GB and 30 s,
    /// measured), and every instance becomes a record in the cache: a million is a very large
    /// sweep (the full reproduction has a few hundred) that still fits a laptop, while a mistyped
    /// matrix of 10^8 would exhaust memory.
    public static let instanceLimit = 1_000_000

    /// Expands `spec` with `overrides` (from `-p name=value`, or `-p name[key]=value` for one
    /// entry of a map var) and `matrix` (from `-m axis=v1,v2`: those axes' values replaced) using
    /// the kinds in `registry`. A stage the pipeline as written leaves without instances is an
    /// error (its excludes remove everything); one only `matrix` empties is left out, together
    /// with the outputs it would publish, so that `-m` can run a slice of a pipeline whose other
    /// slices have stages of their own.
    public static func plan(_ declared: PipelineSpec, registry: StageRegistry, overrides: [(String, Value)] = [],
                            matrix: [(String, [Value])] = []) throws -> Plan {
        try checkExcludes(declared)
        let spec = narrowed(declared, to: matrix)
        var vars = spec.vars.map { ($0.name, $0.value.value) }
        for (target, value) in overrides {
            let (name, keys) = VarPath.split(target)
            guard let i = vars.firstIndex(where: { $0.0 == name }) else {
                let hint = suggestion(for: name, among: vars.map(\.0)).map { "; did you mean '\($0)'?" } ?? ""
                throw PipelineError.badOverride(text: "\(name)=\(value)", problem: "the pipeline has no var '\(name)'\(hint)")
            }
            if value.description.utf8.contains(0) {
                throw PipelineError.badOverride(text: name + "=...", problem: "the value holds a NUL character (\\0), which would cut it short")
            }
            vars[i].1 = try replacingEntry(of: vars[i].1, at: keys[...], with: value, override: target)
        }
        let axisNames = spec.axes.map(\.name)
        let axisSet = Set(axisNames)
        let varScope = Dictionary(vars, uniquingKeysWith: { a, _ in a })
        let order = try stageOrder(spec, registry: registry, vars: varScope)

        var instances: [StageInstance] = []
        var index: [String: Int] = [:]
        var byStage: [String: [Int]] = [:]
        var byAssignment: [String: Int] = [:]  // instance id -> index, for exact input matches
        var leftOut: Set<String> = []          // stages `matrix` leaves without instances

        for stage in order {
            let kind = registry[stage.kind.value]!
            for axis in stage.over where spec.axis(named: axis.value) == nil {
                throw PipelineError.unknownAxis(axis.location, axis: axis.value, suggestion: suggestion(for: axis.value, among: axisNames))
            }
            let over = axes(of: stage, in: spec)
            try checkInstanceCount(stage, over: over, planned: instances.count)
            let combos = assignments(of: stage, over: over, in: spec)
            if combos.isEmpty {
                if !matrix.isEmpty, !assignments(of: stage, over: axes(of: stage, in: declared), in: declared).isEmpty {
                    leftOut.insert(stage.name)
                    continue
                }
                throw PipelineError.emptyMatrix(stage.location, detail: "stage '\(stage.name)' has no instances left after matrix.exclude and its own exclude")
            }
            for assignment in combos {
                let template = instanceTemplate(varScope, assignment, stage: stage.name, axes: axisSet)
                let id = instanceId(stage.name, assignment)
                let params = try resolveParams(stage, kind: kind, template: template)
                let inputs = try resolveInputs(stage, kind: kind, assignment: assignment, template: template,
                                               spec: spec, instances: instances, byStage: byStage, byId: byAssignment)
                try checkWiring(stage, kind: kind, params: params, inputs: inputs, instances: instances, registry: registry)
                var deps = Set<Int>()
                for b in inputs { deps.formUnion(b.producers) }
                index[id] = instances.count
                byAssignment[id] = instances.count
                byStage[stage.name, default: []].append(instances.count)
                instances.append(StageInstance(id: id, stage: stage.name, assignment: assignment, kind: kind, params: params,
                                               inputs: inputs, resources: stage.resources, location: stage.location,
                                               dependencies: deps.sorted()))
            }
        }

        var outputs: [PlannedOutput] = []
        for out in spec.outputs {
            let ref = try StageReference.parse(out.reference.value, at: out.reference.location, field: "outputs.\(out.name)")
            if leftOut.contains(ref.stage) { continue }
            guard let producers = byStage[ref.stage] else {
                throw PipelineError.unknownStage(out.reference.location, name: ref.stage,
                                                 suggestion: suggestion(for: ref.stage, among: spec.stages.map(\.name)))
            }
            let chosen = try producers.filter { i in
                try ref.selection.allSatisfy { axis, value in
                    guard spec.axis(named: axis) != nil else {
                        throw PipelineError.unknownAxis(out.reference.location, axis: axis, suggestion: suggestion(for: axis, among: axisNames))
                    }
                    return instances[i].assignment.contains { $0.0 == axis && $0.1.description == value }
                }
            }
            if chosen.isEmpty {
                throw PipelineError.noMatchingInstance(out.reference.location, reference: out.reference.value, instance: "outputs.\(out.name)")
            }
            outputs.append(PlannedOutput(name: out.name, producers: chosen, subpath: ref.subpath))
        }
        return Plan(spec: spec, instances: instances, outputs: outputs, vars: vars, index: index)
    }

    /// `spec` with the `matrix` axes' values replaced; excludes that name a value no longer swept
    /// are dropped (they can match nothing). The axes are the caller's to check (they exist,
    /// each is named once).
    static func narrowed(_ spec: PipelineSpec, to matrix: [(String, [Value])]) -> PipelineSpec {
        var spec = spec
        for (name, values) in matrix {
            guard let n = spec.axes.firstIndex(where: { $0.name == name }) else { continue }
            let loc = SourceLocation(file: "command line")
            spec.axes[n].values = values.map { Located($0, loc) }
            spec.excludes = spec.excludes.filter { ex in
                ex.value.allSatisfy { k, v in k != name || values.contains { $0.description == v.description } }
            }
        }
        return spec
    }

    /// `value` with the entry at `keys` (a path through nested maps) replaced; the entry must exist.
    static func replacingEntry(of value: Value, at keys: ArraySlice<String>, with new: Value, override: String) throws -> Value {
        guard let key = keys.first else { return new }
        guard let entries = value.mapValue else {
            throw PipelineError.badOverride(text: override + "=" + new.description, problem: "the var holds no map at '[\(key)]'")
        }
        guard let j = entries.firstIndex(where: { $0.0 == key }) else {
            throw PipelineError.badOverride(text: override + "=" + new.description,
                                            problem: "the map has no entry '\(key)'; its entries: " + entries.map(\.0).joined(separator: ", "))
        }
        var out = entries
        out[j].1 = try replacingEntry(of: entries[j].1, at: keys.dropFirst(), with: new, override: override)
        return .map(out)
    }

    /// Refuses a stage whose axes multiply out (with overflow-safe arithmetic) past
    /// `instanceLimit` together with the `planned` instances of earlier stages.
    static func checkInstanceCount(_ stage: StageSpec, over: [Axis], planned: Int) throws {
        var count: Int? = 1
        for axis in over {
            guard let c = count else { break }
            let (product, overflow) = c.multipliedReportingOverflow(by: axis.values.count)
            count = overflow ? nil : product
        }
        var total: Int? = nil
        if let count {
            let (sum, overflow) = planned.addingReportingOverflow(count)
            total = overflow ? nil : sum
        }
        if total.map({ $0 > instanceLimit }) ?? true {
            throw PipelineError.tooManyInstances(stage.location, stage: stage.name, instances: count, total: total, limit: instanceLimit)
        }
    }

    /// `stage` or `stage[a=1,b=x]`.
    public static func instanceId(_ stage: String, _ assignment: [(String, Value)]) -> String {
        assignment.isEmpty ? stage : stage + "[" + assignment.map { "\($0.0)=\($0.1)" }.joined(separator: ",") + "]"
    }

    /// Cartesian product of the axes, in matrix order, minus excluded combinations. An exclude
    /// entry applies to a stage only when the stage sweeps every axis the entry names.
    static func expand(_ axes: [Axis], excludes: [Located<[(String, Value)]>]) -> [[(String, Value)]] {
        var combos: [[(String, Value)]] = [[]]
        for axis in axes {
            combos = combos.flatMap { c in axis.values.map { c + [(axis.name, $0.value)] } }
        }
        let names = Set(axes.map(\.name))
        let applicable = excludes.filter { $0.value.allSatisfy { names.contains($0.0) } }
        return combos.filter { combo in
            !applicable.contains { ex in
                ex.value.allSatisfy { k, v in combo.contains { $0.0 == k && $0.1.description == v.description } }
            }
        }
    }

    /// Every exclude entry names axes of the matrix and values they have; a stage's own entries
    /// name only axes the stage sweeps.
    static func checkExcludes(_ spec: PipelineSpec) throws {
        let axisNames = spec.axes.map(\.name)
        let entries = spec.excludes.map { ($0, nil as StageSpec?) } + spec.stages.flatMap { s in s.excludes.map { ($0, s) } }
        for (ex, stage) in entries {
            for (k, v) in ex.value {
                guard let axis = spec.axis(named: k) else {
                    throw PipelineError.unknownAxis(ex.location, axis: k, suggestion: suggestion(for: k, among: axisNames))
                }
                if let stage, !stage.over.contains(where: { $0.value == k }) {
                    throw PipelineError.invalidValue(ex.location, field: "exclude",
                                                     problem: "stage '\(stage.name)' is not swept over axis '\(k)'")
                }
                if !axis.values.contains(where: { $0.value.description == v.description }) {
                    throw PipelineError.unknownAxisValue(ex.location, axis: k, value: v.description,
                                                         suggestion: suggestion(for: v.description, among: axis.values.map(\.value.description)))
                }
            }
        }
    }

    /// The matrix axes a stage sweeps, in matrix order (names it sweeps that are no axis are
    /// reported where its instances are planned).
    static func axes(of stage: StageSpec, in spec: PipelineSpec) -> [Axis] {
        spec.axes.filter { a in stage.over.contains { $0.value == a.name } }
    }

    /// The axis values of a stage's instances: the product of `over`, minus the matrix's and the
    /// stage's own exclude entries.
    static func assignments(of stage: StageSpec, over: [Axis], in spec: PipelineSpec) -> [[(String, Value)]] {
        expand(over, excludes: spec.excludes + stage.excludes)
    }

    /// The template of one instance of `stage`: the pipeline's vars, then the instance's axis
    /// values; `axes` (every axis of the pipeline) names the ones it leaves out in errors.
    static func instanceTemplate(_ vars: [String: Value], _ assignment: [(String, Value)],
                                 stage: String, axes: Set<String>) -> Template {
        var scope = vars
        for (k, v) in assignment { scope[k] = v }
        return Template(scope: scope, stage: stage, axes: axes)
    }

    /// The stages an input reference can name. A literal reference names one; a templated one
    /// (`"${start[recipe]}"`) names whatever it becomes for each of the stage's instances.
    static func referencedStages(_ ref: Located<String>, of stage: StageSpec, spec: PipelineSpec,
                                 vars: [String: Value]) throws -> [String] {
        guard ref.value.contains("${") else { return [StageReference.stageName(of: ref.value)] }
        let over = axes(of: stage, in: spec)
        try checkInstanceCount(stage, over: over, planned: 0)
        var names: [String] = []
        let axes = Set(spec.axes.map(\.name))
        for assignment in assignments(of: stage, over: over, in: spec) {
            let text = try instanceTemplate(vars, assignment, stage: stage.name, axes: axes).apply(string: ref.value, at: ref.location).description
            let name = StageReference.stageName(of: text)
            if !names.contains(name) { names.append(name) }
        }
        return names
    }

    /// Stages in dependency order; unknown kinds and stage references, and cycles, are errors.
    static func stageOrder(_ spec: PipelineSpec, registry: StageRegistry, vars: [String: Value]) throws -> [StageSpec] {
        let names = spec.stages.map(\.name)
        var edges: [String: [(String, SourceLocation)]] = [:]
        for stage in spec.stages {
            guard registry[stage.kind.value] != nil else {
                throw PipelineError.unknownKind(stage.kind.location, kind: stage.kind.value,
                                                suggestion: suggestion(for: stage.kind.value, among: registry.names))
            }
            for (_, ref) in stage.inputs {
                for target in try referencedStages(ref, of: stage, spec: spec, vars: vars) {
                    guard spec.stage(named: target) != nil else {
                        throw PipelineError.unknownStage(ref.location, name: target, suggestion: suggestion(for: target, among: names))
                    }
                    edges[stage.name, default: []].append((target, ref.location))
                }
            }
        }
        // Depth-first search; a grey node reached again closes a cycle.
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        var order: [StageSpec] = []
        var stack: [(String, SourceLocation)] = []
        func visit(_ name: String, from loc: SourceLocation?) throws {
            if state[name] == 2 { return }
            if state[name] == 1 {
                let start = stack.firstIndex { $0.0 == name }!
                let path = stack[start...].map(\.0) + [name]
                throw PipelineError.cycle(stack[start + 1 < stack.count ? start + 1 : start].1, path: path)
            }
            state[name] = 1
            stack.append((name, loc ?? spec.stage(named: name)!.location))
            for (dep, l) in edges[name] ?? [] {
                stack[stack.count - 1].1 = l
                try visit(dep, from: l)
            }
            stack.removeLast()
            state[name] = 2
            order.append(spec.stage(named: name)!)
        }
        for s in spec.stages { try visit(s.name, from: nil) }
        return order
    }

    static func resolveParams(_ stage: StageSpec, kind: any StageKind, template: Template) throws -> Params {
        var given: [String: (Value, SourceLocation)] = [:]
        let declared = kind.params.map(\.name)
        for (key, node) in stage.params {
            let isStageLevel = stage.stageLevelKeys.contains(key.value) && !stage.paramsKeys.contains(where: { $0 == key.location })
            if isStageLevel && !kind.stageLevelParams.contains(key.value) {
                throw PipelineError.unknownKey(key.location, key: key.value, within: "stage '\(stage.name)'",
                                               suggestion: suggestion(for: key.value, among: SpecParser.stageKeys + kind.stageLevelParams))
            }
            guard declared.contains(key.value) else {
                throw PipelineError.unknownParam(key.location, kind: kind.name, param: key.value,
                                                 suggestion: suggestion(for: key.value, among: declared))
            }
            if given[key.value] != nil {
                throw PipelineError.duplicateKey(key.location, key: key.value)
            }
            let shell = kind.params.first { $0.name == key.value }?.type == .command
            given[key.value] = (try template.apply(node.value, at: node.location, shell: shell), node.location)
        }
        var values: [(String, Value)] = []
        for p in kind.params {
            if let (v, loc) = given[p.name] {
                let checked = try ParamChecker.check(v, as: p.type, field: p.name, at: loc)
                try ParamChecker.checkLiteralPaths(checked, as: p.type, field: p.name, at: loc, inputs: kind.inputs)
                values.append((p.name, checked))
            } else if let d = p.defaultValue {
                values.append((p.name, d))
            } else {
                throw PipelineError.missingField(stage.location, field: p.name, within: "stage '\(stage.name)' (kind \(kind.name))")
            }
        }
        let params = Params(values)
        try kind.validate(params, at: stage.location)
        return params
    }

    /// Refuses an input whose producer's kind does not write what the input `reads`, then applies
    /// the kind's own `checkWiring` (rules that depend on params).
    static func checkWiring(_ stage: StageSpec, kind: any StageKind, params: Params, inputs: [InputBinding],
                            instances: [StageInstance], registry: StageRegistry) throws {
        let wired = inputs.map { b in
            let producer = instances[b.producers[0]]
            return WiredInput(name: b.name, stage: producer.stage, kind: producer.kind, subpath: b.subpath, location: b.location)
        }
        for w in wired {
            if let reads = kind.inputs?.first(where: { $0.name == w.name })?.reads, !w.mayHold(reads) {
                throw w.mismatch(reads: reads, by: kind.name, among: registry)
            }
        }
        try kind.checkWiring(params, inputs: wired, at: stage.location)
    }

    static func resolveInputs(_ stage: StageSpec, kind: any StageKind, assignment: [(String, Value)], template: Template,
                              spec: PipelineSpec, instances: [StageInstance], byStage: [String: [Int]],
                              byId: [String: Int]) throws -> [InputBinding] {
        if let declared = kind.inputs {
            for (name, ref) in stage.inputs where !declared.contains(where: { $0.name == name }) {
                throw PipelineError.unknownKey(ref.location, key: name, within: "inputs of stage '\(stage.name)' (kind \(kind.name))",
                                               suggestion: suggestion(for: name, among: declared.map(\.name)))
            }
            for d in declared where d.required && !stage.inputs.contains(where: { $0.name == d.name }) {
                throw PipelineError.missingField(stage.location, field: "inputs.\(d.name)", within: "stage '\(stage.name)' (kind \(kind.name))")
            }
        }
        var bindings: [InputBinding] = []
        let axisNames = spec.axes.map(\.name)
        for (name, ref) in stage.inputs {
            let text = try template.apply(string: ref.value, at: ref.location).description
            let r = try StageReference.parse(text, at: ref.location, field: "inputs.\(name)")
            let producer = spec.stage(named: r.stage)!
            let producerAxes = producer.over.map(\.value)
            var fixed: [String: String] = [:]
            for (axis, value) in r.selection {
                guard let a = spec.axis(named: axis) else {
                    throw PipelineError.unknownAxis(ref.location, axis: axis, suggestion: suggestion(for: axis, among: axisNames))
                }
                guard producerAxes.contains(axis) else {
                    throw PipelineError.invalidValue(ref.location, field: "inputs.\(name)",
                                                     problem: "stage '\(r.stage)' is not swept over axis '\(axis)'")
                }
                guard a.values.contains(where: { $0.value.description == value }) else {
                    throw PipelineError.unknownAxisValue(ref.location, axis: axis, value: value,
                                                         suggestion: suggestion(for: value, among: a.values.map(\.value.description)))
                }
                fixed[axis] = value
            }
            var gathers = false
            for axis in producerAxes where fixed[axis] == nil {
                if let v = assignment.first(where: { $0.0 == axis }) {
                    fixed[axis] = v.1.description
                } else {
                    gathers = true
                }
            }
            let producers: [Int]
            if !gathers {
                // Every producer axis is fixed: look the one instance up by its id, which spells each
                // value by its description (no scan of the axis' values: that made planning quadratic).
                let ordered = spec.axes.filter { producerAxes.contains($0.name) }.map { a in (a.name, Value.string(fixed[a.name]!)) }
                producers = byId[instanceId(r.stage, ordered)].map { [$0] } ?? []
            } else {
                producers = (byStage[r.stage] ?? []).filter { i in
                    fixed.allSatisfy { axis, value in instances[i].assignment.contains { $0.0 == axis && $0.1.description == value } }
                }
            }
            if producers.isEmpty {
                throw PipelineError.noMatchingInstance(ref.location, reference: text, instance: instanceId(stage.name, assignment))
            }
            bindings.append(InputBinding(name: name, producers: producers, subpath: r.subpath, gathers: gathers, location: ref.location))
        }
        return bindings
    }
}

