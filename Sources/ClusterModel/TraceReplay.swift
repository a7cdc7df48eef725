import Foundation

/// A `timestamp,value` series (the format of public metric data sets such as NAB) turned into a
/// request-rate function of virtual time.
public struct TraceReplay: Sendable, Equatable {
    /// Seconds since the first row, ascending.
    public let times: [Double]
    /// Requests per second at each time (after scaling).
    public let rates: [Double]
    /// Where the series came from, for messages.
    public let origin: String

    /// - Parameters:
    ///   - series: parsed rows.
    ///   - valuesAre: counts per row interval (request counts) or already per second.
    ///   - scale: multiplies every rate.
    ///   - peak: if set, rescales so that the highest rate equals it (applied instead of `scale`).
    ///   - timeScale: virtual seconds per trace second (0.1 plays a 10-day trace in one day).
    public init(series: MetricSeries, valuesAre: ValueMeaning = .countPerRow, scale: Double = 1,
                peak: Double? = nil, timeScale: Double = 1) {
        let t0 = series.points.first?.time ?? 0
        var times = series.points.map { ($0.time - t0) * timeScale }
        var rates: [Double]
        switch valuesAre {
        case .perSecond:
            rates = series.points.map(\.value)
        case .countPerRow:
            let step = series.typicalInterval
            rates = series.points.map { $0.value / max(step, 1e-9) }
        }
        if let peak, let m = rates.max(), m > 0 {
            rates = rates.map { $0 / m * peak }
        } else {
            rates = rates.map { $0 * scale }
        }
        if times.isEmpty { times = [0]; rates = [0] }
        self.times = times
        self.rates = rates
        self.origin = series.origin
    }

    public enum ValueMeaning: String, Sendable { case countPerRow = "count-per-row", perSecond = "per-second" }

    /// Length of one pass through the trace; replay loops after it.
    public var period: Double {
        guard times.count > 1 else { return 1 }
        return times[times.count - 1] + (times[times.count - 1] - times[times.count - 2])
    }

    public func rate(at t: Double) -> Double {
        guard times.count > 1 else { return rates.first ?? 0 }
        let x = t.truncatingRemainder(dividingBy: period)
        let i = upperIndex(x)
        if i >= times.count { return rates[times.count - 1] + (rates[0] - rates[times.count - 1]) * (x - times[times.count - 1]) / (period - times[times.count - 1]) }
        if i == 0 { return rates[0] }
        let f = (x - times[i - 1]) / (times[i] - times[i - 1])
        return rates[i - 1] + f * (rates[i] - rates[i - 1])
    }

    public func maxRate(from t0: Double, to t1: Double) -> Double { extremeRate(from: t0, to: t1, by: max) }

    /// The lowest rate over [t0, t1] (a lower bound lets thinning accept most candidates unevaluated).
    public func minRate(from t0: Double, to t1: Double) -> Double { extremeRate(from: t0, to: t1, by: min) }

    /// The rate is piecewise linear, so its extremes over a window lie at the ends or at knots inside.
    private func extremeRate(from t0: Double, to t1: Double, by pick: (Double, Double) -> Double) -> Double {
        guard times.count > 1 else { return rates.first ?? 0 }
        if t1 - t0 >= period { return rates.reduce(rates[0], pick) }
        var m = pick(rate(at: t0), rate(at: t1))
        // Knots inside the window (the window may wrap around the end of the trace).
        let a = t0.truncatingRemainder(dividingBy: period), b = a + (t1 - t0)
        var i = upperIndex(a)
        while i < times.count, times[i] <= min(b, period) { m = pick(m, rates[i]); i += 1 }
        if b > period {
            var j = 0
            while j < times.count, times[j] <= b - period { m = pick(m, rates[j]); j += 1 }
            m = pick(m, pick(rates[times.count - 1], rates[0]))
        }
        return m
    }

    /// First index with times[i] > x.
    private func upperIndex(_ x: Double) -> Int {
        var lo = 0, hi = times.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if times[mid] <= x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}

/// One metric series read from CSV.
public struct MetricSeries: Sendable, Equatable {
    public struct Point: Sendable, Equatable {
        /// Seconds since 1970-01-01 UTC (or the raw number when the file uses plain numbers).
        public var time: Double
        public var value: Double
        public init(time: Double, value: Double) { self.time = time; self.value = value }
    }
    public var points: [Point]
    public var origin: String

    public init(points: [Point], origin: String = "<memory>") { self.points = points; self.origin = origin }

    /// The median spacing between rows, in seconds.
    public var typicalInterval: Double {
        guard points.count > 1 else { return 1 }
        var gaps = zip(points.dropFirst(), points).map { $0.time - $1.time }
        gaps.sort()
        return gaps[gaps.count / 2]
    }
}

/// A problem with a CSV file, naming the file and line.
public struct TraceError: Error, CustomStringConvertible, Equatable {
    public init(file: String, line: Int, problem: String) { self.file = file; self.line = line; self.problem = problem }
    public var file: String
    public var line: Int
    public var problem: String
    public var description: String { line > 0 ? "\(file):\(line): \(problem)" : "\(file): \(problem)" }
}

extension MetricSeries {
    /// Reads a `timestamp,value` CSV. Timestamps are `YYYY-MM-DD HH:MM:SS` (also with `T` and an
    /// optional `Z`), or plain numbers of seconds. A header row is skipped. Rows must be strictly ascending.
    public static func load(csv path: String) throws -> MetricSeries {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TraceError(file: path, line: 0, problem: "cannot read the file (does it exist?)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw TraceError(file: path, line: 0, problem: "not UTF-8 text")
        }
        return try parse(csv: text, origin: path)
    }

    public static func parse(csv text: String, origin: String) throws -> MetricSeries {
        var points: [Point] = []
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            if points.isEmpty, lineNumber == firstContentLine(text), fields.count >= 2, Double(fields[1]) == nil,
               parseTimestamp(fields[0]) == nil {
                continue  // header
            }
            guard fields.count >= 2 else {
                throw TraceError(file: origin, line: lineNumber, problem: "expected `timestamp,value`, found \(fields.count) field")
            }
            guard let t = parseTimestamp(fields[0]) else {
                throw TraceError(file: origin, line: lineNumber, problem: "bad timestamp \"\(fields[0])\" (expected YYYY-MM-DD HH:MM:SS or seconds)")
            }
            guard !fields[1].isEmpty else {
                throw TraceError(file: origin, line: lineNumber, problem: "missing value")
            }
            guard let v = Double(fields[1]), v.isFinite else {
                throw TraceError(file: origin, line: lineNumber, problem: "value \"\(fields[1])\" is not a number")
            }
            if let last = points.last, t <= last.time {
                throw TraceError(file: origin, line: lineNumber, problem: "timestamp \(fields[0]) is not after the previous row (rows must be sorted and unique)")
            }
            points.append(Point(time: t, value: v))
        }
        guard !points.isEmpty else {
            throw TraceError(file: origin, line: 0, problem: "no data rows")
        }
        return MetricSeries(points: points, origin: origin)
    }

    private static func firstContentLine(_ text: String) -> Int {
        var n = 0
        for l in text.split(separator: "\n", omittingEmptySubsequences: false) {
            n += 1
            let t = l.trimmingCharacters(in: .whitespacesAndNewlines)
            if !t.isEmpty && !t.hasPrefix("#") { return n }
        }
        return n
    }

    /// Seconds since the Unix epoch for `YYYY-MM-DD HH:MM:SS[.fff][Z]`, or a plain number.
    static func parseTimestamp(_ s: String) -> Double? {
        if let v = Double(s), v.isFinite { return v }
        var text = Substring(s)
        if text.hasSuffix("Z") { text = text.dropLast() }
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "T" })
        guard parts.count == 2 || parts.count == 1 else { return nil }
        let date = parts[0].split(separator: "-")
        guard date.count == 3, let y = Int(date[0]), let mo = Int(date[1]), let d = Int(date[2]),
              (1...12).contains(mo), (1...31).contains(d) else { return nil }
        var secs = 0.0
        if parts.count == 2 {
            let time = parts[1].split(separator: ":")
            guard time.count == 2 || time.count == 3, let h = Int(time[0]), let mi = Int(time[1]),
                  (0...23).contains(h), (0...59).contains(mi) else { return nil }
            let sec = time.count == 3 ? Double(time[2]) : 0
            guard let sec, sec >= 0, sec < 61 else { return nil }
            secs = Double(h * 3600 + mi * 60) + sec
        }
        // Days from civil (Howard Hinnant's algorithm).
        let yy = mo <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let mp = (mo + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return Double(days) * 86_400 + secs
    }
}

extension TraceReplay {
    /// The same trace with every rate multiplied by `k`.
    public func scaled(by k: Double) -> TraceReplay {
        TraceReplay(times: times, rates: rates.map { $0 * k }, origin: origin)
    }

    init(times: [Double], rates: [Double], origin: String) {
        self.times = times; self.rates = rates; self.origin = origin
    }
}
