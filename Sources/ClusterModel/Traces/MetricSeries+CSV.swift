import Foundation
import SimulationKernel

extension MetricSeries {
    /// Parses a `timestamp,value` CSV.
    ///
    /// - One row per line; `\n`, `\r\n` and `\r` all end a line; blank lines and `#` comments are skipped.
    /// - A header (a first row whose value is not a number) is skipped; fields may be double-quoted.
    /// - Timestamps: ISO 8601 dates and times (`2014-07-01 00:05:00`, `2014-07-01T00:05:00.5Z`,
    ///   `…+02:00`), or plain numbers of seconds or milliseconds (see ``TraceReadOptions/TimeUnit``).
    /// - Exactly two fields per row, strictly ascending timestamps, finite values. Anything else is
    ///   an error naming the line — never a silently misread value.
    public static func parse(csv text: String, origin: String, options: TraceReadOptions = .init()) throws -> MetricSeries {
        try parse(csvData: Data(text.utf8), origin: origin, options: options)
    }

    static func parse(csvData data: Data, origin: String, options: TraceReadOptions) throws -> MetricSeries {
        var points: [Point] = []
        var firstRaw: Double?
        var sawContent = false
        var lineNumber = 0
        var previousField = ""
        for lineBytes in lines(of: data) {
            lineNumber += 1
            if lineNumber & 0x3FFF == 0, StopRequest.isSet { throw StopRequested() }
            func fail(_ problem: String) -> TraceError { TraceError(file: origin, line: lineNumber, problem: problem) }
            guard var line = String(bytes: lineBytes, encoding: .utf8) else { throw fail("not UTF-8 text") }
            if lineNumber == 1, line.hasPrefix("\u{FEFF}") { line.removeFirst() }
            if let bad = line.unicodeScalars.first(where: { $0.value < 0x20 && $0 != "\t" }) {
                throw fail(bad == "\0" ? "contains a NUL byte" : "contains control character U+\(String(format: "%04X", bad.value))")
            }
            let trimmed = trimmingSpaces(line[...])
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let fields = trimmed.split(separator: ",", omittingEmptySubsequences: false).map(unquoted)
            let isFirstRow = !sawContent
            sawContent = true
            if isFirstRow, fields.count >= 2, Double(fields[1]) == nil, Timestamp.parse(fields[0]) == nil { continue }  // header
            guard fields.count == 2 else {
                let hint = fields.count == 3 && fields[1].allSatisfy(\.isNumber) && fields[2].allSatisfy(\.isNumber)
                    ? " (a decimal comma? write \(fields[1]).\(fields[2]))" : ""
                throw fail("expected 2 fields `timestamp,value`, found \(fields.count)\(hint)")
            }
            let seconds: Double
            switch Timestamp.parse(fields[0]) {
            case .plain(let raw)?:
                if firstRaw == nil { firstRaw = raw }
                seconds = Self.seconds(raw, unit: options.timeUnit, firstRaw: firstRaw)
            case .calendar(let s)?:
                seconds = s
            case nil:
                throw fail("bad timestamp \"\(fields[0])\" (expected an ISO 8601 date and time such as 2014-07-01 00:05:00, or epoch seconds)")
            }
            guard abs(seconds) <= timeLimit else { throw fail("timestamp \(fields[0]) " + Self.outOfRange(seconds: seconds, firstRaw: firstRaw)) }
            guard !fields[1].isEmpty else { throw fail("missing value") }
            guard let v = Timestamp.decimal(fields[1]) ?? nonFinite(fields[1]) else { throw fail("value \"\(fields[1])\" is not a number") }
            let point = try checkedPoint(time: seconds, value: v, text: fields[1], options: options, fail: fail)
            if let last = points.last {
                let back = last.time - seconds   // > 0: earlier than the row before
                guard back < 0 || (back == 0 && options.repeatedTimestamps) || (back > 0 && back <= 3600 && options.repeatedHour) else {
                    throw fail("timestamp \(fields[0]) is not after the previous row's \(previousField) (rows must be sorted and unique"
                               + (options.repeatedHour ? ", or repeat at most an hour)" : ")"))
                }
            }
            previousField = fields[0]
            points.append(point)
        }
        guard !points.isEmpty else { throw TraceError(file: origin, line: 0, problem: "no data rows") }
        return MetricSeries(points: points, origin: origin)
    }

    /// Lines as byte slices: split on LF, CRLF or a lone CR, so Windows and old Mac files read alike.
    static func lines(of data: Data) -> Lines { Lines(data) }

    /// A file's lines one at a time: reading holds the mapped file, the points kept and one line, never
    /// a slice per line (which cost 2–3× the file again).
    struct Lines: Sequence, IteratorProtocol {
        let data: Data
        var start: Data.Index

        init(_ data: Data) { self.data = data; start = data.startIndex }

        mutating func next() -> Data? {
            guard start < data.endIndex else { return nil }
            var i = start
            while i < data.endIndex {
                let b = data[i]
                if b == 0x0A || b == 0x0D {
                    let line = data[start..<i]
                    var after = data.index(after: i)
                    if b == 0x0D, after < data.endIndex, data[after] == 0x0A { after = data.index(after: after) }
                    start = after
                    return line
                }
                i = data.index(after: i)
            }
            defer { start = data.endIndex }
            return data[start..<data.endIndex]
        }
    }

    /// `nan` and `inf` parse (to be refused as not finite, which says more than "not a number").
    private static func nonFinite(_ field: String) -> Double? {
        Double(field).flatMap { $0.isFinite ? nil : $0 }
    }

    private static func unquoted(_ field: Substring) -> String {
        let f = trimmingSpaces(field)
        if f.count >= 2, f.hasPrefix("\""), f.hasSuffix("\"") { return String(f.dropFirst().dropLast()) }
        return String(f)
    }

    /// `text` without leading and trailing spaces: what `trimmingCharacters(in: .whitespaces)` removes (tabs and
    /// Unicode space separators), without its trip through NSString (a fifth of the time reading NAB's corpus).
    static func trimmingSpaces(_ text: Substring) -> Substring {
        func isSpace(_ c: Character) -> Bool {
            c == " " || c == "\t" || (c.unicodeScalars.count == 1 && c.unicodeScalars.first!.properties.generalCategory == .spaceSeparator)
        }
        var s = text
        while let first = s.first, isSpace(first) { s.removeFirst() }
        while let last = s.last, isSpace(last) { s.removeLast() }
        return s
    }
}

/// A timestamp as written in a trace: a calendar date and time, or a plain number whose unit the
/// reader decides.
enum Timestamp: Equatable {
    case plain(Double)
    /// Seconds since 1970-01-01 UTC.
    case calendar(Double)

    /// `YYYY-MM-DD`, optionally followed by ` ` or `T` and `HH:MM[:SS[.fff]]`, optionally followed by
    /// `Z`, `±HH:MM` or `±HHMM`. Days are checked against the month (February 31 is refused).
    static func parse(_ text: String) -> Timestamp? {
        if let v = decimal(text) { return v.isFinite ? .plain(v) : nil }
        let s = Array(text.utf8)
        var i = 0
        func digits(_ n: Int) -> Int? {
            guard i + n <= s.count else { return nil }
            var v = 0
            for k in i..<(i + n) {
                guard s[k] >= 0x30, s[k] <= 0x39 else { return nil }
                v = v * 10 + Int(s[k] - 0x30)
            }
            i += n
            return v
        }
        func take(_ c: Character) -> Bool {
            guard i < s.count, s[i] == c.asciiValue! else { return false }
            i += 1
            return true
        }
        guard let y = digits(4), take("-"), let mo = digits(2), take("-"), let d = digits(2),
              (1...12).contains(mo), d >= 1, d <= daysIn(month: mo, year: y) else { return nil }
        var secs = 0.0
        if i < s.count, s[i] == 0x20 || s[i] == UInt8(ascii: "T") {
            i += 1
            guard let h = digits(2), take(":"), let mi = digits(2), h <= 23, mi <= 59 else { return nil }
            secs = Double(h * 3600 + mi * 60)
            if take(":") {
                guard let sec = digits(2), sec <= 60 else { return nil }
                secs += Double(sec)
                if take(".") || take(",") {
                    let start = i
                    while i < s.count, s[i] >= 0x30, s[i] <= 0x39 { i += 1 }
                    guard i > start, let frac = Double("0." + String(decoding: s[start..<i], as: UTF8.self)) else { return nil }
                    secs += frac
                }
            }
            if take("Z") {
            } else if i < s.count, s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-") {
                let sign: Double = s[i] == UInt8(ascii: "+") ? 1 : -1
                i += 1
                guard let oh = digits(2), oh <= 23 else { return nil }
                _ = take(":")
                guard let om = digits(2), om <= 59 else { return nil }
                secs -= sign * Double(oh * 3600 + om * 60)  // 10:00+02:00 is 08:00 UTC
            }
        }
        guard i == s.count else { return nil }
        return .calendar(Double(daysFromCivil(year: y, month: mo, day: d)) * 86_400 + secs)
    }

    /// A decimal number (`12`, `-3.5`, `1e3`), not the hexadecimal or `nan` spellings `Double` also takes.
    static func decimal(_ text: String) -> Double? {
        guard !text.isEmpty, text.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2B || $0 == 0x2D || $0 == 0x2E || $0 == 0x45 || $0 == 0x65 }) else { return nil }
        return Double(text)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant's algorithm); the year has four digits, so no overflow.
    static func daysFromCivil(year y: Int, month mo: Int, day d: Int) -> Int {
        let yy = mo <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let mp = (mo + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}

extension MetricSeries {
    /// Seconds since 1970 UTC of a calendar timestamp as traces write it (`2014-04-15 07:24:00.000000`),
    /// or nil when `text` is not one.
    public static func calendarSeconds(_ text: String) -> Double? {
        if case .calendar(let t)? = Timestamp.parse(text) { return t }
        return nil
    }
}
