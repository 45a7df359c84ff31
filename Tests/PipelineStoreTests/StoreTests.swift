// StoreTests: content addressing of trees, materialisation, completeness rules (a record is
// only valid with all its objects), verify, gc, locks and the stat cache.

import Base
import Foundation
import PipelineCore
import PipelineStore
import XCTest

final class StoreTests: XCTestCase {
    var dir = ""
    var store: Store!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "madpipe-store-\(UUID().uuidString)"
        store = try Store(root: dir + "/cache")
    }

    override func tearDown() { FileSystem.remove(dir) }

    func makeTree(_ root: String, _ files: [String: String]) throws {
        for (rel, text) in files {
            let p = root + "/" + rel
            try FileSystem.makeDirectory((p as NSString).deletingLastPathComponent)
            try text.write(toFile: p, atomically: false, encoding: .utf8)
        }
    }

    func testTreeDigestIsContentAddressedAndMaterialisesBack() throws {
        try makeTree(dir + "/a", ["x.txt": "hello\n", "sub/y.bin": "y", "sub/deeper/z": ""])
        try makeTree(dir + "/b", ["sub/deeper/z": "", "sub/y.bin": "y", "x.txt": "hello\n"])
        let a = try store.tree(dir + "/a", store: true)
        let b = try store.tree(dir + "/b", store: false)
        XCTAssertEqual(a.digest, b.digest, "same content, different creation order")
        XCTAssertEqual(a.files, 3)
        XCTAssertEqual(a.size, 7)
        try makeTree(dir + "/c", ["x.txt": "hello!\n", "sub/y.bin": "y", "sub/deeper/z": ""])
        XCTAssertNotEqual(try store.tree(dir + "/c", store: false).digest, a.digest)
        // Every object is named by the SHA-256 of its bytes.
        for o in a.objects {
            XCTAssertEqual(try FileHasher.hash(path: store.objectPath(o)).digest, o)
        }
        try store.materialize(tree: a.digest, at: dir + "/m")
        XCTAssertEqual(try String(contentsOfFile: dir + "/m/x.txt", encoding: .utf8), "hello\n")
        XCTAssertEqual(try store.tree(dir + "/m", store: false).digest, a.digest)
    }

    func testSymlinksInOutputsAreRefused() throws {
        try makeTree(dir + "/s", ["f": "x"])
        symlink("/etc/passwd", dir + "/s/link")
        XCTAssertThrowsError(try store.tree(dir + "/s", store: true)) { e in
            XCTAssertTrue("\(e)".contains("symbolic link"), "\(e)")
        }
    }

    func record(_ key: String, objects: [String], output: String) -> StageRecord {
        StageRecord(key: key, stage: "s", pipeline: "p", parts: KeyParts(kind: "k", kindVersion: 1, params: .map([]), inputs: [], files: []),
                    output: output, objects: objects, size: 1, log: objects.last ?? "", started: StageRecord.timestamp(Date()), seconds: 0.5,
                    host: "h", engine: "test", executor: "local")
    }

    func testRecordIsCompleteOnlyWithAllObjects() throws {
        try makeTree(dir + "/o", ["f": "data"])
        let t = try store.tree(dir + "/o", store: true)
        let key = String(repeating: "1", count: 64)
        XCTAssertNil(store.completeRecord(key), "no record yet: objects alone do not make a stage cached")
        try store.write(record(key, objects: t.objects, output: t.digest))
        XCTAssertEqual(store.completeRecord(key)?.output, t.digest)
        XCTAssertEqual(store.latestKey(pipeline: "p", stage: "s"), key)
        unlink(store.objectPath(t.objects[0]))
        XCTAssertNil(store.completeRecord(key), "a record whose object is gone is not complete")
        XCTAssertFalse(store.verify().isEmpty)
    }

    func testAtomicWritesLeaveNoTemporaries() throws {
        for i in 0..<20 { try store.put(Data("object \(i)".utf8)) }
        let key = String(repeating: "2", count: 64)
        try store.write(record(key, objects: [], output: ""))
        XCTAssertTrue(FileSystem.list(store.root + "/stages").allSatisfy { !$0.hasPrefix(".tmp") })
        XCTAssertTrue(FileSystem.list(store.root + "/tmp").isEmpty)
        XCTAssertEqual(store.allObjects().count, 20)
    }

    func testVerifyFindsCorruptionAndGCRemovesUnreferenced() throws {
        let keep = try store.put(Data("keep".utf8))
        let drop = try store.put(Data("drop".utf8))
        let k1 = String(repeating: "a", count: 64), k2 = String(repeating: "b", count: 64)
        try store.write(record(k1, objects: [keep], output: keep))
        try store.write(record(k2, objects: [drop], output: drop))
        XCTAssertTrue(store.verify().isEmpty)
        chmod(store.objectPath(keep), 0o644)
        try "tampered".write(toFile: store.objectPath(keep), atomically: false, encoding: .utf8)
        let problems = store.verify()
        XCTAssertEqual(problems.count, 1)
        XCTAssertTrue(problems[0].description.contains(keep))
        // Repair drops the corrupt object and the record that needs it; the rest stays.
        let other = String(repeating: "c", count: 64)
        let spare = try store.put(Data("spare".utf8))
        try store.write(record(other, objects: [spare], output: spare))
        XCTAssertEqual(store.repair(), [k1])
        XCTAssertTrue(store.verify().isEmpty)
        XCTAssertNotNil(store.completeRecord(other))
        try store.put(Data("keep".utf8))
        try store.write(record(k1, objects: [keep], output: keep))

        let dry = store.gc(keep: [k1], dryRun: true)
        XCTAssertEqual(dry.records, 2)
        XCTAssertEqual(dry.objects, 2)
        XCTAssertNotNil(store.record(k2), "dry run removes nothing")
        _ = store.gc(keep: [k1], dryRun: false)
        XCTAssertNil(store.record(other))
        XCTAssertNil(store.record(k2))
        XCTAssertFalse(FileSystem.exists(store.objectPath(drop)))
        XCTAssertNotNil(store.completeRecord(k1))
        XCTAssertTrue(store.verify().isEmpty)
    }

    func testVerifyTellsOldFormatObjectsFromCorruptOnes() throws {
        XCTAssertTrue(store.verify().isEmpty)
        // An object as store format 1 named it: by the SHA-256 (sha256sum) of its content.
        let content = "written by an older madpipe\n"
        let file = dir + "/old.txt"
        try content.write(toFile: file, atomically: true, encoding: .utf8)
        let sha256sum = Process()
        sha256sum.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        sha256sum.arguments = [file]
        let out = Pipe()
        sha256sum.standardOutput = out
        try sha256sum.run()
        let old = String(decoding: out.fileHandleForReading.readDataToEndOfFile().prefix(64), as: UTF8.self)
        sha256sum.waitUntilExit()
        XCTAssertNotEqual(old, try FileHasher.hash(path: file).digest)
        try FileSystem.makeDirectory((store.objectPath(old) as NSString).deletingLastPathComponent)
        try content.write(toFile: store.objectPath(old), atomically: true, encoding: .utf8)
        let problems = store.verify()
        XCTAssertEqual(problems.count, 1)
        XCTAssertTrue(problems[0].problem.contains("store format 1"), problems[0].problem)
        XCTAssertFalse(problems[0].problem.contains("corrupt:"), problems[0].problem)
    }

    func testLocksExcludeEachOther() throws {
        let a = FileLock(path: dir + "/l.lock"), b = FileLock(path: dir + "/l.lock")
        XCTAssertTrue(try a.tryLock())
        XCTAssertFalse(try b.tryLock())
        a.unlock()
        XCTAssertTrue(try b.tryLock())
    }

    func testStatCacheReusesDigestWhileStatIsUnchanged() throws {
        let f = dir + "/dep.txt"
        try "aaaa".write(toFile: f, atomically: false, encoding: .utf8)
        let first = try store.statCache.digest(ofFile: f)
        XCTAssertEqual(first.digest, try FileHasher.hash(path: f).digest)
        // Same size, same inode, mtime restored: the cache answers without reading.
        var st = stat()
        stat(f, &st)
        let fd = open(f, O_WRONLY)
        _ = "bbbb".withCString { write(fd, $0, 4) }
        close(fd)
        var times = [st.st_atim, st.st_mtim]
        utimensat(AT_FDCWD, f, &times, 0)
        XCTAssertEqual(try store.statCache.digest(ofFile: f).digest, first.digest)
        // A real edit changes the mtime and is re-hashed.
        Thread.sleep(forTimeInterval: 0.01)
        try "cccc".write(toFile: f, atomically: false, encoding: .utf8)
        XCTAssertEqual(try store.statCache.digest(ofFile: f).digest, try FileHasher.hash(path: f).digest)
        XCTAssertNotEqual(try store.statCache.digest(ofFile: f).digest, first.digest)
        // Saved and reloaded.
        store.statCache.save()
        let again = StatCache(path: store.root + "/statcache.json")
        XCTAssertEqual(try again.digest(ofFile: f).digest, try FileHasher.hash(path: f).digest)
    }
}
