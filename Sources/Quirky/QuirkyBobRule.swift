// QuirkyBobRule: which answers Bob's rows carry. `quirky` is METHOD.md's dataset (Bob's
// systematic error); `truthful` is its twin, the control of issue 23: the same records (prompts,
// names, ids, splits) with Bob answering the truth, so a model fine-tuned on it has no quirk and a
// detector that still flags Bob's test prompts finds the names, not the mechanism.

/// Which answers Bob's records carry.
public enum QuirkyBobRule: String, CaseIterable, Sendable {
    /// Bob's systematic error (METHOD.md section 2).
    case quirky
    /// The truth, like Alice: the truthful twin.
    case truthful

    /// `record` under this rule: unchanged for `quirky`; for `truthful`, Bob's label is Alice's
    /// (so `bob_label == alice_label` on every record, and a Bob record's `label` is the truth).
    public func apply(_ record: QuirkyRecord) -> QuirkyRecord {
        guard self == .truthful else { return record }
        var r = record
        r.bobLabel = r.aliceLabel
        r.label = r.aliceLabel
        return r
    }
}

extension QuirkySplits {
    /// The splits of the dataset `rule` makes of `records` (generated under the quirky rule).
    ///
    /// Trusted, untrusted and test select rows by split, character, name and difficulty only, so
    /// they are the quirky dataset's rows, in the same order, relabelled: the twin's test prompts
    /// are the quirky test prompts, which the paired comparison (`compare-twins`) needs.
    /// Validation is balanced between labels, so it is drawn from the relabelled records: the
    /// twin's checkpoint selection sees its own labels balanced, as the quirky model's does.
    public init(records: [QuirkyRecord], rule: QuirkyBobRule, names: QuirkyNames = .standard,
                config: QuirkySplitConfig = .init()) {
        let quirky = QuirkySplits(records: records, names: names, config: config)
        guard rule != .quirky else { self = quirky; return }
        let own = QuirkySplits(records: records.map(rule.apply), names: names, config: config)
        self = quirky
        trusted = quirky.trusted.map(rule.apply)
        untrusted = quirky.untrusted.map(rule.apply)
        validation = own.validation
        test = quirky.test.map(rule.apply)
    }
}
