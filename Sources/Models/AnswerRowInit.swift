// AnswerRowInit: starts the output rows of a quirky model's two answer bytes ('Y', 'N') where
// the base model's predictions already are. A base pre-trained on arithmetic text has never
// predicted a letter, so its logits for 'Y' and 'N' lie far below the rest and the answer loss of
// fine-tuning starts near 15 nats; its first steps then tear at the whole network to lift two
// rows. Copying into both rows the row of the byte the base most often predicts at the answer
// position starts the loss near that byte's (about 9 nats here) and leaves Yes/No tied.
// For GPT-2-style models the output rows are the tied token embeddings; 'Y' and 'N' do not occur
// in the prompts, so their input role is unaffected there.

extension Transformer {
    /// Sets the output rows of `answers` to the row of the byte this model most often predicts
    /// at the last position of `prompts` (token sequences, each read alone). Returns that byte.
    @discardableResult
    public func initialiseAnswerRows(prompts: [[Int]], answers: [Int]) throws -> Int {
        var counts = [Int](repeating: 0, count: config.vocabSize)
        for tokens in prompts {
            try forward(tokens: tokens, batchSize: 1)
            let logits = try self.logits(batch: 0, position: tokens.count - 1)
            counts[logits.indices.max { logits[$0] < logits[$1] }!] += 1
        }
        let top = counts.indices.max { counts[$0] < counts[$1] }!
        let head = try layout.tensors.slice(layout.lmHeadName), C = config.dModel
        let rows = parameters.pointer + head.offset
        for t in answers where t != top { (rows + t * C).update(from: rows + top * C, count: C) }
        return top
    }
}
