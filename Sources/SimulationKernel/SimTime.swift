/// An instant on the virtual clock: integer nanoseconds since the start of a run.
///
/// Integer time keeps runs bit-for-bit reproducible: no rounding drift, and two events
/// scheduled for "the same" instant really are at the same instant.
public struct SimTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var nanoseconds: Int64

    @inlinable public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public static let zero = SimTime(nanoseconds: 0)

    @inlinable public static func seconds(_ s: Double) -> SimTime { SimTime(nanoseconds: Int64((s * 1e9).rounded())) }
    @inlinable public var seconds: Double { Double(nanoseconds) / 1e9 }

    @inlinable public static func < (a: SimTime, b: SimTime) -> Bool { a.nanoseconds < b.nanoseconds }
    @inlinable public static func + (t: SimTime, d: SimDuration) -> SimTime { SimTime(nanoseconds: t.nanoseconds &+ d.nanoseconds) }
    @inlinable public static func - (t: SimTime, d: SimDuration) -> SimTime { SimTime(nanoseconds: t.nanoseconds &- d.nanoseconds) }
    @inlinable public static func - (a: SimTime, b: SimTime) -> SimDuration { SimDuration(nanoseconds: a.nanoseconds &- b.nanoseconds) }
    @inlinable public static func += (t: inout SimTime, d: SimDuration) { t = t + d }

    public var description: String { SimDuration(nanoseconds: nanoseconds).description }
}

/// A span of virtual time in integer nanoseconds.
public struct SimDuration: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var nanoseconds: Int64

    @inlinable public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public static let zero = SimDuration(nanoseconds: 0)

    @inlinable public static func seconds(_ s: Double) -> SimDuration { SimDuration(nanoseconds: Int64((s * 1e9).rounded())) }
    @inlinable public static func milliseconds(_ ms: Double) -> SimDuration { .seconds(ms / 1e3) }
    @inlinable public static func minutes(_ m: Double) -> SimDuration { .seconds(m * 60) }
    @inlinable public static func hours(_ h: Double) -> SimDuration { .seconds(h * 3600) }
    @inlinable public static func days(_ d: Double) -> SimDuration { .seconds(d * 86_400) }

    @inlinable public var seconds: Double { Double(nanoseconds) / 1e9 }

    @inlinable public static func < (a: SimDuration, b: SimDuration) -> Bool { a.nanoseconds < b.nanoseconds }
    @inlinable public static func + (a: SimDuration, b: SimDuration) -> SimDuration { SimDuration(nanoseconds: a.nanoseconds + b.nanoseconds) }
    @inlinable public static func - (a: SimDuration, b: SimDuration) -> SimDuration { SimDuration(nanoseconds: a.nanoseconds - b.nanoseconds) }
    @inlinable public static func * (a: SimDuration, k: Int) -> SimDuration { SimDuration(nanoseconds: a.nanoseconds * Int64(k)) }
    @inlinable public static func * (a: SimDuration, k: Double) -> SimDuration { .seconds(a.seconds * k) }

    /// Compact human form: `90s`, `15m`, `2h30m`, `250ms`.
    public var description: String {
        let ns = nanoseconds
        if ns == 0 { return "0s" }
        let sign = ns < 0 ? "-" : ""
        let a = ns.magnitude
        // Exact decimals (never an exponent), so every duration reads back as itself.
        func decimal(_ whole: UInt64, _ fraction: UInt64, digits: Int) -> String {
            guard fraction > 0 else { return "\(whole)" }
            var f = String(fraction)
            f = String(repeating: "0", count: digits - f.count) + f
            while f.hasSuffix("0") { f.removeLast() }
            return "\(whole).\(f)"
        }
        if a < 1_000_000_000 { return sign + decimal(a / 1_000_000, a % 1_000_000, digits: 6) + "ms" }
        if a % 1_000_000_000 != 0 { return sign + decimal(a / 1_000_000_000, a % 1_000_000_000, digits: 9) + "s" }
        var s = a / 1_000_000_000
        var out = ""
        let d = s / 86_400; s %= 86_400
        let h = s / 3600; s %= 3600
        let m = s / 60; s %= 60
        if d > 0 { out += "\(d)d" }
        if h > 0 { out += "\(h)h" }
        if m > 0 { out += "\(m)m" }
        if s > 0 { out += "\(s)s" }
        return sign + out
    }
}

extension SimDuration {
    /// The longest duration a clock of integer nanoseconds can hold (about 292 years).
    public static let maximumSeconds = Double(Int64.max) / 1e9

    /// Parses `90s`, `15m`, `24h`, `2d`, `250ms`, `1h30m`, or a bare number of seconds; nil for text
    /// that is none of these, or a duration beyond ±`maximumSeconds`.
    public init?(parsing text: String) {
        var t = Substring(text.trimmingCharacters(in: .whitespaces).lowercased())
        guard !t.isEmpty else { return nil }
        if let v = Double(t) {
            // Strictly inside Int64 nanoseconds after rounding (2⁶³ itself is one past the end).
            guard v.isFinite, abs(v * 1e9) < 9_223_372_036_854_774_784 else { return nil }
            self = .seconds(v); return
        }
        // A sign in front of the parts (`-1h30m`, as `description` writes negative durations).
        let sign: Double = t.first == "-" ? -1 : 1
        if t.first == "-" || t.first == "+" { t = t.dropFirst() }
        // Integer nanoseconds per part, so `49d167ms` and every `description` read back exactly
        // (summing seconds as doubles does not); overflow is a refusal, not a trap.
        var nanoseconds: Int64 = 0
        var number = ""
        var i = t.startIndex
        var sawUnit = false
        while i < t.endIndex {
            let c = t[i]
            if c.isNumber || c == "." {
                number.append(c); i = t.index(after: i); continue
            }
            var unit = String(c)
            let next = t.index(after: i)
            if c == "m", next < t.endIndex, t[next] == "s" { unit = "ms"; i = t.index(after: next) } else { i = next }
            let perUnit: Int64
            switch unit {
            case "ms": perUnit = 1_000_000
            case "s": perUnit = 1_000_000_000
            case "m": perUnit = 60_000_000_000
            case "h": perUnit = 3_600_000_000_000
            case "d": perUnit = 86_400_000_000_000
            case "w": perUnit = 604_800_000_000_000
            default: return nil
            }
            guard let part = Self.nanoseconds(number, perUnit: perUnit) else { return nil }
            let (sum, overflow) = nanoseconds.addingReportingOverflow(part)
            guard !overflow else { return nil }
            nanoseconds = sum
            number = ""
            sawUnit = true
        }
        guard number.isEmpty, sawUnit else { return nil }
        self = SimDuration(nanoseconds: sign < 0 ? -nanoseconds : nanoseconds)
    }

    /// `digits[.digits]` units in nanoseconds; nil for anything else or an overflow.
    private static func nanoseconds(_ number: String, perUnit: Int64) -> Int64? {
        let pieces = number.split(separator: ".", omittingEmptySubsequences: false)
        guard pieces.count <= 2, pieces.contains(where: { !$0.isEmpty }),
              pieces.allSatisfy({ $0.allSatisfy { ("0"..."9").contains($0) } }) else { return nil }
        let whole = pieces[0].isEmpty ? 0 : Int64(pieces[0])
        guard let whole else { return nil }
        let (wholeNanoseconds, overflow) = whole.multipliedReportingOverflow(by: perUnit)
        guard !overflow else { return nil }
        // The fraction is below one unit (≤ 6·10¹⁴ ns), well inside a double's exact integers.
        let fraction = pieces.count == 2 && !pieces[1].isEmpty ? (Double("0." + pieces[1])! * Double(perUnit)).rounded() : 0
        let (total, overflow2) = wholeNanoseconds.addingReportingOverflow(Int64(fraction))
        return overflow2 ? nil : total
    }
}

import Foundation
