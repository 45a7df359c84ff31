// BundleReader: streams a bundle through libarchive and checks it as it goes: MANIFEST.json must
// come first and parse; every later entry must be a regular file with a safe name the manifest
// lists, seen once, with the listed size and BLAKE3 digest; nothing may be missing; the archive must end
// cleanly, with only zero padding after its end (`BundleStream`) and nothing after its one zstd
// frame (`BundleFrames`); the directory manifests the records reach must name files safely
// (`BundleTrees`); and the decompressed volume must stay within the manifest's total and a ratio limit.
// What to do with each verified byte is up to a `BundleEntrySink` (nothing, for `verify`).

import CArchive
import Base
import Foundation
import PipelineCore
import PipelineStore
#if canImport(Glibc)
import Glibc
#endif

/// libarchive's entry type codes (AE_IF*: the POSIX S_IF* values, which Swift sees ambiguously).
public enum ArchiveFileType {
    public static let regular: UInt32 = 0o100000
    public static let symlink: UInt32 = 0o120000
    public static let directory: UInt32 = 0o040000
    public static let characterDevice: UInt32 = 0o020000
    public static let blockDevice: UInt32 = 0o060000
    public static let fifo: UInt32 = 0o010000
    public static let socket: UInt32 = 0o140000
}

/// Limits that guard against decompression bombs.
public struct BundleLimits {
    /// Largest accepted MANIFEST.json.
    public var maxManifest = 64 << 20
    /// Refuse when the decompressed bytes exceed `maxRatio` times the compressed bytes read
    /// (checked once more than `ratioFloor` bytes were decompressed).
    public var maxRatio: Double = 1000
    public var ratioFloor = 16 << 20
    /// Refuse a bundle whose manifest announces more than this many bytes (nil: no limit).
    public var maxTotal: Int? = nil

    public init() {}
}

/// Receives the entries of a bundle being read. `open` is called on the reading thread in archive
/// order; the writer it returns gets that entry's bytes (not yet verified) on one worker thread,
/// then `finish` once the entry's size and digest checked out, or `abandon` if they did not.
public protocol BundleEntrySink: AnyObject {
    func open(_ entry: BundleEntry) throws -> BundleEntryWriter?
}

/// Where one entry's bytes go (see `BundleEntrySink`).
public protocol BundleEntryWriter: AnyObject {
    func write(_ bytes: UnsafeRawBufferPointer) throws
    func finish() throws
    func abandon()
}

/// What a successful read saw.
public struct BundleReadSummary {
    public var manifest: BundleManifest
    /// Compressed bytes read and decompressed bytes produced.
    public var compressedBytes: Int
    public var uncompressedBytes: Int
}

public enum BundleReader {
    /// Reads and checks the whole bundle at `path`. `onManifest` runs after MANIFEST.json parsed
    /// (before any other entry) and may throw to stop. Throws the first problem found.
    @discardableResult
    public static func read(path: String, limits: BundleLimits = BundleLimits(),
                            onManifest: (BundleManifest) throws -> Void = { _ in },
                            sink: BundleEntrySink? = nil) throws -> BundleReadSummary {
        // The tar is read from `stream` (the decompressed bytes), which sees every byte, so that
        // what follows the end-of-archive blocks can be checked (libarchive's tar reader stops there).
        let stream = try BundleStream(path: path)
        guard let a = archive_read_new() else { throw BundleError.archive(file: path, entry: nil, message: "out of memory") }
        defer { archive_read_free(a); withExtendedLifetime(stream) {} }  // `a` calls back into `stream`
        archive_read_support_format_tar(a)
        func fail(_ entry: String?) -> BundleError {
            .archive(file: path, entry: entry, message: stream.error ?? archive_error_string(a).map { String(cString: $0) } ?? "unreadable")
        }
        guard stream.open(a) == ARCHIVE_OK else { throw fail(nil) }
        let fileSize = FileSystem.size(path) ?? 0

        var header: OpaquePointer? = nil
        let chunk = 1 << 22
        let buf = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 64)
        defer { buf.deallocate() }
        var uncompressed = 0

        func checkRatio(_ entry: String) throws {
            let compressed = stream.compressedBytes
            if uncompressed > limits.ratioFloor && Double(uncompressed) > limits.maxRatio * Double(max(compressed, 1)) {
                throw BundleError.decompressionBomb(file: path, entry: entry,
                    problem: "\(uncompressed) bytes decompressed from \(compressed) (ratio above \(Int(limits.maxRatio)))")
            }
        }

        /// Checks the header's type and name; returns the name.
        func entryName(_ e: OpaquePointer) throws -> String {
            guard let cname = archive_entry_pathname(e) else { throw BundleError.unsafePath(file: path, entry: "?", problem: "entry without a name") }
            let name = String(cString: cname)
            if archive_entry_hardlink(e) != nil { throw BundleError.notRegularFile(file: path, entry: name, type: "hard link") }
            let type = archive_entry_filetype(e)
            if type != ArchiveFileType.regular {
                let kind: String
                switch type {
                case ArchiveFileType.symlink: kind = "symbolic link"
                case ArchiveFileType.directory: kind = "directory"
                case ArchiveFileType.characterDevice, ArchiveFileType.blockDevice: kind = "device file"
                case ArchiveFileType.fifo: kind = "fifo"
                case ArchiveFileType.socket: kind = "socket"
                default: kind = "entry of unknown type"
                }
                throw BundleError.notRegularFile(file: path, entry: name, type: kind)
            }
            if let problem = BundlePath.problem(name) { throw BundleError.unsafePath(file: path, entry: name, problem: problem) }
            guard archive_entry_size_is_set(e) != 0 else { throw BundleError.sizeMismatch(file: path, entry: name, expected: 0, found: -1) }
            return name
        }

        // MANIFEST.json
        var rc = archive_read_next_header(a, &header)
        guard rc == ARCHIVE_OK || rc == ARCHIVE_WARN, let first = header else {
            if rc == ARCHIVE_EOF { throw BundleError.badManifest(file: path, problem: "the archive is empty") }
            throw fail(nil)
        }
        let firstName = try entryName(first)
        guard firstName == BundleManifest.entryName else {
            throw BundleError.badManifest(file: path, problem: "the first entry is '\(firstName)'; a bundle starts with MANIFEST.json")
        }
        let manifestSize = Int(archive_entry_size(first))
        guard manifestSize <= limits.maxManifest else {
            throw BundleError.decompressionBomb(file: path, entry: firstName, problem: "MANIFEST.json is \(manifestSize) bytes (limit \(limits.maxManifest))")
        }
        var manifestBytes: [UInt8] = []
        manifestBytes.reserveCapacity(manifestSize)
        while true {
            let n = archive_read_data(a, buf, chunk)
            if n < 0 { throw fail(firstName) }
            if n == 0 { break }
            manifestBytes.append(contentsOf: UnsafeRawBufferPointer(start: buf, count: n))
            guard manifestBytes.count <= manifestSize else {
                throw BundleError.sizeMismatch(file: path, entry: firstName, expected: manifestSize, found: manifestBytes.count)
            }
        }
        guard manifestBytes.count == manifestSize else {
            throw BundleError.sizeMismatch(file: path, entry: firstName, expected: manifestSize, found: manifestBytes.count)
        }
        uncompressed = manifestSize
        let manifest = try BundleManifest(bytes: manifestBytes, file: path)
        let total = manifest.totalSize
        if let maxTotal = limits.maxTotal, total > maxTotal {
            throw BundleError.decompressionBomb(file: path, entry: nil, problem: "the manifest announces \(total) bytes (limit \(maxTotal))")
        }
        if total > limits.ratioFloor && Double(total) > limits.maxRatio * Double(max(fileSize, 1)) {
            throw BundleError.decompressionBomb(file: path, entry: nil,
                problem: "the manifest announces \(total) bytes in a \(fileSize)-byte file (ratio above \(Int(limits.maxRatio)))")
        }
        try onManifest(manifest)

        let trees = BundleTrees(file: path, maxBytes: 4 * limits.maxManifest)
        var expected: [String: BundleEntry] = [:]
        for e in manifest.entries { expected[e.path] = e }
        var seen = Set<String>()
        let workers = EntryWorkers(count: max(1, min(4, ProcessInfo.processInfo.activeProcessorCount)), buffers: 8, size: chunk)
        var index = 0
        do {
            while true {
                rc = archive_read_next_header(a, &header)
                if rc == ARCHIVE_EOF { break }
                index += 1
                if let e = workers.error() { throw e }
                guard rc == ARCHIVE_OK || rc == ARCHIVE_WARN, let h = header else { throw fail(nil) }
                let name = try entryName(h)
                if name == BundleManifest.entryName || seen.contains(name) { throw BundleError.duplicate(file: path, entry: name) }
                guard let entry = expected[name] else { throw BundleError.unlisted(file: path, entry: name) }
                seen.insert(name)
                let headerSize = Int(archive_entry_size(h))
                guard headerSize == entry.size else {
                    throw BundleError.sizeMismatch(file: path, entry: name, expected: entry.size, found: headerSize)
                }
                let inner = try sink?.open(entry)
                let writer = entry.path.hasPrefix("objects/") ? TreeCapture(digest: entry.digest, inner: inner, owner: trees) : inner
                let job = EntryJob(index: index, entry: entry, writer: writer)
                let queue = workers.queues[index % workers.queues.count]
                var got = 0
                while true {
                    let b = workers.take()
                    let n = archive_read_data(a, b, chunk)
                    if n <= 0 {
                        workers.give(b)
                        if n < 0 { throw fail(name) }
                        break
                    }
                    got += n
                    uncompressed += n
                    guard got <= entry.size else {
                        workers.give(b)
                        throw BundleError.sizeMismatch(file: path, entry: name, expected: entry.size, found: got)
                    }
                    if uncompressed > total + manifestSize + (1 << 20) {
                        workers.give(b)
                        throw BundleError.decompressionBomb(file: path, entry: name, problem: "more data than the manifest announces")
                    }
                    try checkRatio(name)
                    let chunkBuffer = ChunkBuffer(pointer: b)
                    queue.async(group: workers.group) {
                        defer { workers.give(chunkBuffer.pointer) }
                        job.consume(UnsafeRawBufferPointer(start: chunkBuffer.pointer, count: n), workers: workers)
                    }
                }
                guard got == entry.size else { throw BundleError.sizeMismatch(file: path, entry: name, expected: entry.size, found: got) }
                queue.async(group: workers.group) { job.complete(file: path, workers: workers) }
            }
        } catch {
            workers.group.wait()
            if let first = workers.firstError, first.0 < index { throw first.1 }
            throw error
        }
        workers.group.wait()
        if let e = workers.error() { throw e }
        let missing = manifest.entries.map(\.path).filter { !seen.contains($0) }
        if !missing.isEmpty { throw BundleError.missing(file: path, entries: missing) }
        try trees.check(manifest)
        try stream.checkRest(consumed: Int(archive_filter_bytes(a, 0)))
        try BundleFrames.checkSingleFrame(path: path)
        return BundleReadSummary(manifest: manifest, compressedBytes: stream.compressedBytes, uncompressedBytes: uncompressed)
    }
}

/// Worker queues that hash entries (and hand them to their writers) while the reading thread
/// decompresses the next data: one serial queue per core, entries assigned round-robin, and a
/// fixed pool of chunk buffers that bounds memory. Errors are kept with their entry's index so the
/// earliest one is reported whatever the timing.
final class EntryWorkers {
    let queues: [DispatchQueue]
    let group = DispatchGroup()
    private let lock = NSLock()
    private let available: DispatchSemaphore
    private var pool: [UnsafeMutableRawPointer]
    private let all: [UnsafeMutableRawPointer]
    private(set) var firstError: (Int, Error)? = nil

    init(count: Int, buffers: Int, size: Int) {
        queues = (0..<count).map { DispatchQueue(label: "madpipe.bundle.hash.\($0)") }
        all = (0..<buffers).map { _ in UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64) }
        pool = all
        available = DispatchSemaphore(value: buffers)
    }

    deinit {
        group.wait()
        for b in all { b.deallocate() }
    }

    func take() -> UnsafeMutableRawPointer {
        available.wait()
        lock.lock(); defer { lock.unlock() }
        return pool.removeLast()
    }

    func give(_ b: UnsafeMutableRawPointer) {
        lock.lock()
        pool.append(b)
        lock.unlock()
        available.signal()
    }

    func fail(_ index: Int, _ e: Error) {
        lock.lock(); defer { lock.unlock() }
        if firstError == nil || index < firstError!.0 { firstError = (index, e) }
    }

    func error() -> Error? {
        lock.lock(); defer { lock.unlock() }
        return firstError?.1
    }
}

/// A pool buffer handed to a worker queue (owned by exactly one side at a time).
struct ChunkBuffer: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
}

/// One entry's running digest and writer; used only on its worker queue.
final class EntryJob {
    let index: Int
    let entry: BundleEntry
    let writer: BundleEntryWriter?
    var hasher = BLAKE3Hasher(threads: 1)
    var failed = false

    init(index: Int, entry: BundleEntry, writer: BundleEntryWriter?) {
        self.index = index
        self.entry = entry
        self.writer = writer
    }

    func consume(_ bytes: UnsafeRawBufferPointer, workers: EntryWorkers) {
        guard !failed else { return }
        hasher.update(bytes)
        do { try writer?.write(bytes) } catch {
            failed = true
            writer?.abandon()
            workers.fail(index, error)
        }
    }

    func complete(file: String, workers: EntryWorkers) {
        guard !failed else { return }
        let digest = hasher.finalizeHex()
        guard digest == entry.digest else {
            writer?.abandon()
            workers.fail(index, BundleError.digestMismatch(file: file, entry: entry.path, expected: entry.digest, found: digest))
            return
        }
        do { try writer?.finish() } catch { workers.fail(index, error) }
    }
}
