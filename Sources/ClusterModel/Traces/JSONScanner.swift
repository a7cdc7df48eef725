import Foundation

/// A pull scanner over the bytes of a JSON document: the reader asks for the value it expects next
/// (an object's keys, an array's elements, a string, a number) or skips one, and no tree is built.
///
/// Foundation's `JSONSerialization` builds a tree of boxed objects, 20–28 times the size of the file:
/// a Prometheus export of 1,000 series × 11,000 samples needed 3.8 GB. Scanning keeps only what
/// the reader keeps. O(1) memory beyond the strings it returns; nesting is limited to `maximumDepth`.
struct JSONScanner {
    struct SyntaxError: Error {
        var offset: Int
        var problem: String
    }

    private let bytes: UnsafeRawBufferPointer
    private(set) var offset = 0
    static let maximumDepth = 64

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    enum Kind { case object, array, string, number, literal }

    /// The kind of the next value (after white space); the end of input is an error.
    mutating func peekKind() throws -> Kind {
        skipWhitespace()
        guard offset < bytes.count else { throw fail("unexpected end of input") }
        switch bytes[offset] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"): return .literal
        default: throw fail("unexpected character \(Self.shown(bytes[offset]))")
        }
    }

    /// Calls `body` with each key of the object that comes next; `body` must consume the key's value.
    mutating func object(_ body: (inout JSONScanner, String) throws -> Void) throws {
        try expect(UInt8(ascii: "{"))
        skipWhitespace()
        if take(UInt8(ascii: "}")) { return }
        repeat {
            let key = try string()
            try expect(UInt8(ascii: ":"))
            try body(&self, key)
            skipWhitespace()
        } while take(UInt8(ascii: ","))
        try expect(UInt8(ascii: "}"))
    }

    /// Calls `body` with the index of each element of the array that comes next; `body` must consume it.
    mutating func array(_ body: (inout JSONScanner, Int) throws -> Void) throws {
        try expect(UInt8(ascii: "["))
        skipWhitespace()
        if take(UInt8(ascii: "]")) { return }
        var index = 0
        repeat {
            try body(&self, index)
            index += 1
            skipWhitespace()
        } while take(UInt8(ascii: ","))
        try expect(UInt8(ascii: "]"))
    }

    /// A string value, its escapes decoded.
    mutating func string() throws -> String {
        try expect(UInt8(ascii: "\""))
        var out: [UInt8] = []
        while offset < bytes.count {
            let b = bytes[offset]
            offset += 1
            switch b {
            case UInt8(ascii: "\""):
                guard let s = String(validating: out, as: UTF8.self) else { throw fail("a string is not valid UTF-8") }
                return s
            case UInt8(ascii: "\\"):
                guard offset < bytes.count else { break }
                let e = bytes[offset]
                offset += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(8)
                case UInt8(ascii: "f"): out.append(12)
                case UInt8(ascii: "n"): out.append(10)
                case UInt8(ascii: "r"): out.append(13)
                case UInt8(ascii: "t"): out.append(9)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar), take(UInt8(ascii: "\\")), take(UInt8(ascii: "u")) {
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw fail("a lone surrogate in a string") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw fail("a lone surrogate in a string") }
                    out.append(contentsOf: Array(String(u).utf8))
                default: throw fail("unknown escape \\\(Self.shown(e))")
                }
            case 0..<0x20:
                throw fail("a control character in a string")
            default:
                out.append(b)
            }
        }
        throw fail("unterminated string")
    }

    /// A number value.
    mutating func number() throws -> Double {
        skipWhitespace()
        let start = offset
        while offset < bytes.count, Self.isNumberByte(bytes[offset]) { offset += 1 }
        guard offset > start, offset - start <= 64 else { throw fail("expected a number") }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
        guard let v = Double(text) else { offset = start; throw fail("\(text) is not a number") }
        return v
    }

    /// Skips the next value, whatever it is.
    mutating func skipValue(depth: Int = 0) throws {
        guard depth < Self.maximumDepth else { throw fail("nested more than \(Self.maximumDepth) deep") }
        switch try peekKind() {
        case .object: try object { s, _ in try s.skipValue(depth: depth + 1) }
        case .array: try array { s, _ in try s.skipValue(depth: depth + 1) }
        case .string: _ = try string()
        case .number: _ = try number()
        case .literal:
            for word in ["true", "false", "null"] where matches(word) { offset += word.utf8.count; return }
            throw fail("unexpected character \(Self.shown(bytes[offset]))")
        }
    }

    /// Checks that nothing but white space follows.
    mutating func end() throws {
        skipWhitespace()
        guard offset == bytes.count else { throw fail("unexpected text after the document") }
    }

    // MARK: Bytes

    private mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x09, 0x0A, 0x0D: offset += 1
            default: return
            }
        }
    }

    private mutating func take(_ b: UInt8) -> Bool {
        skipWhitespace()
        guard offset < bytes.count, bytes[offset] == b else { return false }
        offset += 1
        return true
    }

    private mutating func expect(_ b: UInt8) throws {
        guard take(b) else {
            throw fail(offset < bytes.count ? "expected \(Self.shown(b)), found \(Self.shown(bytes[offset]))" : "expected \(Self.shown(b)), found the end of input")
        }
    }

    private func matches(_ word: String) -> Bool {
        let w = Array(word.utf8)
        guard offset + w.count <= bytes.count else { return false }
        return w.indices.allSatisfy { bytes[offset + $0] == w[$0] }
    }

    private mutating func hex4() throws -> UInt32 {
        guard offset + 4 <= bytes.count else { throw fail("a short \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[offset]
            offset += 1
            guard let d = Character(Unicode.Scalar(b)).hexDigitValue else { throw fail("a bad \\u escape") }
            v = v << 4 | UInt32(d)
        }
        return v
    }

    private static func isNumberByte(_ b: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) || b == UInt8(ascii: "-") || b == UInt8(ascii: "+")
            || b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E")
    }

    private static func shown(_ b: UInt8) -> String {
        (0x21..<0x7F).contains(b) ? "'\(Character(Unicode.Scalar(b)))'" : String(format: "byte 0x%02X", b)
    }

    private func fail(_ problem: String) -> SyntaxError { SyntaxError(offset: offset, problem: problem) }
}
