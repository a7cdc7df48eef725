import Foundation

/// A metric as a series of timestamped values: what a trace file holds, whatever its format.
///
/// Read one with ``MetricSeries/load(_:format:options:)``: a `timestamp,value` CSV or the JSON that
/// Prometheus's range-query API returns. Every problem names the file and the line (CSV) or the
/// JSON path (Prometheus).
public struct MetricSeries: Sendable, Equatable {
    public struct Point: Sendable, Equatable {
        /// Seconds since 1970-01-01 UTC (or the raw number when the file uses relative seconds).
        public var time: Double
        public var value: Double
        public init(time: Double, value: Double) { self.time = time; self.value = value }
    }
    public var points: [Point]
    /// Where the series came from, for messages.
    public var origin: String

    public init(points: [Point], origin: String = "<memory>") { self.points = points; self.origin = origin }

    /// The series averaged over buckets of `interval` seconds aligned to multiples of it (a bucket's
    /// time is its start); empty buckets are left out. For counts the mean is proportional to the sum,
    /// so scale-free scores (MASE, MAPE) are the same either way.
    public func resampled(every interval: Double) -> MetricSeries {
        var out: [Point] = []
        var bucket = Double.nan, sum = 0.0, n = 0
        for p in points {
            let b = (p.time / interval).rounded(.down) * interval
            if b != bucket {
                if n > 0 { out.append(Point(time: bucket, value: sum / Double(n))) }
                bucket = b; sum = 0; n = 0
            }
            sum += p.value; n += 1
        }
        if n > 0 { out.append(Point(time: bucket, value: sum / Double(n))) }
        return MetricSeries(points: out, origin: origin)
    }

    /// The median spacing between rows, in seconds.
    public var typicalInterval: Double {
        guard points.count > 1 else { return 1 }
        var gaps = zip(points.dropFirst(), points).map { $0.time - $1.time }
        gaps.sort()
        return gaps[gaps.count / 2]
    }
}

/// How a trace file is written.
public enum TraceFormat: String, Sendable, CaseIterable {
    /// `.json` files and files starting with `{` or `[` are Prometheus JSON; anything else is CSV.
    case auto
    case csv
    /// The body of `/api/v1/query_range` (or `promtool query range -o json`).
    case prometheus
}

/// What a reader accepts.
public struct TraceReadOptions: Sendable, Equatable {
    /// Plain-number timestamps: seconds, milliseconds, or `auto` (milliseconds when the first one is
    /// at least 10¹¹, which as seconds would be the year 5138).
    public enum TimeUnit: String, Sendable, CaseIterable { case auto, seconds, milliseconds }
    public var timeUnit: TimeUnit = .auto
    /// Refuse negative values (request counts and rates cannot be negative).
    public var nonNegative = false
    /// Accept a row with the same timestamp as the one before it (metric exports repeat the hour a
    /// daylight-saving change repeats); rows are then taken in file order, as NAB scores them.
    public var repeatedTimestamps = false
    /// Also accept a timestamp up to an hour before the previous row's: the hour a daylight-saving change
    /// repeats, written out (NAB's `machine_temperature_system_failure.csv` has one). Rows are taken in file
    /// order, as NAB scores them; for reading a series in order (detection), never for replaying one.
    public var repeatedHour = false
    public init(timeUnit: TimeUnit = .auto, nonNegative: Bool = false, repeatedTimestamps: Bool = false, repeatedHour: Bool = false) {
        self.timeUnit = timeUnit; self.nonNegative = nonNegative; self.repeatedTimestamps = repeatedTimestamps
        self.repeatedHour = repeatedHour
    }
}

/// A problem with a trace file, naming the file and the line (CSV) or JSON path (Prometheus).
public struct TraceError: Error, CustomStringConvertible, Equatable {
    public var file: String
    /// 1-based line, 0 when the problem is the whole file.
    public var line: Int
    /// Where in a JSON document, e.g. `data.result[0].values[12][1]`.
    public var path: String?
    public var problem: String

    public init(file: String, line: Int, problem: String) { self.file = file; self.line = line; self.problem = problem }
    public init(file: String, path: String, problem: String) { self.file = file; self.line = 0; self.path = path; self.problem = problem }

    public var description: String {
        if let path { return "\(file): at \(path): \(problem)" }
        return line > 0 ? "\(file):\(line): \(problem)" : "\(file): \(problem)"
    }
}

extension MetricSeries {
    /// Timestamps beyond ±10¹¹ s (about the year 5138) are refused: they are a unit mistake, and
    /// the calendar arithmetic stays far from overflow.
    static let timeLimit = 1e11

    /// Reads a trace file in any supported format.
    public static func load(_ path: String, format: TraceFormat = .auto, options: TraceReadOptions = .init()) throws -> MetricSeries {
        if RemoteTraces.isQuery(path) { return try RemoteTraces.load(path, options: options) }
        // Mapped, not copied: a large export costs address space, not memory, while it is scanned.
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) else {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            let why = !exists ? "no such file" : isDirectory.boolValue ? "is a folder, not a trace file"
                : !FileManager.default.isReadableFile(atPath: path) ? "cannot read the file (permission denied)" : "cannot read the file"
            throw TraceError(file: path, line: 0, problem: why)
        }
        switch format == .auto ? detectedFormat(path: path, data: data) : format {
        case .prometheus: return try parse(prometheusJSON: data, origin: path, options: options)
        case .csv, .auto: return try parse(csvData: data, origin: path, options: options)
        }
    }

    /// Reads a `timestamp,value` CSV (kept for callers that know the format).
    public static func load(csv path: String, options: TraceReadOptions = .init()) throws -> MetricSeries {
        try load(path, format: .csv, options: options)
    }

    static func detectedFormat(path: String, data: Data) -> TraceFormat {
        if path.lowercased().hasSuffix(".json") { return .prometheus }
        let first = data.first(where: { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || $0 == 0xEF || $0 == 0xBB || $0 == 0xBF) })
        return first == UInt8(ascii: "{") || first == UInt8(ascii: "[") ? .prometheus : .csv
    }

    /// Checks shared by every format: a finite, in-range timestamp; a finite (non-negative if asked) value.
    /// `text` is the value as written, for the message (a number too large for a Double reads as `inf`).
    static func checkedPoint(time: Double, value: Double, text: String? = nil, options: TraceReadOptions, fail: (String) -> TraceError) throws -> Point {
        guard value.isFinite else {
            let written = text ?? "\(value)"
            let literal = ["inf", "+inf", "-inf", "infinity", "nan", "+nan", "-nan"].contains(written.lowercased())
            throw fail(literal || value.isNaN ? "value \(written) is not a finite number"
                                              : "value \(written) is beyond the largest number a value can hold (±1.8e308)")
        }
        if options.nonNegative && value < 0 { throw fail("value \(value) is negative (a rate or count cannot be)") }
        return Point(time: time, value: value)
    }

    /// Why a timestamp beyond ±``timeLimit`` was refused, blaming the unit only where reading it as
    /// milliseconds would have brought it in range.
    static func outOfRange(seconds: Double, firstRaw: Double?) -> String {
        let readAsMilliseconds = abs(firstRaw ?? 0) >= 1e11
        if readAsMilliseconds { return "is out of range even as milliseconds (beyond ±10¹¹ s, about the year 5138)" }
        if abs(seconds / 1000) <= timeLimit {
            return "is out of range as seconds (beyond the year 5138), the unit the file's first timestamp set: seconds and milliseconds mixed?"
        }
        return "is out of range (beyond ±10¹¹ s, about the year 5138)"
    }

    /// Plain-number timestamps in seconds, given the unit the file uses.
    static func seconds(_ raw: Double, unit: TraceReadOptions.TimeUnit, firstRaw: Double?) -> Double {
        switch unit {
        case .seconds: return raw
        case .milliseconds: return raw / 1000
        case .auto: return abs(firstRaw ?? raw) >= 1e11 ? raw / 1000 : raw
        }
    }
}
