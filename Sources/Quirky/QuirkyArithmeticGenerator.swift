// The quirky arithmetic generator (METHOD.md section 2): log-uniform operands without duplicate
// pairs, Bob's leading-digit error, and the 1/4 true, 1/4 Bob, 1/2 distractor balance.
//
// Division into train and validation (our choice): operand pairs are drawn in random order, the
// first round(examples * trainFraction) become "train" and the rest "validation". The balance of
// shown results is made exact inside each split separately (floor(n/4) true, floor(n/4) Bob, the
// rest distractors, half built from the true and half from Bob's result), then shuffled, so both
// splits carry the same label mix.

import Base
import Foundation

/// Which result a base row shows.
public enum QuirkyShownKind: String, CaseIterable, Sendable {
    /// The true result: Alice true, Bob false.
    case truth = "true"
    /// Bob's result: Alice false, Bob true.
    case bob = "bob"
    /// One digit of the true result replaced: both false.
    case distractorFromTruth = "distractor_true"
    /// One digit of Bob's result replaced: both false.
    case distractorFromBob = "distractor_bob"
}

/// Generates a quirky arithmetic dataset from a seed.
public struct QuirkyArithmeticGenerator: Sendable {
    /// The operation.
    public var task: QuirkyTask
    /// Number of base rows (statements); the dataset has twice as many records.
    public var examples: Int
    /// The seed; the same seed and parameters give the same records, byte for byte.
    public var seed: UInt64
    /// Fraction of base rows in the "train" split; the rest are "validation".
    public var trainFraction: Double
    /// Persona names.
    public var names: QuirkyNames
    /// Operand size: operands are `int(10 ** (u * maxDigits))`. Defaults to METHOD.md's value
    /// for the task (`task.maxDigits`); smaller values make easier datasets for tiny models.
    public var maxDigits: Int

    /// Creates a generator.
    public init(task: QuirkyTask, examples: Int, seed: UInt64, trainFraction: Double = 0.75,
                names: QuirkyNames = .standard, maxDigits: Int? = nil) {
        self.task = task
        self.maxDigits = maxDigits ?? task.maxDigits
        self.examples = examples
        self.seed = seed
        self.trainFraction = trainFraction
        self.names = names
    }

    /// The dataset's name, used as the id prefix.
    public var datasetName: String { "quirky_\(task.rawValue)" }

    /// The records: two per base row (Alice, then Bob).
    public func generate() throws -> [QuirkyRecord] {
        var rng = SplitMix64(seed: seed ^ SplitMix64.fnv1a(datasetName))
        let rows = try baseRows(rng: &rng)
        return QuirkyAssembler.records(from: rows, dataset: datasetName, names: names, rng: &rng)
    }

    /// The base rows only (statements and both labels), drawn from `rng`.
    public func baseRows(rng: inout SplitMix64) throws -> [QuirkyBaseRow] {
        guard examples > 0 else {
            throw QuirkyError.invalidParameter(name: "examples", value: String(examples),
                                               reason: "must be a positive number of base rows")
        }
        guard trainFraction >= 0, trainFraction <= 1 else {
            throw QuirkyError.invalidParameter(name: "train_fraction", value: String(trainFraction),
                                               reason: "must lie in [0, 1]")
        }
        let pairs = try operandPairs(rng: &rng)
        let trainCount = Int((Double(examples) * trainFraction).rounded())
        var rows: [QuirkyBaseRow] = []
        rows.reserveCapacity(examples)
        for (split, range) in [("train", 0..<trainCount), ("validation", trainCount..<examples)] {
            var kinds = Self.balancedKinds(count: range.count)
            rng.shuffle(&kinds)
            for (k, i) in range.enumerated() {
                rows.append(row(op1: pairs[i].0, op2: pairs[i].1, kind: kinds[k], split: split, rng: &rng))
            }
        }
        return rows
    }

    /// Exactly floor(n/4) true, floor(n/4) Bob, and the rest distractors split in half
    /// (from the truth first when the count is odd), in a fixed order.
    public static func balancedKinds(count n: Int) -> [QuirkyShownKind] {
        let quarter = n / 4
        let distractors = n - 2 * quarter
        let fromBob = distractors / 2
        return Array(repeating: .truth, count: quarter) + Array(repeating: .bob, count: quarter)
            + Array(repeating: .distractorFromTruth, count: distractors - fromBob)
            + Array(repeating: .distractorFromBob, count: fromBob)
    }

    /// `int(10 ** (u * maxDigits))`, u uniform in [0, 1).
    public static func sampleOperand(maxDigits: Int, rng: inout SplitMix64) -> Int {
        Int(pow10(rng.nextUniform() * Double(maxDigits)))
    }

    /// Distinct operand pairs (distinct single operands for squaring), in draw order.
    func operandPairs(rng: inout SplitMix64) throws -> [(Int, Int)] {
        // Operands lie in 1 ..< 10^maxDigits; ask for more distinct ones than exist and fail early.
        var largest = 1
        for _ in 0..<maxDigits { largest *= 10 }
        let possible = task.isUnary ? largest - 1 : (largest - 1) * (largest - 1)
        guard examples <= possible else {
            throw QuirkyError.notEnoughDistinctOperands(task: task.rawValue, requested: examples, found: possible)
        }
        var seen = Set<Int>()
        var pairs: [(Int, Int)] = []
        pairs.reserveCapacity(examples)
        let maxDraws = max(10_000, 50 * examples)
        var draws = 0
        let stride = 1 << 20 // operands are below 10^5 < 2^20
        while pairs.count < examples {
            guard draws < maxDraws else {
                throw QuirkyError.notEnoughDistinctOperands(task: task.rawValue, requested: examples,
                                                            found: pairs.count)
            }
            draws += 1
            let a = Self.sampleOperand(maxDigits: maxDigits, rng: &rng)
            let b = task.isUnary ? 0 : Self.sampleOperand(maxDigits: maxDigits, rng: &rng)
            if seen.insert(a * stride + b).inserted { pairs.append((a, b)) }
        }
        return pairs
    }

    /// One base row showing the result of the given kind.
    func row(op1: Int, op2: Int, kind: QuirkyShownKind, split: String,
             rng: inout SplitMix64) -> QuirkyBaseRow {
        let truth = task.trueResult(op1, op2)
        let bob = task.bobResult(op1, op2)
        let shown: Int
        switch kind {
        case .truth: shown = truth
        case .bob: shown = bob
        case .distractorFromTruth: shown = Self.distractor(of: truth, avoiding: truth, bob, rng: &rng)
        case .distractorFromBob: shown = Self.distractor(of: bob, avoiding: truth, bob, rng: &rng)
        }
        var args = ["op1": String(op1), "result": String(shown), "kind": kind.rawValue,
                    "task": task.rawValue]
        if !task.isUnary { args["op2"] = String(op2) }
        return QuirkyBaseRow(statement: task.statement(op1: op1, op2: op2, result: shown),
                             aliceLabel: shown == truth, bobLabel: shown == bob,
                             difficulty: Double(task.difficulty(op1, op2)), split: split,
                             templateArgs: args)
    }

    /// Replaces one random digit of `value` (never the minus sign) by a random digit, resampling
    /// until the result equals neither `a` nor `b`. Leading zeros collapse ("579" -> "079" = 79).
    public static func distractor(of value: Int, avoiding a: Int, _ b: Int,
                                  rng: inout SplitMix64) -> Int {
        let digits = Array(String(value.magnitude).utf8)
        while true {
            var copy = digits
            copy[rng.nextInt(below: copy.count)] = UInt8(ascii: "0") + UInt8(rng.nextInt(below: 10))
            var magnitude = 0
            for d in copy { magnitude = magnitude * 10 + Int(d - UInt8(ascii: "0")) }
            let candidate = value < 0 ? -magnitude : magnitude
            if candidate != a && candidate != b { return candidate }
        }
    }
}

/// 10 ** x through libm's pow, the same function Python's `10 ** x` calls.
@inline(__always)
func pow10(_ x: Double) -> Double { Foundation.pow(10.0, x) }
