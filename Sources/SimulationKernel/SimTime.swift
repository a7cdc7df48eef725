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
        if a < 1_000_000_000 {
            let ms = Double(a) / 1e6
            return sign + (ms == ms.rounded() ? "\(Int(ms))ms" : "\(ms)ms")
        }
        if a % 1_000_000_000 != 0 { return sign + "\(Double(a) / 1e9)s" }
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
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard !t.isEmpty else { return nil }
        if let v = Double(t) {
            guard v.isFinite, abs(v) < Self.maximumSeconds else { return nil }
            self = .seconds(v); return
        }
        var total = 0.0
        var number = ""
        var i = t.startIndex
        var sawUnit = false
        while i < t.endIndex {
            let c = t[i]
            if c.isNumber || c == "." {
                number.append(c); i = t.index(after: i); continue
            }
            guard let value = Double(number) else { return nil }
            var unit = String(c)
            let next = t.index(after: i)
            if c == "m", next < t.endIndex, t[next] == "s" { unit = "ms"; i = t.index(after: next) } else { i = next }
            switch unit {
            case "ms": total += value / 1000
            case "s": total += value
            case "m": total += value * 60
            case "h": total += value * 3600
            case "d": total += value * 86_400
            case "w": total += value * 604_800
            default: return nil
            }
            number = ""
            sawUnit = true
        }
        guard number.isEmpty, sawUnit, total.isFinite, total < Self.maximumSeconds else { return nil }
        self = .seconds(total)
    }
}

import Foundation
