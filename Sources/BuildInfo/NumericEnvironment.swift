// NumericEnvironment: what decides whether floating-point results come out bit for bit the same:
// the BLAS library and the kernel (core type) it chose, its thread count, the CPU, the OS and the
// Swift compiler, with the code version (BuildInfo). Read once per process at the edges
// (/proc/cpuinfo, /etc/os-release, uname, the loaded OpenBLAS); the thread count is read each time.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The build and numeric environment of this process, as ordered string fields.
public struct NumericEnvironment: Equatable, Sendable {
    /// Field names in order: version, commit, dirty, blas, blasCore, blasThreads, cpu, os, swift.
    public var fields: [(name: String, value: String)]

    public init(fields: [(name: String, value: String)]) { self.fields = fields }

    public static func == (a: NumericEnvironment, b: NumericEnvironment) -> Bool {
        a.fields.map(\.name) == b.fields.map(\.name) && a.fields.map(\.value) == b.fields.map(\.value)
    }

    public subscript(name: String) -> String? { fields.first { $0.name == name }?.value }

    /// This process now (the BLAS thread count is the current one).
    public static var current: NumericEnvironment {
        NumericEnvironment(fields: [
            ("version", BuildInfo.version),
            ("commit", BuildInfo.commit),
            ("dirty", BuildInfo.dirtyText),
            ("blas", Probe.blasLibrary),
            ("blasCore", Probe.blasCore),
            ("blasThreads", Probe.blasThreads.map(String.init) ?? "unknown"),
            ("cpu", Probe.cpuModel),
            ("os", Probe.operatingSystem),
            ("swift", Probe.swiftVersion),
        ])
    }

    /// The fields whose values differ from `other`'s (a field missing on one side counts, as `unknown`).
    public func differences(from other: NumericEnvironment) -> [(name: String, mine: String, theirs: String)] {
        var names = fields.map(\.name)
        for n in other.fields.map(\.name) where !names.contains(n) { names.append(n) }
        return names.compactMap { n in
            let a = self[n] ?? "unknown", b = other[n] ?? "unknown"
            return a == b ? nil : (n, a, b)
        }
    }

    /// Probes, each read once per process except the thread count.
    enum Probe {
        static let cpuModel: String = {
            let cores = ProcessInfo.processInfo.activeProcessorCount
            guard let text = readProcFile("/proc/cpuinfo"),
                  let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
                  let colon = line.firstIndex(of: ":") else { return "unknown (\(cores) cores)" }
            return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces) + " (\(cores) cores)"
        }()

        static let operatingSystem: String = {
            var u = utsname()
            uname(&u)
            func field<T>(_ t: T) -> String {
                withUnsafeBytes(of: t) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
            }
            var s = "\(field(u.sysname)) \(field(u.release)) \(field(u.machine))"
            if let text = try? String(contentsOfFile: "/etc/os-release", encoding: .utf8),
               let line = text.split(separator: "\n").first(where: { $0.hasPrefix("PRETTY_NAME=") }) {
                s += " (" + line.dropFirst("PRETTY_NAME=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) + ")"
            }
            return s
        }()

        /// A symbol of the BLAS this process uses: the one already loaded (madpipe links OpenBLAS),
        /// else one of the usual sonames.
        static func blasSymbol(_ name: String) -> UnsafeMutableRawPointer? {
            if let s = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) { return s }  // RTLD_DEFAULT
            for lib in ["libopenblas.so.0", "libopenblas.so", "libblas.so.3"] {
                if let h = dlopen(lib, RTLD_LAZY | RTLD_LOCAL), let s = dlsym(h, name) { return s }
            }
            return nil
        }

        /// OpenBLAS's configuration line (version, build options) and the library file mapped into this process.
        static let blasLibrary: String = {
            typealias Fn = @convention(c) () -> UnsafeMutablePointer<CChar>?
            guard let sym = blasSymbol("openblas_get_config") else { return "unknown" }
            var s = unsafeBitCast(sym, to: Fn.self)().map { String(cString: $0).trimmingCharacters(in: .whitespaces) } ?? "OpenBLAS"
            // The mapped file holding the BLAS (dladdr needs _GNU_SOURCE, which Glibc's module lacks).
            if let maps = readProcFile("/proc/self/maps") {
                let files: [String] = maps.split(separator: "\n").compactMap { l in l.firstIndex(of: "/").map { String(l[$0...]) } }
                func named(_ part: String) -> String? { files.first { ($0 as NSString).lastPathComponent.contains(part) } }
                if let f = named("openblas") ?? named("blas") { s += " (" + f + ")" }
            }
            return s
        }()

        /// $OPENBLAS_CORETYPE, else the kernel OpenBLAS chose for this CPU, else "unknown".
        static let blasCore: String = {
            if let t = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"], !t.isEmpty { return "\(t) (OPENBLAS_CORETYPE)" }
            typealias Fn = @convention(c) () -> UnsafeMutablePointer<CChar>?
            guard let sym = blasSymbol("openblas_get_corename"), let name = unsafeBitCast(sym, to: Fn.self)() else { return "unknown" }
            return String(cString: name)
        }()

        /// A whole /proc file (Foundation's readers stop after the first page, the size procfs reports).
        static func readProcFile(_ path: String) -> String? {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            var bytes: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                bytes += buffer[0..<n]
            }
            return String(decoding: bytes, as: UTF8.self)
        }

        static var blasThreads: Int? {
            typealias Fn = @convention(c) () -> Int32
            guard let sym = blasSymbol("openblas_get_num_threads") else { return nil }
            return Int(unsafeBitCast(sym, to: Fn.self)())
        }

        /// The Swift compiler version the binary was built with (major.minor, from `#if compiler`).
        static var swiftVersion: String {
            #if compiler(>=6.5)
            return "6.5 or later"
            #elseif compiler(>=6.4)
            return "6.4"
            #elseif compiler(>=6.3)
            return "6.3"
            #elseif compiler(>=6.2)
            return "6.2"
            #elseif compiler(>=6.1)
            return "6.1"
            #else
            return "6.0 or earlier"
            #endif
        }
    }
}
