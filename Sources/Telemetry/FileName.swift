/// File names made from untrusted text.
public enum FileName {
    /// A file name component from untrusted text (a scenario, service or prefix from a results file or the
    /// command line): letters, digits, `.`, `_` and `-` only, never a path separator or a leading dot, so a
    /// chart lands in the folder chosen and nowhere else.
    public static func component(_ s: String) -> String {
        var out = String(s.unicodeScalars.map { c -> Character in
            c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "." || c == "_" || c == "-") ? Character(c) : "_"
        })
        if out.hasPrefix(".") { out = "_" + out.dropFirst() }
        if out.utf8.count > 150 {
            // File systems refuse names over 255 bytes: keep a readable head and a hash of the whole.
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325   // FNV-1a
            for b in s.utf8 { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
            out = String(out.prefix(120)) + "-" + String(hash, radix: 16)
        }
        return out.isEmpty ? "_" : out
    }

}

/// Text from a results file, an input or a metrics server made safe for a terminal.
public enum TerminalText {
    /// Control characters (C0 but newline and tab, DEL, C1) and bidirectional overrides escaped
    /// visibly as `\u{1B}`, so a name cannot move the cursor, retitle the window or reorder what
    /// follows it. With `keepingLines: false`, newlines and tabs too: a one-line name (a table cell,
    /// a heading) cannot start a line of its own and fake a table row.
    public static func escaped(_ s: String, keepingLines: Bool = false) -> String {
        guard s.unicodeScalars.contains(where: { needsEscape($0, keepingLines) }) else { return s }
        var out = String.UnicodeScalarView()
        for c in s.unicodeScalars {
            if needsEscape(c, keepingLines) {
                out.append(contentsOf: "\\u{\(String(c.value, radix: 16, uppercase: true))}".unicodeScalars)
            } else {
                out.append(c)
            }
        }
        return String(out)
    }

    static func needsEscape(_ c: Unicode.Scalar, _ keepingLines: Bool) -> Bool {
        if keepingLines && (c == "\n" || c == "\t") { return false }
        switch c.value {
        case 0..<0x20, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069, 0x2028, 0x2029: return true
        default: return false
        }
    }
}
