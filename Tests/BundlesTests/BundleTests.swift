// BundleTests: export/verify/import round trip, byte-for-byte determinism (checked with the
// system's tar and sha256sum as independent readers), and every refusal the safety rules name,
// each on an archive crafted with libarchive, with "nothing written" checked after each.

import Base
import CArchive
import Foundation
import PipelineCore
import PipelineStore
@testable import Bundles
import XCTest

final class BundleTests: XCTestCase {
    func sh(_ args: [String]) throws -> (Int32, String) { try runProcess("/usr/bin/env", args) }

    func testRoundTripPublishesRecordsObjectsAndPipelineFiles() throws {
        let f = try BundleFixture("roundtrip")
        let path = try f.bundle()
        let summary = try BundleReader.read(path: path)
        XCTAssertEqual(summary.manifest.records.map(\.key).sorted(), f.records.map(\.key).sorted())
        XCTAssertEqual(summary.manifest.pipeline, "demo")

        let target = try Store(root: f.dir + "/cache2")
        let report = try BundleImporter.importBundle(path: path, into: target, pipelineDirectory: f.dir + "/imported")
        XCTAssertEqual(report.records, 2)
        for r in f.records {
            let got = try XCTUnwrap(target.completeRecord(r.key), "record \(r.stage) imported with all its objects")
            XCTAssertEqual(got.value, r.value)
            XCTAssertEqual(target.latestKey(pipeline: "demo", stage: r.stage), r.key)
        }
        XCTAssertEqual(target.verify().count, 0)
        let out = try target.outputDirectory(of: f.records[0])
        XCTAssertEqual(FileSystem.read(out + "/data.bin").map { Array($0) }, Array(repeating: 7, count: 3000))
        XCTAssertEqual(try String(contentsOfFile: f.dir + "/imported/p.yaml", encoding: .utf8), "pipeline: demo\n")
        XCTAssertEqual(try String(contentsOfFile: f.dir + "/imported/data/in.txt", encoding: .utf8), "input\n")
        XCTAssertTrue(try String(contentsOfFile: f.dir + "/imported/results/demo/auroc.csv", encoding: .utf8).contains("sae,0.93"))
        XCTAssertEqual(FileSystem.list(target.root + "/tmp"), [], "the staging directory is gone")

        // Importing again adds nothing and succeeds (files are identical).
        let again = try BundleImporter.importBundle(path: path, into: target, pipelineDirectory: f.dir + "/imported")
        XCTAssertEqual(again.records, 0)
        XCTAssertEqual(again.newObjects, 0)
    }

    func testExportIsByteIdenticalAndReadableByTar() throws {
        let f = try BundleFixture("determinism")
        let (_, r1) = try BundleExporter.export(try f.contents(), store: f.store, engine: "test", to: f.dir + "/one.tar.zst")
        let (_, r2) = try BundleExporter.export(try f.contents(), store: f.store, engine: "test", to: f.dir + "/two.tar.zst")
        XCTAssertEqual(FileSystem.read(f.dir + "/one.tar.zst"), FileSystem.read(f.dir + "/two.tar.zst"))
        XCTAssertEqual(r1.digest, r2.digest)
        let (_, sum) = try sh(["sha256sum", f.dir + "/one.tar.zst"])
        XCTAssertEqual(String(sum.prefix(64)), r1.digest, "the printed digest is the file's SHA-256 (sha256sum)")
        XCTAssertEqual(r1.bytes, FileSystem.size(f.dir + "/one.tar.zst"))
        // A different note changes the bytes.
        _ = try BundleExporter.export(try f.contents(note: "other"), store: f.store, engine: "test", to: f.dir + "/three.tar.zst")
        XCTAssertNotEqual(FileSystem.read(f.dir + "/one.tar.zst"), FileSystem.read(f.dir + "/three.tar.zst"))

        // GNU tar reads it: MANIFEST.json first, then sorted objects, fixed owner and time.
        let (code, listing) = try sh(["tar", "--zstd", "--numeric-owner", "--full-time", "-tvf", f.dir + "/one.tar.zst"])
        XCTAssertEqual(code, 0)
        let lines = listing.split(separator: "\n")
        let names = lines.map { String($0.split(separator: " ").last!) }
        XCTAssertEqual(names.first, "MANIFEST.json")
        let objects = names.filter { $0.hasPrefix("objects/") }
        XCTAssertEqual(objects, objects.sorted())
        XCTAssertEqual(names.last, "results/auroc.csv")
        for l in lines {
            XCTAssertTrue(l.hasPrefix("-rw-r--r-- 0/0"), String(l))
            XCTAssertTrue(l.contains("2000-01-01 00:00:00"), String(l))
        }
        try FileSystem.makeDirectory(f.dir + "/x")
        XCTAssertEqual(try sh(["tar", "--zstd", "-xf", f.dir + "/one.tar.zst", "-C", f.dir + "/x"]).0, 0)
        let some = f.records[0].output
        XCTAssertEqual(try FileHasher.hash(path: f.dir + "/x/objects/" + some).digest, some)
    }

    // MARK: Refusals

    /// A manifest for the fixture's first object only, and that object's bytes.
    func oneObject(_ f: BundleFixture) throws -> (BundleManifest, String, [UInt8]) {
        let log = f.records[0].log
        let bytes = Array(FileSystem.read(f.store.objectPath(log))!)
        let m = BundleManifest(engine: "t", pipeline: "demo", pipelineFile: "p.yaml", files: [BundleTextFile(path: "p.yaml", text: "x")],
                               vars: .map([]), overrides: [], only: [], withIntermediates: false, records: [], current: [],
                               entries: [BundleEntry(path: "objects/" + log, size: bytes.count, digest: log)], provenance: [], note: "")
        return (m, log, bytes)
    }

    /// Checks that verify and import both refuse `path` with an error for which `check` holds,
    /// and that the import wrote nothing.
    func assertRefused(_ f: BundleFixture, _ path: String, limits: BundleLimits = BundleLimits(),
                       file: StaticString = #filePath, line: UInt = #line, _ check: (BundleError) -> Bool) throws {
        XCTAssertThrowsError(try BundleReader.read(path: path, limits: limits), file: file, line: line) { e in
            XCTAssertTrue((e as? BundleError).map(check) ?? false, "verify: unexpected error \(e)", file: file, line: line)
        }
        let target = try Store(root: f.dir + "/fresh")
        let before = snapshot(target.root)
        XCTAssertThrowsError(try BundleImporter.importBundle(path: path, into: target, pipelineDirectory: f.dir + "/target", limits: limits),
                             file: file, line: line) { e in
            XCTAssertTrue((e as? BundleError).map(check) ?? false, "import: unexpected error \(e)", file: file, line: line)
        }
        XCTAssertEqual(snapshot(target.root), before, "import left the store as it was", file: file, line: line)
        XCTAssertFalse(FileSystem.exists(f.dir + "/target"), "nothing written to the pipeline directory", file: file, line: line)
    }

    func hostile(_ f: BundleFixture, _ name: String, manifest: BundleManifest, _ rest: [RawEntry]) throws -> String {
        let p = f.dir + "/" + name + ".tar.zst"
        try RawTar.write([RawEntry(name: "MANIFEST.json", data: manifest.json)] + rest, to: p)
        return p
    }

    /// A write that fails part-way (here: the file-size limit, EFBIG) fails the export with the
    /// system's reason and leaves neither the bundle nor its temp file; the writing queue's error
    /// reaches the caller.
    func testExportThatCannotWriteFailsCleanly() throws {
        let dir = NSTemporaryDirectory() + "madpipe-bundle-efbig-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rng = SplitMix64(seed: 3)
        let noise = (0..<(6 << 20)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        var old = rlimit()
        getrlimit(Int32(RLIMIT_FSIZE.rawValue), &old)
        let oldHandler = signal(SIGXFSZ, SIG_IGN)
        var limit = old
        limit.rlim_cur = 2 << 20
        XCTAssertEqual(setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit), 0)
        defer {
            setrlimit(Int32(RLIMIT_FSIZE.rawValue), &old)
            signal(SIGXFSZ, oldHandler)
        }
        XCTAssertThrowsError(try BundleWriter.write(to: dir + "/b.tar.zst", entries: [("MANIFEST.json", false, .bytes(Array("{}".utf8))),
                                                                                      ("objects/x", false, .bytes(noise))])) {
            XCTAssertTrue("\($0)".contains(String(cString: strerror(EFBIG))), "\($0)")
        }
        XCTAssertEqual(FileSystem.list(dir), [], "no bundle and no temp file left")
    }

    func testUnsafeNamesAndEntryTypesAreRefused() throws {
        let f = try BundleFixture("unsafe")
        let (m, log, bytes) = try oneObject(f)
        let good = RawEntry(name: "objects/" + log, data: bytes)
        // The control case: the same construction with nothing hostile imports fine.
        let ok = try hostile(f, "ok", manifest: m, [good])
        XCTAssertNoThrow(try BundleReader.read(path: ok))

        let cases: [(String, RawEntry, (BundleError) -> Bool)] = [
            ("absolute", RawEntry(name: "/tmp/madpipe-evil", data: [1]), { if case .unsafePath = $0 { return true }; return false }),
            ("dotdot", RawEntry(name: "objects/../../evil", data: [1]), { if case .unsafePath = $0 { return true }; return false }),
            ("symlink", RawEntry(name: "results/link", kind: .symlink("/etc/passwd")), { if case .notRegularFile(_, _, "symbolic link") = $0 { return true }; return false }),
            ("hardlink", RawEntry(name: "results/hl", kind: .hardlink("objects/" + log)), { if case .notRegularFile(_, _, "hard link") = $0 { return true }; return false }),
            ("directory", RawEntry(name: "results/d", kind: .directory), { if case .notRegularFile(_, _, "directory") = $0 { return true }; return false }),
            ("fifo", RawEntry(name: "results/fifo", kind: .fifo), { if case .notRegularFile(_, _, "fifo") = $0 { return true }; return false }),
            ("device", RawEntry(name: "results/null", kind: .device), { if case .notRegularFile(_, _, "device file") = $0 { return true }; return false }),
            ("unlisted", RawEntry(name: "results/extra.txt", data: [1, 2]), { if case .unlisted(_, "results/extra.txt") = $0 { return true }; return false }),
            ("duplicate", good, { if case .duplicate = $0 { return true }; return false }),
        ]
        for (name, entry, check) in cases {
            let p = try hostile(f, name, manifest: m, [good, entry])
            try assertRefused(f, p, check)
        }
    }

    func testLiesAboutContentAreRefused() throws {
        let f = try BundleFixture("lies")
        let (m, log, bytes) = try oneObject(f)
        var flipped = bytes
        flipped[0] ^= 1
        try assertRefused(f, try hostile(f, "digest", manifest: m, [RawEntry(name: "objects/" + log, data: flipped)])) {
            if case .digestMismatch(_, "objects/" + log, _, _) = $0 { return true }; return false
        }
        try assertRefused(f, try hostile(f, "size", manifest: m, [RawEntry(name: "objects/" + log, data: bytes + [0])])) {
            if case .sizeMismatch(_, _, bytes.count, bytes.count + 1) = $0 { return true }; return false
        }
        var two = m
        let other = f.records[1].log
        two.entries.append(BundleEntry(path: "objects/" + other, size: 10, digest: other))
        try assertRefused(f, try hostile(f, "missing", manifest: two, [RawEntry(name: "objects/" + log, data: bytes)])) {
            if case .missing(_, ["objects/" + other]) = $0 { return true }; return false
        }
        // Unknown format version.
        let current = BundleManifest.formatVersion, next = current + 1
        let later = String(decoding: m.json, as: UTF8.self).replacingOccurrences(of: "\"formatVersion\": \(current)", with: "\"formatVersion\": \(next)")
        XCTAssertNotEqual(later, String(decoding: m.json, as: UTF8.self))
        let p = f.dir + "/later.tar.zst"
        try RawTar.write([RawEntry(name: "MANIFEST.json", data: Array(later.utf8)), RawEntry(name: "objects/" + log, data: bytes)], to: p)
        try assertRefused(f, p) { if case .unknownFormatVersion(_, next, current) = $0 { return true }; return false }
        // MANIFEST.json not first.
        let q = f.dir + "/late.tar.zst"
        try RawTar.write([RawEntry(name: "objects/" + log, data: bytes), RawEntry(name: "MANIFEST.json", data: m.json)], to: q)
        try assertRefused(f, q) { if case .badManifest = $0 { return true }; return false }
        // A pipeline file that would land outside the target directory.
        var escape = m
        escape.files = [BundleTextFile(path: "../escape.yaml", text: "x")]
        escape.pipelineFile = "../escape.yaml"
        try assertRefused(f, try hostile(f, "escape", manifest: escape, [RawEntry(name: "objects/" + log, data: bytes)])) {
            if case .unsafePath = $0 { return true }; return false
        }
        // A record naming an object the bundle lacks.
        var rec = m
        rec.records = [f.records[0]]
        try assertRefused(f, try hostile(f, "record", manifest: rec, [RawEntry(name: "objects/" + log, data: bytes)])) {
            if case .badRecord = $0 { return true }; return false
        }
    }

    func testTruncatedArchiveIsRefused() throws {
        let f = try BundleFixture("truncated")
        let path = try f.bundle()
        let data = FileSystem.read(path)!
        for cut in [data.count - 1, data.count / 2, 40] {
            let p = f.dir + "/cut\(cut).tar.zst"
            try data.prefix(cut).write(to: URL(fileURLWithPath: p))
            try assertRefused(f, p) { _ in true }
        }
    }

    func testDecompressionBombsAreRefused() throws {
        let f = try BundleFixture("bomb")
        let zeros = [UInt8](repeating: 0, count: 3 << 20)
        let d = contentDigest(Data(zeros))
        var (m, _, _) = try oneObject(f)
        m.entries = [BundleEntry(path: "objects/" + d, size: zeros.count, digest: d)]
        let p = try hostile(f, "zeros", manifest: m, [RawEntry(name: "objects/" + d, data: zeros)])
        var limits = BundleLimits()
        limits.ratioFloor = 1 << 20
        limits.maxRatio = 20
        try assertRefused(f, p, limits: limits) { if case .decompressionBomb = $0 { return true }; return false }
        limits = BundleLimits()
        limits.maxManifest = 100
        try assertRefused(f, p, limits: limits) { if case .decompressionBomb(_, "MANIFEST.json", _) = $0 { return true }; return false }
        limits = BundleLimits()
        limits.maxTotal = 1 << 20
        try assertRefused(f, p, limits: limits) { if case .decompressionBomb = $0 { return true }; return false }
        // With the default limits the same (honest) bundle is fine.
        XCTAssertNoThrow(try BundleReader.read(path: p))
    }

    func testImportRefusesToOverwriteDifferentFiles() throws {
        let f = try BundleFixture("overwrite")
        let path = try f.bundle()
        try FileSystem.makeDirectory(f.dir + "/t")
        try "mine\n".write(toFile: f.dir + "/t/p.yaml", atomically: true, encoding: .utf8)
        let target = try Store(root: f.dir + "/c3")
        let before = snapshot(target.root)
        XCTAssertThrowsError(try BundleImporter.importBundle(path: path, into: target, pipelineDirectory: f.dir + "/t")) { e in
            XCTAssertTrue("\(e)".contains("exists with other content"), "\(e)")
        }
        XCTAssertEqual(snapshot(target.root), before)
        XCTAssertEqual(try String(contentsOfFile: f.dir + "/t/p.yaml", encoding: .utf8), "mine\n")
        XCTAssertNoThrow(try BundleImporter.importBundle(path: path, into: target, pipelineDirectory: f.dir + "/t", overwrite: true))
        XCTAssertEqual(try String(contentsOfFile: f.dir + "/t/p.yaml", encoding: .utf8), "pipeline: demo\n")
    }

    // MARK: Headline metrics

    func testHeadlineRowsAreTheBestByTheMetricColumn() {
        let csv = Array("dataset,detector,auroc\naddition,maha,0.71\naddition,\"sae, big\",0.93\nsub,flow,0.88\nsub,knn,n/a\n".utf8)
        let t = BundleMetrics.headline(csv: csv, limit: 3)
        XCTAssertEqual(t.sortedBy, "auroc")
        XCTAssertEqual(t.header, ["dataset", "detector", "auroc"])
        XCTAssertEqual(t.rows, [["addition", "sae, big", "0.93"], ["sub", "flow", "0.88"], ["addition", "maha", "0.71"]])
        // Without a metric-like column the first rows are kept in file order.
        let plain = BundleMetrics.headline(csv: Array("a,b\n1,2\n3,4\n".utf8), limit: 1)
        XCTAssertNil(plain.sortedBy)
        XCTAssertEqual(plain.rows, [["1", "2"]])
    }
}
