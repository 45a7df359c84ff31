// Rough text measurement for layout (SVG has no layout engine at write time).

/// Rough text metrics (SVG has no layout engine at write time): 0.6 em per character.
enum TextMetrics {
    static func width(_ text: String, fontSize: Double) -> Double {
        Double(text.count) * fontSize * 0.6
    }

    /// The text shortened with an ellipsis to fit `width`.
    static func truncate(_ text: String, width: Double, fontSize: Double) -> String {
        let fits = Int(width / (fontSize * 0.6))
        guard text.count > fits, fits > 1 else { return text }
        return String(text.prefix(fits - 1)) + "…"
    }

    /// The text shortened to fit `width` by an ellipsis in its middle, keeping its start and its
    /// end: labels that differ only at the end (`diag-mahalanobis bob_rule=quirky` and
    /// `…=truthful`) stay apart.
    static func truncateMiddle(_ text: String, width: Double, fontSize: Double) -> String {
        let fits = Int(width / (fontSize * 0.6))
        guard text.count > fits, fits > 2 else { return text }
        let tail = (fits - 1) / 2, head = fits - 1 - tail
        return String(text.prefix(head)) + "…" + String(text.suffix(tail))
    }
}
