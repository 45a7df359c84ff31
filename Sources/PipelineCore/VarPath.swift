// VarPath: the one reading of `name[key][key]...`, the text that names a var or an entry of a map
// var, in templates (`${lr[dataset]}`, keys are axis or var names) and in `-p` overrides
// (`-p 'lr[subtraction]=0.002'`, keys are entry names).

/// Splits and checks var paths.
public enum VarPath {
    /// The var name and the bracketed keys, in order; no keys for a plain name or for text that
    /// is not a well-formed path (the caller then treats it as a plain name, which fails as one).
    public static func split(_ text: String) -> (name: String, keys: [String]) {
        guard let open = text.firstIndex(of: "["), text.hasSuffix("]") else { return (text, []) }
        let keys = text[text.index(after: open)..<text.index(before: text.endIndex)].components(separatedBy: "][")
        guard keys.allSatisfy({ !$0.isEmpty && !$0.contains("[") && !$0.contains("]") }) else { return (text, []) }
        return (String(text[..<open]), keys)
    }
}
