// RelativePath: the one check for names that become paths inside a directory madpipe owns
// (a command stage's `outs`, the names under `outputs:`), made when a pipeline is validated.

/// Checks a relative path written in a pipeline file.
public enum RelativePath {
    /// Why `path` cannot name a file inside a directory, or nil when it can: it must be
    /// non-empty and relative, and each `/`-separated part a name (not empty, `.` or `..`), so
    /// `x/`, `a//b`, `./x`, `.` and `../x` are refused and each file has exactly one spelling.
    public static func problem(_ path: String) -> String? {
        if path.isEmpty { return "it is empty" }
        if path.hasPrefix("/") { return "it is absolute" }
        for part in path.split(separator: "/", omittingEmptySubsequences: false) {
            switch part {
            case "": return "it has an empty part (a doubled or trailing '/')"
            case ".": return "it has a '.' part (write the path without it)"
            case "..": return "it has a '..' part"
            default: continue
            }
        }
        return nil
    }

    /// The first path of `paths` that repeats or lies inside an earlier one (or holds one),
    /// with that earlier path: two names for one file, or for a file inside another's output.
    public static func overlap(in paths: [String]) -> (path: String, earlier: String)? {
        for (i, p) in paths.enumerated() {
            for q in paths[..<i] where p == q || p.hasPrefix(q + "/") || q.hasPrefix(p + "/") {
                return (p, q)
            }
        }
        return nil
    }
}
