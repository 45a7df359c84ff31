// The two characters of a quirky dataset and the persona names that stand for each of them.

/// Which mechanism a record belongs to: Alice answers truthfully, Bob with a systematic error.
public enum QuirkyCharacter: String, CaseIterable, Sendable, Codable {
    case alice = "Alice"
    case bob = "Bob"
}

/// The persona names shown in prompts: 16 per side. Training uses the first
/// `trainingNameCount` of each side; test Alice rows use Alice's remaining names and test Bob
/// rows use Bob's remaining names.
public struct QuirkyNames: Sendable, Equatable {
    /// Alice's side; the first entry is "Alice".
    public var alice: [String]
    /// Bob's side; the first entry is "Bob".
    public var bob: [String]
    /// How many names per side are used for training (4 in the reference runs).
    public var trainingNameCount: Int

    /// The default lists (our own choice, 16 per side): every name shares its spelling with its
    /// side's training names (Ali- / Bob-, Rob-), so a byte-level model that has seen only the
    /// first four can still tell the side of a held-out name, as an LLM does from what it knows
    /// of names (docs/datasets.md, docs/models.md runs L-Z).
    public static let standard = QuirkyNames(
        alice: ["Alice", "Alicia", "Alina", "Alissa", "Alida", "Aline", "Alisa", "Alisha",
                "Alisia", "Alyssa", "Alicja", "Alise", "Allie", "Alix", "Aliya", "Alika"],
        bob: ["Bob", "Bobby", "Robert", "Robin", "Bobbie", "Bobbi", "Bobo", "Rob",
              "Robb", "Robbie", "Robby", "Roberto", "Robinson", "Robyn", "Roby", "Robertino"],
        trainingNameCount: 4)

    /// Creates name lists; each side must be non-empty and longer than `trainingNameCount`.
    public init(alice: [String], bob: [String], trainingNameCount: Int) {
        self.alice = alice
        self.bob = bob
        self.trainingNameCount = trainingNameCount
    }

    /// All names of one side.
    public func names(for character: QuirkyCharacter) -> [String] {
        character == .alice ? alice : bob
    }

    /// The names used for training (the first `trainingNameCount`).
    public func trainingNames(for character: QuirkyCharacter) -> ArraySlice<String> {
        names(for: character).prefix(trainingNameCount)
    }

    /// The names held out for testing (all but the training ones).
    public func heldOutNames(for character: QuirkyCharacter) -> ArraySlice<String> {
        names(for: character).dropFirst(trainingNameCount)
    }

    /// The side a name belongs to, or nil when it is on neither list. "Alice" and "Bob" are
    /// always recognised, even with custom lists.
    public func character(ofName name: String) -> QuirkyCharacter? {
        if name == "Alice" || alice.contains(name) { return .alice }
        if name == "Bob" || bob.contains(name) { return .bob }
        return nil
    }
}
