import Foundation

/// The instants a range query asks for: `start`, `start + step`, … up to `end`, in seconds since 1970.
///
/// Both ends sit on multiples of the step (so the same range asked twice reads the same instants) and
/// the end lags the newest scrape, whose samples may not all have arrived.
public struct QueryRange: Sendable, Equatable {
    public var start: Double
    public var end: Double
    public var step: Double

    /// Prometheus refuses a range query that would return more than this many points per series.
    public static let maximumPointsPerQuery = 11_000

    /// The range from `from` to `to`, aligned to the step and ending at least `lag` before `now`.
    public init(from: Double, to: Double, step: Double, now: Double, lag: Double) throws {
        guard step.isFinite, step >= 0.001, step <= 86_400 * 366 else { throw RangeError("the step \(step) s must be between 1ms and 366d") }
        guard from.isFinite, to.isFinite, from >= 0, to <= 1e11 else { throw RangeError("the range must lie between 1970 and the year 5000") }
        let latest = ((min(to, now - lag)) / step).rounded(.down) * step
        let first = (from / step).rounded(.up) * step
        guard first <= latest else {
            throw RangeError(to > now - lag
                ? "the range ends after the newest complete scrape: --from must be at least one step (\(step) s) before now"
                : "--from is after --to (or within one step of it)")
        }
        start = first; end = latest; self.step = step
    }

    /// How many instants the range holds.
    public var count: Int { Int(((end - start) / step).rounded()) + 1 }

    /// The range cut into consecutive pieces of at most `maximumPointsPerQuery` instants each.
    public var pages: [QueryRange] {
        var out: [QueryRange] = []
        var first = 0
        let total = count
        while first < total {
            let last = min(total - 1, first + Self.maximumPointsPerQuery - 1)
            out.append(QueryRange(start: start + Double(first) * step, end: start + Double(last) * step, step: step))
            first = last + 1
        }
        return out
    }

    private init(start: Double, end: Double, step: Double) { self.start = start; self.end = end; self.step = step }
}

/// A range that cannot be asked for, in words.
public struct RangeError: Error, CustomStringConvertible {
    public var description: String
    init(_ d: String) { description = d }
}

/// Times as the command line writes them.
public enum QueryTime {
    /// `now`, `now-6h`, seconds since 1970 (`1700000000`), or RFC 3339 (`2026-12-06T10:00:00Z`).
    public static func parse(_ text: String, now: Double) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t == "now" { return now }
        if t.hasPrefix("now-"), let ago = parseDuration(String(t.dropFirst(4))) { return now - ago }
        if let seconds = Double(t), seconds.isFinite, t.first?.isNumber == true { return seconds }
        let f = ISO8601DateFormatter()
        if let d = f.date(from: t) { return d.timeIntervalSince1970 }
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.date(from: t)?.timeIntervalSince1970
    }

    /// `15s`, `5m`, `2h`, `1d`, `500ms`: Prometheus's duration words.
    public static func parseDuration(_ text: String) -> Double? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400), ("w", 604_800)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            // "ms" is tried before "s", so "5ms" is not read as 5m + "s".
            guard let v = Double(number), v.isFinite, v >= 0, number.first?.isNumber == true else { return nil }
            return v * scale
        }
        return nil
    }
}

extension QueryTime {
    /// An instant as RFC 3339 in UTC, as `--from` reads it back.
    public static func format(_ t: Double) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: t))
    }
}
