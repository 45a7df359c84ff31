// BundleError: everything that can go wrong while writing, reading, verifying or importing a
// bundle, each naming the bundle file and, where there is one, the archive entry at fault.

/// A bundle problem. `description` is the text the CLI prints.
public enum BundleError: Error, CustomStringConvertible, Equatable {
    /// The archive could not be read or written (libarchive's message), e.g. a truncated file.
    case archive(file: String, entry: String?, message: String)
    /// The first entry is not MANIFEST.json, or the manifest is malformed.
    case badManifest(file: String, problem: String)
    /// The manifest's format version is not one this engine reads.
    case unknownFormatVersion(file: String, found: Int, supported: Int)
    /// An entry name that may not appear: absolute, `..`, empty parts, odd characters.
    case unsafePath(file: String, entry: String, problem: String)
    /// An entry that is not a regular file: symlink, hard link, directory, device, fifo.
    case notRegularFile(file: String, entry: String, type: String)
    /// An entry the manifest does not list.
    case unlisted(file: String, entry: String)
    /// An entry that appears twice.
    case duplicate(file: String, entry: String)
    /// A manifest entry missing from the archive.
    case missing(file: String, entries: [String])
    /// An entry whose size differs from the manifest.
    case sizeMismatch(file: String, entry: String, expected: Int, found: Int)
    /// An entry whose content does not hash to the manifest's digest (or, for objects, its name).
    case digestMismatch(file: String, entry: String, expected: String, found: String)
    /// More data than the manifest announces, or a suspicious compression ratio.
    case decompressionBomb(file: String, entry: String?, problem: String)
    /// A record in the manifest that is malformed or names objects the bundle lacks.
    case badRecord(file: String, key: String, problem: String)
    /// A name the manifest carries (pipeline name, a record's id, digest or host, an override)
    /// that breaks the rule a pipeline's own names follow; `field` says where, `rule` what is allowed.
    case badName(file: String, field: String, value: String, rule: String)
    /// Data after the end of the archive (e.g. a second bundle appended to the file).
    case trailingData(file: String, problem: String)
    /// Exporting failed before anything was written (e.g. a stage's object is missing from the store).
    case export(problem: String)
    /// Writing the imported content failed or would overwrite something.
    case target(path: String, problem: String)

    public var description: String {
        switch self {
        case let .archive(file, entry, message):
            return "\(file)\(entry.map { ": entry '\($0)'" } ?? ""): cannot read the archive: \(message)"
        case let .badManifest(file, problem):
            return "\(file): MANIFEST.json: \(problem)"
        case let .unknownFormatVersion(file, found, supported):
            return "\(file): MANIFEST.json: unknown bundle format version \(found) (this madpipe reads version \(supported)); use a newer madpipe"
        case let .unsafePath(file, entry, problem):
            return "\(file): entry '\(entry)': unsafe path: \(problem)"
        case let .notRegularFile(file, entry, type):
            return "\(file): entry '\(entry)' is a \(type); bundles hold only regular files"
        case let .unlisted(file, entry):
            return "\(file): entry '\(entry)' is not listed in MANIFEST.json"
        case let .duplicate(file, entry):
            return "\(file): entry '\(entry)' appears more than once"
        case let .missing(file, entries):
            let shown = entries.prefix(5).map { "'\($0)'" }.joined(separator: ", ")
            return "\(file): \(entries.count) entr\(entries.count == 1 ? "y" : "ies") listed in MANIFEST.json missing from the archive: \(shown)\(entries.count > 5 ? ", ..." : "")"
        case let .sizeMismatch(file, entry, expected, found):
            return "\(file): entry '\(entry)' has \(found) bytes; MANIFEST.json says \(expected)"
        case let .digestMismatch(file, entry, expected, found):
            return "\(file): entry '\(entry)' is corrupt: its content hashes to \(found), expected \(expected)"
        case let .decompressionBomb(file, entry, problem):
            return "\(file)\(entry.map { ": entry '\($0)'" } ?? ""): refused as a possible decompression bomb: \(problem)"
        case let .badRecord(file, key, problem):
            return "\(file): MANIFEST.json: stage record \(key): \(problem)"
        case let .badName(file, field, value, rule):
            return "\(file): MANIFEST.json: field '\(field)' is \(BundleError.shown(value)), which is not \(rule); the bundle is refused"
        case let .trailingData(file, problem):
            return "\(file): data after the end of the archive (\(problem)); a bundle is exactly one archive, refused"
        case let .export(problem):
            return "cannot export: \(problem)"
        case let .target(path, problem):
            return "\(path): \(problem)"
        }
    }

    /// `value` quoted for a message: control characters escaped, cut at 200 characters.
    static func shown(_ value: String) -> String {
        var out = ""
        for u in value.unicodeScalars.prefix(200) {
            if u.value < 0x20 || u.value == 0x7F { out += "\\u{" + String(u.value, radix: 16) + "}" } else { out.unicodeScalars.append(u) }
        }
        return "'" + out + (value.unicodeScalars.count > 200 ? "...'" : "'")
    }
}
