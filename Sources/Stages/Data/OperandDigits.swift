// OperandDigits: the operand-size params that pretrain and quirky-dataset share: `max_digits` for
// every task, and `task_digits` to give single tasks another size (squaring has only 99 distinct
// 2-digit operands, too few for a dataset, while 2-digit addition is what a tiny model can learn).

import PipelineCore
import Quirky

/// The operand-size params of the arithmetic stages.
enum OperandDigits {
    /// `max_digits` and `task_digits`.
    static func specs(maxDigitsDoc: String) -> [ParamSpec] {
        [ParamSpec("max_digits", .int, default: .int(0), maxDigitsDoc),
         ParamSpec("task_digits", .map, default: .map([]),
                   "Operand sizes of single tasks, overriding max_digits for them, e.g. {squaring: 3}.")]
    }

    /// Rejects sizes outside 0...6 and unknown task names, naming the field.
    static func validate(_ p: Params, at location: SourceLocation) throws {
        if !(0...6).contains(p.int("max_digits")) {
            throw PipelineError.invalidValue(location, field: "max_digits", problem: "must lie in 0...6 (0 = METHOD.md's value for each task)")
        }
        for (task, value) in p["task_digits"]?.mapValue ?? [] {
            guard QuirkyTask(rawValue: task) != nil else {
                throw PipelineError.invalidValue(location, field: "task_digits", problem: "unknown task '\(task)'; expected one of " + QuirkyTask.allCases.map(\.rawValue).joined(separator: ", "))
            }
            guard let d = value.intValue, (1...6).contains(d) else {
                throw PipelineError.invalidValue(location, field: "task_digits", problem: "\(task): must be an int in 1...6, found \(value)")
            }
        }
    }

    /// The operand size of `task`: its `task_digits` entry, else `max_digits`, else nil (METHOD.md's).
    static func digits(_ p: Params, task: QuirkyTask) -> Int? {
        if let d = p["task_digits"]?.mapValue?.first(where: { $0.0 == task.rawValue })?.1.intValue { return d }
        return p.int("max_digits") > 0 ? p.int("max_digits") : nil
    }
}
