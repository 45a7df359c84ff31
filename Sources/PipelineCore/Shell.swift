// Shell: the one quoter for text pasted into a POSIX shell command line (a `command` stage's
// `run`): vars and matrix values when a plan is made, input, dep and work paths when it runs.

import Foundation

/// Quoting for `sh -c` command lines.
public enum Shell {
    /// Characters that never need quoting. A word made only of them is left as written, so the
    /// command lines (and cache keys) of ordinary pipelines read as the pipeline file wrote them.
    static let safe = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "/._-+=:,@%"))

    /// `s` as one shell word whose value is exactly `s`: unchanged when every character is safe,
    /// else in single quotes (an embedded `'` written `'\''`). A `${` inside is written `$''{`,
    /// the same word to the shell, so that no later `${...}` placeholder expansion can see it.
    public static func quote(_ s: String) -> String {
        if !s.isEmpty, s.unicodeScalars.allSatisfy(safe.contains) { return s }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''").replacingOccurrences(of: "${", with: "$''{") + "'"
    }
}
