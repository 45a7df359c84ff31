import Base
// TrainingData: fixed-length training examples (tokens, next-token targets, loss mask) and the
// two ways madpipe builds them: packed windows of plain text for pre-training, and
// prompt + answer byte for fine-tuning, with class balancing by undersampling.
//
// Answer convention for byte-level models: the choices " No" / " Yes" begin with the same space
// byte, so the space is appended to the prompt and the answer is the single byte after it:
// 'Y' (89) for yes, 'N' (78) for no. Fine-tuning puts loss on that byte only; extraction reads
// the model at the last prompt byte (the space), whose logits predict the answer.

/// One training sequence of fixed length T.
public struct TrainingExample: Equatable, Sendable {
    /// Input token ids, length T.
    public var tokens: [Int]
    /// Target token ids (the next token at each position), length T.
    public var targets: [Int]
    /// Loss weight per position (0 or 1), length T.
    public var mask: [Float]

    public init(tokens: [Int], targets: [Int], mask: [Float]) {
        self.tokens = tokens
        self.targets = targets
        self.mask = mask
    }
}

/// Building training examples from text.
public enum TrainingData {
    /// Byte of a "yes" answer ('Y').
    public static let yesToken = 89
    /// Byte of a "no" answer ('N').
    public static let noToken = 78
    /// Byte used to pad a sequence on the right (NUL; never a target with nonzero weight).
    public static let padToken = 0
    /// Appended to every prompt before the answer byte (the shared leading space of " Yes"/" No").
    public static let promptSuffix = " "

    /// The token ids a model reads for a fine-tuning or extraction prompt: the UTF-8 bytes of
    /// `prompt + promptSuffix`.
    public static func promptTokens(_ prompt: String) -> [Int] {
        Array((prompt + promptSuffix).utf8).map(Int.init)
    }

    /// A fine-tuning example: the prompt tokens right-padded to `length`; the only weighted
    /// position is the last prompt byte, whose target is the answer byte.
    /// Returns nil when the prompt does not fit in `length`.
    public static func answerExample(prompt: String, label: Bool, length: Int) -> TrainingExample? {
        let p = promptTokens(prompt)
        guard !p.isEmpty, p.count <= length else { return nil }
        var tokens = p + [Int](repeating: padToken, count: length - p.count)
        var targets = [Int](repeating: padToken, count: length)
        var mask = [Float](repeating: 0, count: length)
        for i in 0..<(p.count - 1) { targets[i] = p[i + 1] }
        targets[p.count - 1] = label ? yesToken : noToken
        mask[p.count - 1] = 1
        tokens = Array(tokens.prefix(length))
        return TrainingExample(tokens: tokens, targets: targets, mask: mask)
    }

    /// Which bytes of a pre-training text carry loss.
    public enum PretrainLoss: String, CaseIterable, Sendable {
        /// Every byte (plain next-byte loss).
        case all
        /// Only what follows the last "=" of each line, up to and including its newline: the
        /// results, the one part of an arithmetic statement that can be predicted; the random
        /// operands carry no loss.
        case results
    }

    /// Pre-training examples: `text` as bytes, cut into consecutive windows of `length + 1` bytes
    /// overlapping by one (tokens = window[0..<length], targets = window[1...]), each target
    /// weighted by `loss`. A tail shorter than a window is dropped. With `.results`, a result
    /// whose statement began before the window carries no weight either: its operands are not
    /// in view, so it cannot be predicted, and a model that computes every result exactly then
    /// has a loss of 0.
    public static func packedWindows(text: String, length: Int, loss: PretrainLoss = .all) -> [TrainingExample] {
        let bytes = Array(text.utf8).map(Int.init)
        var weight = [Float](repeating: 1, count: bytes.count)
        if loss == .results {
            // Scan each line backwards: weight 1 from the newline back to the byte after the last "=".
            var inResult = false
            for i in bytes.indices.reversed() {
                if bytes[i] == 10 { inResult = true } else if bytes[i] == 61 { inResult = false }
                weight[i] = inResult && bytes[i] != 61 ? 1 : 0
            }
        }
        // lineStart[i]: index of the first byte of the line that byte i belongs to (a newline
        // belongs to the line it ends).
        var lineStart = [Int](repeating: 0, count: bytes.count)
        var current = 0
        for i in bytes.indices {
            lineStart[i] = current
            if bytes[i] == 10 { current = i + 1 }
        }
        var out: [TrainingExample] = []
        var start = 0
        while start + length + 1 <= bytes.count {
            var mask = Array(weight[(start + 1)...(start + length)])
            if loss == .results {
                for j in mask.indices where lineStart[start + 1 + j] < start { mask[j] = 0 }
            }
            out.append(TrainingExample(tokens: Array(bytes[start..<(start + length)]),
                                       targets: Array(bytes[(start + 1)...(start + length)]),
                                       mask: mask))
            start += length
        }
        return out
    }

    /// Indices of a class-balanced subset: every example of the smaller class and as many of the
    /// larger class, drawn without replacement from `seed`; returned in ascending order.
    public static func balancedIndices(labels: [Bool], seed: UInt64) -> [Int] {
        let pos = labels.indices.filter { labels[$0] }
        let neg = labels.indices.filter { !labels[$0] }
        let k = min(pos.count, neg.count)
        var rng = SplitMix64(seed: seed)
        func pick(_ xs: [Int]) -> [Int] {
            var a = xs
            rng.shuffle(&a)
            return Array(a.prefix(k))
        }
        return (pick(pos) + pick(neg)).sorted()
    }

}
