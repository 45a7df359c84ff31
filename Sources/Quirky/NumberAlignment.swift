// The aligned number format for byte-level models: every integer right-aligned in a fixed-width
// field, so that "1234 + 56 = 1290" reads "  1234 +     56 =   1290" and digits of equal place
// value are always the same number of bytes apart (what a tokenizer does for a large model's
// arithmetic, done here on the text).

/// Right-aligns the integers of a text in fixed-width fields.
public enum NumberAlignment {
    /// The text with every maximal run of ASCII digits, together with a minus sign written
    /// directly before it at the start of the text or after a space or "(", left-padded with
    /// spaces to `width` characters. Numbers longer than the field stay as they are; width 0
    /// returns the text unchanged. An operator minus ("a - b", with spaces) is not a sign.
    public static func align(_ text: String, width: Int) -> String {
        guard width > 0 else { return text }
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 4 * width)
        var i = 0
        func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
        while i < bytes.count {
            let signed = bytes[i] == UInt8(ascii: "-") && i + 1 < bytes.count && isDigit(bytes[i + 1])
                && (i == 0 || bytes[i - 1] == UInt8(ascii: " ") || bytes[i - 1] == UInt8(ascii: "("))
            guard signed || (isDigit(bytes[i]) && (i == 0 || !isDigit(bytes[i - 1]))) else {
                out.append(bytes[i])
                i += 1
                continue
            }
            var end = signed ? i + 1 : i
            while end < bytes.count && isDigit(bytes[end]) { end += 1 }
            out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: max(0, width - (end - i))))
            out.append(contentsOf: bytes[i..<end])
            i = end
        }
        return String(decoding: out, as: UTF8.self)
    }
}
