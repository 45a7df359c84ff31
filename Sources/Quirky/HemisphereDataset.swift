// The non-arithmetic "hemisphere" quirky dataset, built from real offline data: the tzdata
// zone table (/usr/share/zoneinfo/zone1970.tab) gives each zone's principal city and its ISO 6709
// coordinates.
//
// Statement: "<City> is in the northern hemisphere." Alice's label is the truth (latitude > 0);
// Bob answers by east/west instead (longitude <= 0), the rule of the EleutherAI reference.
// Difficulty (our choice): 90 - |latitude in degrees|, the closeness to the equator, so cities
// far from the equator are easy and those near it hard. Split: rows are shuffled with the seed,
// the first round(n * trainFraction) are "train", the rest "validation". Cities whose name
// appears twice keep only their first zone.

import Base
import Foundation

/// Builds the hemisphere dataset from a tzdata zone table.
public struct HemisphereDataset: Sendable {
    /// The zone table shipped with Debian's tzdata package.
    public static let defaultZoneTable = "/usr/share/zoneinfo/zone1970.tab"

    /// Path of the zone table to read.
    public var zoneTable: String
    /// Seed for the split and the persona names.
    public var seed: UInt64
    /// Fraction of base rows in "train".
    public var trainFraction: Double
    /// Persona names.
    public var names: QuirkyNames

    /// Creates a builder.
    public init(zoneTable: String = HemisphereDataset.defaultZoneTable, seed: UInt64,
                trainFraction: Double = 0.75, names: QuirkyNames = .standard) {
        self.zoneTable = zoneTable
        self.seed = seed
        self.trainFraction = trainFraction
        self.names = names
    }

    /// One parsed zone: the city, the zone name and its coordinates in degrees.
    public struct Zone: Equatable, Sendable {
        public var city: String
        public var zone: String
        public var latitude: Double
        public var longitude: Double
    }

    /// Reads and parses the zone table; a missing file is a `fileUnreadable` error naming it.
    public func zones() throws -> [Zone] {
        guard let data = FileManager.default.contents(atPath: zoneTable),
              let text = String(data: data, encoding: .utf8) else {
            throw QuirkyError.fileUnreadable(
                path: zoneTable,
                reason: "not found or not UTF-8 (install Debian's tzdata package, or pass another zone1970.tab)")
        }
        return try Self.parseZoneTable(text, path: zoneTable)
    }

    /// Parses the text of a zone1970.tab-style file (comment lines start with '#').
    public static func parseZoneTable(_ text: String, path: String) throws -> [Zone] {
        var out: [Zone] = []
        var cities = Set<String>()
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count >= 3 else {
                throw QuirkyError.badZoneLine(path: path, line: index + 1,
                                              reason: "expected at least 3 tab-separated fields, found \(fields.count)")
            }
            guard let (lat, lon) = parseISO6709(String(fields[1])) else {
                throw QuirkyError.badZoneLine(path: path, line: index + 1,
                                              reason: "coordinates '\(fields[1])' are not ISO 6709 (+DDMM+DDDMM or +DDMMSS+DDDMMSS)")
            }
            let zone = String(fields[2])
            let city = zone.split(separator: "/").last.map { $0.replacingOccurrences(of: "_", with: " ") } ?? zone
            if cities.insert(city).inserted {
                out.append(Zone(city: city, zone: zone, latitude: lat, longitude: lon))
            }
        }
        return out
    }

    /// Parses ISO 6709 degrees-minutes(-seconds) coordinates such as "+4230+00131" or
    /// "+404251-0740023" into signed decimal degrees; nil when malformed.
    public static func parseISO6709(_ text: String) -> (latitude: Double, longitude: Double)? {
        let chars = Array(text.utf8)
        guard let first = chars.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") else { return nil }
        guard let split = chars.indices.dropFirst().first(where: {
            chars[$0] == UInt8(ascii: "+") || chars[$0] == UInt8(ascii: "-")
        }) else { return nil }
        guard let lat = component(chars[0..<split], degreeDigits: 2, limit: 90),
              let lon = component(chars[split...], degreeDigits: 3, limit: 180) else { return nil }
        return (lat, lon)
    }

    /// One signed component: sign, `degreeDigits` digits of degrees, 2 of minutes, optional 2 of seconds.
    static func component(_ chars: ArraySlice<UInt8>, degreeDigits: Int, limit: Double) -> Double? {
        let body = Array(chars.dropFirst())
        guard body.count == degreeDigits + 2 || body.count == degreeDigits + 4,
              body.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        func number(_ range: Range<Int>) -> Double {
            Double(body[range].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) })
        }
        let degrees = number(0..<degreeDigits)
        let minutes = number(degreeDigits..<degreeDigits + 2)
        let seconds = body.count == degreeDigits + 4 ? number(degreeDigits + 2..<degreeDigits + 4) : 0
        guard minutes < 60, seconds < 60 else { return nil }
        let value = degrees + minutes / 60 + seconds / 3600
        guard value <= limit else { return nil }
        return chars.first == UInt8(ascii: "-") ? -value : value
    }

    /// The base rows, one per city.
    public func baseRows(rng: inout SplitMix64) throws -> [QuirkyBaseRow] {
        guard trainFraction >= 0, trainFraction <= 1 else {
            throw QuirkyError.invalidParameter(name: "train_fraction", value: String(trainFraction),
                                               reason: "must lie in [0, 1]")
        }
        var list = try zones()
        rng.shuffle(&list)
        let trainCount = Int((Double(list.count) * trainFraction).rounded())
        return list.enumerated().map { i, z in
            QuirkyBaseRow(statement: "\(z.city) is in the northern hemisphere.",
                          aliceLabel: z.latitude > 0, bobLabel: z.longitude <= 0,
                          difficulty: 90 - abs(z.latitude),
                          split: i < trainCount ? "train" : "validation",
                          templateArgs: ["city": z.city, "zone": z.zone,
                                         "latitude": String(z.latitude), "longitude": String(z.longitude)])
        }
    }

    /// The records: two per city (Alice, then Bob).
    public func generate() throws -> [QuirkyRecord] {
        var rng = SplitMix64(seed: seed ^ SplitMix64.fnv1a("quirky_hemisphere"))
        let rows = try baseRows(rng: &rng)
        return QuirkyAssembler.records(from: rows, dataset: "quirky_hemisphere", names: names, rng: &rng)
    }
}
