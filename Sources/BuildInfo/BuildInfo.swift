// BuildInfo: which code this binary is: madpipe's version (the one definition of it), the git
// commit it was built from and whether the tree was dirty (written at build time by
// Plugins/BuildInfoPlugin into BuildInfoGenerated.swift; "unknown" outside a git checkout).

/// The version and source of this madpipe binary.
public enum BuildInfo {
    /// madpipe's version, written into stage records, run manifests, bundles and reports.
    public static let version = "0.1.0"
    /// The 40-hex git commit the binary was built from, or `unknown` (built outside a checkout).
    public static let commit = generatedCommit
    /// Whether the checkout had uncommitted changes or untracked files when built; nil when unknown.
    public static let dirty: Bool? = generatedDirty

    /// `clean`, `dirty` or `unknown`.
    public static var dirtyText: String { dirty.map { $0 ? "dirty" : "clean" } ?? "unknown" }

    /// One line: `0.1.0 (commit 1234..., clean)`.
    public static var description: String { "\(version) (commit \(commit), \(dirtyText))" }
}
