// BundleContainmentTests: every name a bundle carries is hostile input. A pipeline name, a record's
// fields, an override, a result or pipeline path, a directory manifest's entry that breaks the rules a pipeline's own names follow
// is refused by verify and import before anything is written (checked: no file appears where the
// name points); a bundle file with data after the end of its archive (a second bundle appended, tar
// data after the end-of-archive blocks, a skippable zstd frame) is refused; zero padding is fine.

import Base
import Foundation
import PipelineCore
import PipelineStore
@testable import Bundles
import XCTest

extension BundleTests {
    /// A valid bundle of the fixture's first record (with all its objects), its pipeline file and
    /// one published output, as a manifest and the entries after it.
    func recordBundle(_ f: BundleFixture) throws -> (BundleManifest, [RawEntry]) {
        let r = f.records[0]
        var entries: [BundleEntry] = []
        var raw: [RawEntry] = []
        for d in Set(r.objects).sorted() {
            let bytes = Array(try XCTUnwrap(FileSystem.read(f.store.objectPath(d))))
            entries.append(BundleEntry(path: "objects/" + d, size: bytes.count, digest: d))
            raw.append(RawEntry(name: "objects/" + d, data: bytes))
        }
        let csv = Array("detector,auroc\nsae,0.93\n".utf8)
        entries.append(BundleEntry(path: "results/auroc.csv", size: csv.count, digest: contentDigest(Data(csv))))
        raw.append(RawEntry(name: "results/auroc.csv", data: csv))
        let m = BundleManifest(engine: "t", pipeline: "demo", pipelineFile: "p.yaml", files: [BundleTextFile(path: "p.yaml", text: "pipeline: demo\n")],
                               vars: .map([]), overrides: ["seed=2"], only: [], withIntermediates: false, records: [r], current: [r.key],
                               entries: entries, provenance: [], note: "")
        return (m, raw)
    }

    func isBadName(_ field: String) -> (BundleError) -> Bool {
        { if case .badName(_, field, _, _) = $0 { return true }; return false }
    }

    func testHostilePipelineNamesAreRefusedAndNothingIsWrittenOutside() throws {
        let f = try BundleFixture("pipename")
        let (m, raw) = try recordBundle(f)
        // The control: the same construction with an honest name imports, results under results/demo/.
        let ok = try hostile(f, "ok", manifest: m, raw)
        XCTAssertNoThrow(try BundleImporter.importBundle(path: ok, into: try Store(root: f.dir + "/okstore"), pipelineDirectory: f.dir + "/ok"))
        XCTAssertTrue(FileSystem.exists(f.dir + "/ok/results/demo/auroc.csv"))

        // `import --pipeline-dir target` writes results/<pipeline>/auroc.csv under target.
        let outside = NSTemporaryDirectory() + "madpipe-escape-\(getpid())"
        defer { FileSystem.remove(outside) }
        let escapes = ["../../x", "../../../../../../../../../.." + outside]
        let names = escapes + ["/abs-\(getpid())", "a\u{0}b", "a\nb", "..", ".", "", ".hidden", "a/b", "a b", "-\u{1b}[2J"]
        for (i, name) in names.enumerated() {
            var h = m
            h.pipeline = name
            try assertRefused(f, try hostile(f, "pipe\(i)", manifest: h, raw), isBadName("pipeline"))
        }
        XCTAssertFalse(FileSystem.exists(f.dir + "/x"), "target/results/../../x stayed unwritten")
        XCTAssertFalse(FileSystem.exists(outside), "nothing written at an absolute path outside the target")
        // The message names the field and shows the value with control characters escaped.
        var h = m
        h.pipeline = "a\nb"
        XCTAssertThrowsError(try BundleReader.read(path: try hostile(f, "msg", manifest: h, raw))) { e in
            XCTAssertTrue("\(e)".contains("field 'pipeline' is 'a\\u{a}b'"), "\(e)")
            XCTAssertFalse("\(e)".contains("\n"), "\(e)")
        }
    }

    func testHostileRecordFieldsAndOverridesAreRefused() throws {
        let f = try BundleFixture("recfields")
        let (m, raw) = try recordBundle(f)
        XCTAssertNoThrow(try BundleReader.read(path: try hostile(f, "ok", manifest: m, raw)))
        let digest = String(repeating: "ab", count: 32)
        let cases: [(String, (inout StageRecord) -> Void)] = [
            ("records[0].stage", { $0.stage = "../../x" }),
            ("records[0].stage", { $0.stage = "a\nb" }),
            ("records[0].stage", { $0.stage = "a[dataset=x" }),
            ("records[0].stage", { $0.stage = "a[=x]" }),
            ("records[0].pipeline", { $0.pipeline = "../p" }),
            ("records[0].log", { $0.log = "../../../../etc/passwd" }),
            ("records[0].log", { $0.log = digest }),
            ("records[0].parts.kind", { $0.parts.kind = "../k" }),
            ("records[0].parts.inputs.x", { $0.parts.inputs = [("x", .string("../../../etc"))] }),
            ("records[0].parts.inputs.x", { $0.parts.inputs = [("x", .string(digest + ":../up"))] }),
            ("records[0].parts.inputs.x[0]", { $0.parts.inputs = [("x", .list([.list([.string("s/../t"), .string(digest)])]))] }),
            ("records[0].parts.inputs.x[0]", { $0.parts.inputs = [("x", .list([.list([.string("s"), .string("/etc/passwd")])]))] }),
            ("records[0].parts.files.deps.in", { $0.parts.files = [("deps.in", .string("../x"))] }),
            ("records[0].host", { $0.host = "h\u{1b}]0;owned\u{7}" }),
        ]
        for (i, (field, change)) in cases.enumerated() {
            var r = m.records[0]
            change(&r)
            r.key = r.parts.key
            var h = m
            h.records = [r]
            h.current = [r.key]
            try assertRefused(f, try hostile(f, "rec\(i)", manifest: h, raw), isBadName(field))
        }
        // Honest variants of the same fields are accepted.
        var fine = m.records[0]
        fine.stage = "score[detector=sae,layer=3]"
        fine.parts.inputs = [("x", .string(digest + ":auroc.csv")), ("all", .list([.list([.string("s[a=1]"), .string(digest)])]))]
        fine.key = fine.parts.key
        var good = m
        good.records = [fine]
        good.current = [fine.key]
        XCTAssertNoThrow(try BundleReader.read(path: try hostile(f, "fine", manifest: good, raw)))

        for (i, o) in ["x", "=1", "../a=1", "offset=1\n; rm -rf ~", "lr[=1", "lr[]=1", "../x[a]=1"].enumerated() {
            var h = m
            h.overrides = [o]
            try assertRefused(f, try hostile(f, "ov\(i)", manifest: h, raw), isBadName("selection.overrides[0]"))
        }
        // An override of one entry of a map var (`-p 'finetune_steps[quality]=200'`) is a name too.
        var entry = m
        entry.overrides = ["finetune_steps[quality]=200", "lr[recipe][subtraction]=0.001"]
        XCTAssertNoThrow(try BundleReader.read(path: try hostile(f, "ov-entry", manifest: entry, raw)))
    }

    /// Result, pipeline-file and dependency names: relative paths that stay inside their section
    /// and inside the target directory, never into a `.git` directory (git runs hooks from there).
    func testHostileResultAndPipelinePathsAreRefused() throws {
        let f = try BundleFixture("paths")
        let (m, raw) = try recordBundle(f)
        let bytes = Array("#!/bin/sh\ntouch owned\n".utf8)
        let d = contentDigest(Data(bytes))
        for (i, name) in ["results/../../../x", "results/.git/hooks/pre-commit", "pipeline/.git/hooks/post-checkout",
                          "pipeline/sub/.GIT/config", "results/\u{0}x", "results//x"].enumerated() {
            var h = m
            h.entries.append(BundleEntry(path: name, size: bytes.count, digest: d, exec: true))
            try assertRefused(f, try hostile(f, "path\(i)", manifest: h, raw + [RawEntry(name: name, data: bytes)])) {
                if case .unsafePath = $0 { return true }; return false
            }
            XCTAssertFalse(FileSystem.exists(f.dir + "/x"))
        }
        var h = m
        h.files = [BundleTextFile(path: ".git/config", text: "[core]\n\tfsmonitor = touch owned\n")]
        h.pipelineFile = ".git/config"
        try assertRefused(f, try hostile(f, "gitfile", manifest: h, raw)) { if case .unsafePath = $0 { return true }; return false }
    }

    /// A record's output is a directory manifest; the store builds `out/<key>/<name>` from it and
    /// reads, checks (and on a mismatch removes) `objects/<digest>`. A manifest naming a file `..`
    /// or `a/b`, or a digest such as `../../../../etc/passwd` or one the record does not hold, is refused.
    func testHostileDirectoryManifestsAreRefused() throws {
        let f = try BundleFixture("trees")
        let (m, raw) = try recordBundle(f)
        let r0 = m.records[0]
        let file = r0.objects.first { $0 != r0.output && $0 != r0.log }!
        let other = String(repeating: "cd", count: 32)
        let cases: [(String, String, String, (BundleError) -> Bool)] = [
            ("..", file, "file", isBadName("records[0] output entries[0].name")),
            ("a/b", file, "file", isBadName("records[0] output entries[0].name")),
            ("", file, "file", isBadName("records[0] output entries[0].name")),
            ("f", "../../../../../../etc/passwd", "file", isBadName("records[0] output entries[0].digest")),
            ("f", other, "file", isBadName("records[0] output entries[0].digest")),
            ("f", file, "link", { if case .badRecord = $0 { return true }; return false }),
            ("d", file, "dir", { if case .badRecord = $0 { return true }; return false }),
        ]
        for (i, (name, digest, type, check)) in cases.enumerated() {
            let tree = Array(Value.map([("entries", .list([.map([("name", .string(name)), ("type", .string(type)), ("digest", .string(digest)),
                                                                  ("size", .int(1)), ("exec", .bool(false))])]))]).canonicalJSON.utf8)
            let treeDigest = contentDigest(Data(tree))
            var r = r0
            r.output = treeDigest
            r.objects = [treeDigest, file, r0.log]
            r.parts.params = .map([("run", .string("case \(i)"))])
            r.key = r.parts.key
            var h = m
            h.records = [r]
            h.current = [r.key]
            h.entries.append(BundleEntry(path: "objects/" + treeDigest, size: tree.count, digest: treeDigest))
            try assertRefused(f, try hostile(f, "tree\(i)", manifest: h, raw + [RawEntry(name: "objects/" + treeDigest, data: tree)]), check)
        }
    }

    /// Export refuses to write a bundle that import would refuse (here: a stage id with a newline).
    func testExportRefusesNamesImportWouldRefuse() throws {
        let f = try BundleFixture("exportnames")
        f.records.append(try f.addStage("c\nd", files: ["x.txt": [1]], inputs: []))
        XCTAssertThrowsError(try f.bundle()) { e in
            guard case .export(let problem)? = e as? BundleError else { return XCTFail("\(e)") }
            XCTAssertTrue(problem.contains("field 'records[") && problem.contains(".stage' would be 'c\\u{a}d'"), problem)
        }
        XCTAssertFalse(FileSystem.exists(f.dir + "/b.tar.zst"))
    }

    // MARK: Trailing data

    /// A bundle decompressed with the zstd CLI: its plain tar.
    func plainTar(_ f: BundleFixture, _ bundle: String) throws -> [UInt8] {
        XCTAssertEqual(try sh(["zstd", "-q", "-d", "-f", bundle, "-o", bundle + ".plain"]).0, 0)
        return Array(try XCTUnwrap(FileSystem.read(bundle + ".plain")))
    }

    /// Compresses `bytes` with the zstd CLI (an independent writer) into a bundle file.
    func zstd(_ f: BundleFixture, _ bytes: [UInt8], _ name: String) throws -> String {
        try Data(bytes).write(to: URL(fileURLWithPath: f.dir + "/" + name + ".tar"))
        XCTAssertEqual(try sh(["zstd", "-q", "-f", f.dir + "/" + name + ".tar", "-o", f.dir + "/" + name + ".tar.zst"]).0, 0)
        return f.dir + "/" + name + ".tar.zst"
    }

    func testDataAfterTheEndOfTheArchiveIsRefused() throws {
        let f = try BundleFixture("trailing")
        let one = Array(try XCTUnwrap(FileSystem.read(try f.bundle("one.tar.zst"))))
        // A second bundle of the same results (another note) appended: a second zstd frame.
        _ = try BundleExporter.export(try f.contents(note: "second"), store: f.store, engine: "test", to: f.dir + "/two.tar.zst")
        let two = Array(try XCTUnwrap(FileSystem.read(f.dir + "/two.tar.zst")))
        let appended = f.dir + "/appended.tar.zst"
        try Data(one + two).write(to: URL(fileURLWithPath: appended))
        try assertRefused(f, appended) { if case .trailingData = $0 { return true }; return false }

        // The same inside one zstd frame: tar data after the end-of-archive blocks.
        let tar = try plainTar(f, f.dir + "/one.tar.zst")
        let tar2 = try plainTar(f, f.dir + "/two.tar.zst")
        XCTAssertNoThrow(try BundleReader.read(path: try zstd(f, tar, "recompressed")), "the zstd CLI's frame of the same tar is fine")
        XCTAssertNoThrow(try BundleReader.read(path: try zstd(f, tar + [UInt8](repeating: 0, count: 20480), "padded")),
                         "zero blocks after the end of the archive (tar's own padding) are fine")
        try assertRefused(f, try zstd(f, tar + tar2, "concatenated")) { if case .trailingData = $0 { return true }; return false }
        let extra = f.dir + "/extra.tar"
        try RawTar.write([RawEntry(name: "results/extra.txt", data: Array("hi\n".utf8))], to: extra, compress: false)
        let extraTar = Array(try XCTUnwrap(FileSystem.read(extra)))
        try assertRefused(f, try zstd(f, tar + extraTar, "tarafter")) { if case .trailingData = $0 { return true }; return false }
        try assertRefused(f, try zstd(f, tar + [UInt8](repeating: 0x41, count: 512), "garbage")) { _ in true }

        // A second zstd frame, even one holding only zeros (zero padding belongs inside the one frame).
        let zeroFrame = Array(try XCTUnwrap(FileSystem.read(try zstd(f, [UInt8](repeating: 0, count: 10240), "zeros"))))
        let twoFrames = f.dir + "/twoframes.tar.zst"
        try Data(one + zeroFrame).write(to: URL(fileURLWithPath: twoFrames))
        try assertRefused(f, twoFrames) { if case .trailingData(_, let p) = $0 { return p.contains("a second zstd frame") }; return false }

        // A skippable zstd frame (magic 0x184D2A50, little-endian length, payload) after the bundle.
        let payload = Array("hidden payload".utf8)
        let skippable: [UInt8] = [0x50, 0x2A, 0x4D, 0x18, UInt8(payload.count), 0, 0, 0] + payload
        let skip = f.dir + "/skippable.tar.zst"
        try Data(one + skippable).write(to: URL(fileURLWithPath: skip))
        try assertRefused(f, skip) { if case .trailingData(_, let p) = $0 { return p.contains("a skippable zstd frame") }; return false }
    }

    /// The end of the archive falls anywhere relative to the decompressor's blocks (objects of
    /// random sizes): zero padding of any length is accepted, one non-zero byte anywhere after the
    /// last entry's data is refused, leaving the store as it was. Seeded.
    func testTrailingBytesAreCheckedAtEveryAlignment() throws {
        let f = try BundleFixture("align")
        var rng = SplitMix64(seed: 19)
        for i in 0..<24 {
            let data = (0..<Int.random(in: 150_000...420_000, using: &rng)).map { _ in UInt8.random(in: 1...255, using: &rng) }
            let d = contentDigest(Data(data))
            let m = BundleManifest(engine: "t", pipeline: "demo", pipelineFile: "p.yaml", files: [BundleTextFile(path: "p.yaml", text: "x")],
                                   vars: .map([]), overrides: [], only: [], withIntermediates: false, records: [], current: [],
                                   entries: [BundleEntry(path: "objects/" + d, size: data.count, digest: d)], provenance: [], note: "")
            let plain = f.dir + "/align\(i).tar"
            try RawTar.write([RawEntry(name: "MANIFEST.json", data: m.json), RawEntry(name: "objects/" + d, data: data)], to: plain, compress: false)
            var tar = Array(try XCTUnwrap(FileSystem.read(plain)))
            let end = (tar.lastIndex { $0 != 0 }! + 512) / 512 * 512  // the end of the last entry's data block
            tar += [UInt8](repeating: 0, count: 512 * Int.random(in: 0...40, using: &rng))
            XCTAssertNoThrow(try BundleReader.read(path: try zstd(f, tar, "zeros\(i)")), "case \(i): zero padding")
            tar[Int.random(in: end..<tar.count, using: &rng)] = UInt8.random(in: 1...255, using: &rng)
            try assertRefused(f, try zstd(f, tar, "flip\(i)")) { _ in true }
        }
    }
}
