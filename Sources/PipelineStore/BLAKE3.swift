// BLAKE3: the BLAKE3 hash (hash mode, 256-bit output), the content digest of stored objects and
// dependency files. SHA-256 on CPUs without SHA extensions runs at about 0.27 GB/s per core;
// BLAKE3's tree lets whole chunks be compressed side by side, so one core reaches several times
// that and large inputs also spread over threads.
//
// Layout: `referenceCompress` is the naive scalar reference of the compression function,
// `compress` the scalar one in use; `chunks8` and
// `parents8` are portable fast kernels (8 chunks or 8 parent nodes at once, one SIMD lane each),
// and CBLAKE3Kernels holds the AVX2 / AVX-512F versions of the same, used where the CPU has them;
// `BLAKE3Hasher` streams input, hashing runs of complete chunks as whole subtrees.

import CBLAKE3Kernels
import Dispatch
import Foundation
import PipelineCore

/// Constants and kernels of BLAKE3 (https://github.com/BLAKE3-team/BLAKE3-specs).
public enum BLAKE3 {
    /// A chaining value: 8 words.
    public typealias CV = SIMD8<UInt32>
    /// Eight lanes of one state word (one lane per chunk or parent node).
    typealias Lanes = SIMD8<UInt32>

    static let chunkLength = 1024
    static let blockLength = 64
    static let iv = CV(0x6A09_E667, 0xBB67_AE85, 0x3C6E_F372, 0xA54F_F53A, 0x510E_527F, 0x9B05_688C, 0x1F83_D9AB, 0x5BE0_CD19)
    static let chunkStart: UInt32 = 1, chunkEnd: UInt32 = 2, parent: UInt32 = 4, root: UInt32 = 8

    /// Message word order of each of the 7 rounds (round r+1 applies the fixed permutation to r).
    static let schedule: [[Int]] = {
        let permutation = [2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8]
        var rounds = [Array(0..<16)]
        for _ in 1..<7 { rounds.append(permutation.map { rounds.last![$0] }) }
        return rounds
    }()

    // MARK: Reference compression (scalar)

    @inline(__always) static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x &>> n) | (x &<< (32 - n)) }

    /// The compression function as the specification writes it (the naive reference): chaining
    /// value `cv` (8 words), one 64-byte `block` (16 little-endian words), the chunk `counter`,
    /// the number of `length` bytes used, `flags`. Returns the 16-word state; its first 8 words
    /// are the next chaining value.
    static func referenceCompress(cv: CV, block: SIMD16<UInt32>, counter: UInt64, length: UInt32, flags: UInt32) -> SIMD16<UInt32> {
        var v = SIMD16<UInt32>(lowHalf: cv, highHalf: SIMD8(iv[0], iv[1], iv[2], iv[3],
                                                              UInt32(truncatingIfNeeded: counter), UInt32(truncatingIfNeeded: counter >> 32), length, flags))
        func g(_ a: Int, _ b: Int, _ c: Int, _ d: Int, _ x: UInt32, _ y: UInt32) {
            v[a] = v[a] &+ v[b] &+ x; v[d] = rotr(v[d] ^ v[a], 16)
            v[c] = v[c] &+ v[d]; v[b] = rotr(v[b] ^ v[c], 12)
            v[a] = v[a] &+ v[b] &+ y; v[d] = rotr(v[d] ^ v[a], 8)
            v[c] = v[c] &+ v[d]; v[b] = rotr(v[b] ^ v[c], 7)
        }
        for s in schedule {
            g(0, 4, 8, 12, block[s[0]], block[s[1]]); g(1, 5, 9, 13, block[s[2]], block[s[3]])
            g(2, 6, 10, 14, block[s[4]], block[s[5]]); g(3, 7, 11, 15, block[s[6]], block[s[7]])
            g(0, 5, 10, 15, block[s[8]], block[s[9]]); g(1, 6, 11, 12, block[s[10]], block[s[11]])
            g(2, 7, 8, 13, block[s[12]], block[s[13]]); g(3, 4, 9, 14, block[s[14]], block[s[15]])
        }
        return SIMD16(lowHalf: v.lowHalf ^ v.highHalf, highHalf: v.highHalf ^ cv)
    }

    /// The compression function, same contract as `referenceCompress`, with the state in 16
    /// scalars and the schedule unrolled (used for single blocks: the end of an input, small
    /// inputs, parents above the kernels' subtrees).
    static func compress(cv: CV, block m: SIMD16<UInt32>, counter: UInt64, length: UInt32, flags: UInt32) -> SIMD16<UInt32> {
        var v = (cv[0], cv[1], cv[2], cv[3], cv[4], cv[5], cv[6], cv[7], iv[0], iv[1], iv[2], iv[3],
                 UInt32(truncatingIfNeeded: counter), UInt32(truncatingIfNeeded: counter >> 32), length, flags)
        @inline(__always) func g(_ a: inout UInt32, _ b: inout UInt32, _ c: inout UInt32, _ d: inout UInt32, _ x: UInt32, _ y: UInt32) {
            a = a &+ b &+ x; d = rotr(d ^ a, 16); c = c &+ d; b = rotr(b ^ c, 12)
            a = a &+ b &+ y; d = rotr(d ^ a, 8); c = c &+ d; b = rotr(b ^ c, 7)
        }
        var w = (m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8], m[9], m[10], m[11], m[12], m[13], m[14], m[15])
        for r in 0..<7 {
            g(&v.0, &v.4, &v.8, &v.12, w.0, w.1); g(&v.1, &v.5, &v.9, &v.13, w.2, w.3)
            g(&v.2, &v.6, &v.10, &v.14, w.4, w.5); g(&v.3, &v.7, &v.11, &v.15, w.6, w.7)
            g(&v.0, &v.5, &v.10, &v.15, w.8, w.9); g(&v.1, &v.6, &v.11, &v.12, w.10, w.11)
            g(&v.2, &v.7, &v.8, &v.13, w.12, w.13); g(&v.3, &v.4, &v.9, &v.14, w.14, w.15)
            if r < 6 { w = (w.2, w.6, w.3, w.10, w.7, w.0, w.4, w.13, w.1, w.11, w.12, w.5, w.9, w.14, w.15, w.8) }
        }
        return SIMD16(v.0 ^ v.8, v.1 ^ v.9, v.2 ^ v.10, v.3 ^ v.11, v.4 ^ v.12, v.5 ^ v.13, v.6 ^ v.14, v.7 ^ v.15,
                      v.8 ^ cv[0], v.9 ^ cv[1], v.10 ^ cv[2], v.11 ^ cv[3], v.12 ^ cv[4], v.13 ^ cv[5], v.14 ^ cv[6], v.15 ^ cv[7])
    }

    /// A block of up to 64 bytes, zero-padded, as 16 little-endian words (a little-endian host).
    static func block(_ bytes: UnsafeRawBufferPointer) -> SIMD16<UInt32> {
        if bytes.count == blockLength { return bytes.loadUnaligned(as: SIMD16<UInt32>.self) }
        var padded = SIMD16<UInt32>()
        withUnsafeMutableBytes(of: &padded) { $0.copyMemory(from: bytes) }
        return padded
    }

    /// The chaining value of one complete, non-root chunk (scalar).
    static func chunkCV(_ chunk: UnsafeRawPointer, counter: UInt64) -> CV {
        var cv = iv
        for b in 0..<16 {
            let flags = (b == 0 ? chunkStart : 0) | (b == 15 ? chunkEnd : 0)
            let words = block(UnsafeRawBufferPointer(start: chunk + b * blockLength, count: blockLength))
            cv = compress(cv: cv, block: words, counter: counter, length: 64, flags: flags).lowHalf
        }
        return cv
    }

    /// The chaining value of a non-root parent node.
    static func parentCV(_ left: CV, _ right: CV) -> CV {
        compress(cv: iv, block: SIMD16(lowHalf: left, highHalf: right), counter: 0, length: 64, flags: parent).lowHalf
    }

    // MARK: Fast kernels (8 lanes)

    // Rotations are written as the sum of two shifts (the bits do not overlap): written with `|`,
    // LLVM matches a rotate, which SSE2 lacks, and falls back to one scalar `rol` per lane.
    @inline(__always) static func g(_ a: inout Lanes, _ b: inout Lanes, _ c: inout Lanes, _ d: inout Lanes, _ x: Lanes, _ y: Lanes) {
        a = a &+ b &+ x; d ^= a; d = (d &>> 16) &+ (d &<< 16)
        c = c &+ d; b ^= c; b = (b &>> 12) &+ (b &<< 20)
        a = a &+ b &+ y; d ^= a; d = (d &>> 8) &+ (d &<< 24)
        c = c &+ d; b ^= c; b = (b &>> 7) &+ (b &<< 25)
    }

    /// One round: the column step, then the diagonal step, with message words m0...m15.
    @inline(__always) static func round8(_ v: inout (Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes),
                                         _ m: (Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes)) {
        g(&v.0, &v.4, &v.8, &v.12, m.0, m.1); g(&v.1, &v.5, &v.9, &v.13, m.2, m.3)
        g(&v.2, &v.6, &v.10, &v.14, m.4, m.5); g(&v.3, &v.7, &v.11, &v.15, m.6, m.7)
        g(&v.0, &v.5, &v.10, &v.15, m.8, m.9); g(&v.1, &v.6, &v.11, &v.12, m.10, m.11)
        g(&v.2, &v.7, &v.8, &v.13, m.12, m.13); g(&v.3, &v.4, &v.9, &v.14, m.14, m.15)
    }

    /// The message permutation applied between rounds.
    @inline(__always) static func permute(_ m: inout (Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes)) {
        m = (m.2, m.6, m.3, m.10, m.7, m.0, m.4, m.13, m.1, m.11, m.12, m.5, m.9, m.14, m.15, m.8)
    }

    /// Seven rounds on the 8-lane state `h` (in: chaining values, out: next chaining values) with
    /// message words `m` (16 vectors), counters, block length and flags per lane.
    @inline(__always) static func compress8(_ h: UnsafeMutablePointer<Lanes>, _ m: UnsafePointer<Lanes>,
                                            counterLow: Lanes, counterHigh: Lanes, flags: Lanes) {
        var v = (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7],
                 Lanes(repeating: iv[0]), Lanes(repeating: iv[1]), Lanes(repeating: iv[2]), Lanes(repeating: iv[3]),
                 counterLow, counterHigh, Lanes(repeating: 64), flags)
        var w = (m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8], m[9], m[10], m[11], m[12], m[13], m[14], m[15])
        round8(&v, w); permute(&w)
        round8(&v, w); permute(&w)
        round8(&v, w); permute(&w)
        round8(&v, w); permute(&w)
        round8(&v, w); permute(&w)
        round8(&v, w); permute(&w)
        round8(&v, w)
        h[0] = v.0 ^ v.8; h[1] = v.1 ^ v.9; h[2] = v.2 ^ v.10; h[3] = v.3 ^ v.11
        h[4] = v.4 ^ v.12; h[5] = v.5 ^ v.13; h[6] = v.6 ^ v.14; h[7] = v.7 ^ v.15
    }

    /// Chaining values of 8 consecutive complete, non-root chunks starting at `input` (8 KiB)
    /// with chunk counters `counter` ..< `counter + 8`, written to `out` (8 x 8 words).
    static func chunks8(_ input: UnsafeRawPointer, counter: UInt64, out: UnsafeMutablePointer<UInt32>) {
        withUnsafeTemporaryAllocation(of: Lanes.self, capacity: 24) { scratch in
            let h = scratch.baseAddress!, m = h + 8
            for i in 0..<8 { h[i] = Lanes(repeating: iv[i]) }
            var low = Lanes(), high = Lanes()
            for lane in 0..<8 {
                let c = counter &+ UInt64(lane)
                low[lane] = UInt32(truncatingIfNeeded: c); high[lane] = UInt32(truncatingIfNeeded: c >> 32)
            }
            for b in 0..<16 {
                let base = input + b * blockLength
                for w in 0..<16 {
                    let p = base + w * 4
                    m[w] = Lanes(p.loadUnaligned(as: UInt32.self), (p + chunkLength).loadUnaligned(as: UInt32.self),
                                 (p + 2 * chunkLength).loadUnaligned(as: UInt32.self), (p + 3 * chunkLength).loadUnaligned(as: UInt32.self),
                                 (p + 4 * chunkLength).loadUnaligned(as: UInt32.self), (p + 5 * chunkLength).loadUnaligned(as: UInt32.self),
                                 (p + 6 * chunkLength).loadUnaligned(as: UInt32.self), (p + 7 * chunkLength).loadUnaligned(as: UInt32.self))
                }
                let flags = (b == 0 ? chunkStart : 0) | (b == 15 ? chunkEnd : 0)
                compress8(h, m, counterLow: low, counterHigh: high, flags: Lanes(repeating: flags))
            }
            for lane in 0..<8 { for i in 0..<8 { out[lane * 8 + i] = h[i][lane] } }
        }
    }

    /// Chaining values of 8 non-root parent nodes; `children` holds 16 chaining values (the
    /// pairs in order), `out` receives 8.
    static func parents8(_ children: UnsafePointer<UInt32>, out: UnsafeMutablePointer<UInt32>) {
        withUnsafeTemporaryAllocation(of: Lanes.self, capacity: 24) { scratch in
            let h = scratch.baseAddress!, m = h + 8
            for i in 0..<8 { h[i] = Lanes(repeating: iv[i]) }
            for w in 0..<16 {
                m[w] = Lanes(children[w], children[16 + w], children[32 + w], children[48 + w],
                             children[64 + w], children[80 + w], children[96 + w], children[112 + w])
            }
            compress8(h, m, counterLow: Lanes(), counterHigh: Lanes(), flags: Lanes(repeating: parent))
            for lane in 0..<8 { for i in 0..<8 { out[lane * 8 + i] = h[i][lane] } }
        }
    }

    /// Which many-lane kernels hash whole chunks and parent nodes.
    public enum Kernel: Sendable {
        /// The C kernels (CBLAKE3Kernels) for AVX-512F or AVX2, picked at run time.
        case native
        /// The portable 8-lane Swift kernels above.
        case swift

        /// `native` where the CPU has AVX2 or AVX-512F, else `swift`.
        public static let best: Kernel = madpipe_blake3_lanes() > 0 ? .native : .swift

        /// How many chunks or parents one kernel call takes.
        var lanes: Int { self == .native ? Int(madpipe_blake3_lanes()) : 8 }

        /// Chaining values of `count` (a multiple of `lanes`) complete chunks.
        func chunks(_ input: UnsafeRawPointer, count: Int, counter: UInt64, out: UnsafeMutablePointer<UInt32>) {
            if self == .native {
                madpipe_blake3_chunks(input.assumingMemoryBound(to: UInt8.self), count, counter, out)
            } else {
                for g in stride(from: 0, to: count, by: 8) {
                    BLAKE3.chunks8(input + g * chunkLength, counter: counter + UInt64(g), out: out + g * 8)
                }
            }
        }

        /// Chaining values of `count` (a multiple of `lanes`) parents; `out` may be `children`.
        func parents(_ children: UnsafePointer<UInt32>, count: Int, out: UnsafeMutablePointer<UInt32>) {
            if self == .native {
                madpipe_blake3_parents(children, count, out)
            } else {
                for g in stride(from: 0, to: count, by: 8) { BLAKE3.parents8(children + g * 16, out: out + g * 8) }
            }
        }
    }

    /// The chaining value of the complete subtree of `count` chunks (a power of two, at least
    /// the kernel's lanes) at `input`, whose first chunk has counter `counter`; never a root.
    /// Large subtrees use `threads`.
    static func subtreeCV(_ input: UnsafeRawPointer, count: Int, counter: UInt64, threads: Int, kernel: Kernel) -> CV {
        let lanes = kernel.lanes
        precondition(count >= lanes && count & (count - 1) == 0, "subtree of \(count) chunks")
        // Room for 2 x lanes chaining values, so the top levels (fewer pairs than lanes) also go
        // through the kernel; the unused lanes compute garbage that is never read.
        let capacity = max(count, 2 * lanes) * 8
        let cvs = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity)
        cvs.initialize(repeating: 0, count: capacity)
        defer { cvs.deallocate() }
        let groups = count / lanes
        let parts = max(1, min(threads, count / 256))    // at least 256 KiB per thread
        if parts == 1 {
            kernel.chunks(input, count: count, counter: counter, out: cvs)
        } else {
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                let first = groups * part / parts * lanes, end = groups * (part + 1) / parts * lanes
                kernel.chunks(input + first * chunkLength, count: end - first, counter: counter + UInt64(first), out: cvs + first * 8)
            }
        }
        var n = count
        while n > 1 {
            let pairs = n / 2
            kernel.parents(cvs, count: max(pairs, lanes), out: cvs)
            n = pairs
        }
        return CV((0..<8).map { cvs[$0] })
    }

    /// Hex BLAKE3 of bytes.
    public static func hex(_ bytes: UnsafeRawBufferPointer) -> String {
        var h = BLAKE3Hasher()
        h.update(bytes)
        return h.finalizeHex()
    }
}

/// Streaming BLAKE3 (hash mode). Feed bytes with `update`, read the digest with `finalize`.
public struct BLAKE3Hasher {
    /// Chaining values of complete subtrees, largest first (one per set bit of `chunks`).
    var stack: [BLAKE3.CV] = []
    /// Chunks folded into `stack`; always a multiple of `batch`, so every subtree is aligned.
    var chunks: UInt64 = 0
    /// Bytes of the chunks from `chunks` on (at most `batch` chunks): small updates collect here,
    /// and the last chunk waits here until more input shows it is not the root.
    var buffer: [UInt8] = []
    /// Threads for large updates.
    public var threads: Int
    /// The many-lane kernels.
    public var kernel: BLAKE3.Kernel

    /// Chunks hashed together at least (a power of two, a multiple of every kernel's lanes).
    static let batch = 16

    /// The processor count, read once: a hasher is made for every stored object.
    public static let processors = ProcessInfo.processInfo.activeProcessorCount

    /// A hasher; `threads` (default: the active processor count) hash large updates in parallel.
    public init(threads: Int = BLAKE3Hasher.processors, kernel: BLAKE3.Kernel = .best) {
        self.threads = max(1, threads)
        self.kernel = kernel
        buffer.reserveCapacity(Self.batch * BLAKE3.chunkLength)
    }

    /// Folds in the chaining value of the next 2^k chunks.
    mutating func push(_ cv: BLAKE3.CV, log2Count k: Int) {
        var cv = cv
        var total = (chunks + (1 << UInt64(k))) >> UInt64(k)
        while total & 1 == 0 {
            cv = BLAKE3.parentCV(stack.removeLast(), cv)
            total >>= 1
        }
        stack.append(cv)
        chunks += 1 << UInt64(k)
    }

    /// Adds bytes.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var p = bytes.baseAddress, !bytes.isEmpty else { return }
        var left = bytes.count
        let L = BLAKE3.chunkLength, full = Self.batch * L
        if !buffer.isEmpty {
            let take = min(full - buffer.count, left)
            buffer.append(contentsOf: UnsafeRawBufferPointer(start: p, count: take))
            p += take; left -= take
            if left == 0 { return }
            // A full batch with input after it.
            let cv = buffer.withUnsafeBytes { BLAKE3.subtreeCV($0.baseAddress!, count: Self.batch, counter: chunks, threads: 1, kernel: kernel) }
            push(cv, log2Count: Self.batch.trailingZeroBitCount)
            buffer.removeAll(keepingCapacity: true)
        }
        // Whole batches of complete chunks with input after them, straight from the caller's
        // memory, as the largest aligned subtrees that fit.
        var ready = (left - 1) / L
        ready -= ready % Self.batch
        while ready > 0 {
            let k = min(Int.bitWidth - 1 - ready.leadingZeroBitCount, chunks == 0 ? 16 : chunks.trailingZeroBitCount, 16)
            let count = 1 << k
            push(BLAKE3.subtreeCV(p, count: count, counter: chunks, threads: threads, kernel: kernel), log2Count: k)
            p += count * L; left -= count * L; ready -= count
        }
        buffer.append(contentsOf: UnsafeRawBufferPointer(start: p, count: left))
    }

    /// Adds the bytes of a collection.
    public mutating func update<C: ContiguousBytes>(contentsOf bytes: C) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The 32-byte digest of everything added.
    public func finalize() -> [UInt8] {
        var h = self
        let L = BLAKE3.chunkLength
        let lastStart = buffer.isEmpty ? 0 : (buffer.count - 1) / L * L
        // The buffered complete chunks before the last one.
        buffer.withUnsafeBytes { raw in
            for start in stride(from: 0, to: lastStart, by: L) {
                h.push(BLAKE3.chunkCV(raw.baseAddress! + start, counter: h.chunks), log2Count: 0)
            }
        }
        // The last chunk's output node: every block but the last chains, the last is kept.
        var cv = BLAKE3.iv
        var blockWords = SIMD16<UInt32>(), length: UInt32 = 0, flags: UInt32 = 0
        buffer.withUnsafeBytes { raw in
            let chunk = UnsafeRawBufferPointer(rebasing: raw[lastStart...])
            let blocks = max(1, (chunk.count + 63) / 64)
            for b in 0..<blocks {
                let slice = UnsafeRawBufferPointer(rebasing: chunk[(b * 64)..<min(chunk.count, b * 64 + 64)])
                let f = b == 0 ? BLAKE3.chunkStart : 0
                if b == blocks - 1 {
                    blockWords = BLAKE3.block(slice); length = UInt32(slice.count); flags = f | BLAKE3.chunkEnd
                } else {
                    cv = BLAKE3.compress(cv: cv, block: BLAKE3.block(slice), counter: h.chunks, length: 64, flags: f).lowHalf
                }
            }
        }
        var counter = h.chunks
        for left in h.stack.reversed() {
            let right = BLAKE3.compress(cv: cv, block: blockWords, counter: counter, length: length, flags: flags).lowHalf
            cv = BLAKE3.iv; blockWords = SIMD16(lowHalf: left, highHalf: right)
            counter = 0; length = 64; flags = BLAKE3.parent
        }
        let out = BLAKE3.compress(cv: cv, block: blockWords, counter: counter, length: length, flags: flags | BLAKE3.root)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for i in 0..<8 { for s in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: out[i] >> (8 * UInt32(s)))) } }
        return bytes
    }

    /// The digest as 64 lower-case hex digits.
    public func finalizeHex() -> String { hex(finalize()) }
}

/// Hex BLAKE3 of bytes: the content digest of store objects and dependency files.
public func contentDigest(_ d: Data) -> String {
    d.withUnsafeBytes { BLAKE3.hex($0) }
}
