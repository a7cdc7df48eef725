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
