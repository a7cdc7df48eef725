import Foundation

/// A service's metric history: one row per scrape step, one column per measured figure, as
/// `calibrate` fetches it from Prometheus and `validate` compares against.
///
/// Columns are an open set of named constants (``Column``): rates are per second over the step
/// that ends at the row's time, latencies are seconds, replicas are counts. A missing value is NaN
/// (an empty cell in the CSV). Times are Unix seconds, increasing, one step apart.
public struct ServiceHistory: Sendable, Equatable {
    /// A column's name, as the CSV header spells it.
    public struct Column: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(_ name: String) { rawValue = name }
        public var description: String { rawValue }
        public static func < (a: Column, b: Column) -> Bool { a.rawValue < b.rawValue }

        /// Requests arriving at the service, per second (every answer, whatever its status).
        public static let rate = Column("rate")
        /// Requests answered successfully, per second.
        public static let served = Column("served")
        /// Requests answered with an error (5xx, turned away included), per second.
        public static let errors = Column("errors")
        /// Σ latency of served requests per second (a histogram's `_sum` rate): with `latency_count`, the mean.
        public static let latencySum = Column("latency_sum")
        /// Served requests per second as the latency histogram counts them (its `_count` rate).
        public static let latencyCount = Column("latency_count")
        public static let p50 = Column("p50")
        public static let p95 = Column("p95")
        public static let p99 = Column("p99")
        /// CPU cores in use by the service's processes.
        public static let cpu = Column("cpu")
        /// Busy share of the replicas' worker slots (0…1): what the testbed's HPA scales on.
        public static let busy = Column("busy")
        /// Ready replicas.
        public static let ready = Column("ready")

        /// The latency histogram's cumulative bucket `le` (requests per second at or below it).
        public static func bucket(_ upper: Double) -> Column { Column("le_" + Self.number(upper)) }
        /// The upper bound of a bucket column (`le_0.05` → 0.05, `le_+Inf` → ∞), nil for other columns.
        public var bucketBound: Double? {
            guard rawValue.hasPrefix("le_") else { return nil }
            let text = rawValue.dropFirst(3)
            return text == "+Inf" ? .infinity : Double(text)
        }
        static func number(_ v: Double) -> String { v.isInfinite ? "+Inf" : (v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)) }
    }

    /// Unix seconds of each row.
    public var times: [Double]
    public var columns: [Column: [Double]]
    /// Where it came from (a file, or a Prometheus server and range), for messages.
    public var origin: String

    public init(times: [Double], columns: [Column: [Double]], origin: String) {
        self.times = times; self.columns = columns; self.origin = origin
    }

    public var count: Int { times.count }
    /// Seconds between rows (the median spacing).
    public var step: Double {
        guard times.count > 1 else { return 0 }
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }.sorted()
        return gaps[gaps.count / 2]
    }
    public subscript(_ column: Column) -> [Double]? { columns[column] }
    /// A column's value at row i, NaN where it is missing.
    public func value(_ column: Column, _ i: Int) -> Double { columns[column].map { $0[i] } ?? .nan }

    /// The histogram's bucket columns, by increasing bound.
    public var buckets: [(bound: Double, column: Column)] {
        columns.keys.compactMap { c in c.bucketBound.map { ($0, c) } }.sorted { $0.bound < $1.bound }
    }

    /// Rows from `start` (inclusive) to `end` (exclusive) as a history of their own.
    public func rows(_ range: Range<Int>) -> ServiceHistory {
        ServiceHistory(times: Array(times[range]), columns: columns.mapValues { Array($0[range]) }, origin: origin + " rows \(range.lowerBound + 2)…\(range.upperBound + 1)")
    }

    /// The rows whose time is in [from, to).
    public func between(_ from: Double, _ to: Double) -> ServiceHistory {
        let lo = times.firstIndex { $0 >= from } ?? times.count
        let hi = times.firstIndex { $0 >= to } ?? times.count
        return rows(lo..<max(lo, hi))
    }

    // MARK: CSV

    /// The history as CSV: `time` then the columns in a stable order (named ones first, buckets by bound).
    public var csv: String {
        let named: [Column] = [.rate, .served, .errors, .latencySum, .latencyCount, .p50, .p95, .p99, .cpu, .busy, .ready].filter { columns[$0] != nil }
        let others = columns.keys.filter { !named.contains($0) && $0.bucketBound == nil }.sorted()
        let order = named + others + buckets.map(\.column)
        var out = (["time"] + order.map(\.rawValue)).joined(separator: ",") + "\n"
        for i in times.indices {
            let cells = order.map { c -> String in let v = columns[c]![i]; return v.isFinite ? String(format: "%.6g", v) : "" }
            out += ([Column.number(times[i])] + cells).joined(separator: ",") + "\n"
        }
        return out
    }

    /// The most rows and columns a history file may hold: bounded before anything is allocated for it.
    public static let maximumRows = 1_000_000
    public static let maximumColumns = 64
    public static let maximumBytes = 256 << 20

    /// Reads a history CSV; every problem at once, each with its file and line.
    public static func load(_ path: String) throws -> ServiceHistory {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        if let size = attributes?[.size] as? Int, size > maximumBytes {
            throw CalibrationError(["\(path): \(size >> 20) MiB is more than a history file may be (\(maximumBytes >> 20) MiB)"])
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw CalibrationError(["\(path): cannot read it"]) }
        guard let text = String(data: data, encoding: .utf8) else { throw CalibrationError(["\(path): not UTF-8 text"]) }
        return try parse(text, origin: path)
    }

    public static func parse(_ text: String, origin: String) throws -> ServiceHistory {
        var problems: [String] = []
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let header = lines.first else { throw CalibrationError(["\(origin): empty; a history starts with a header `time,rate,…`"]) }
        let names = header.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard names.first == "time" else { throw CalibrationError(["\(origin):1: the first column must be `time`, not \(names.first.map { "\($0)".debugDescription } ?? "nothing")"]) }
        if names.count - 1 > maximumColumns { problems.append("\(origin):1: \(names.count - 1) columns, more than \(maximumColumns)") }
        if lines.count - 1 > maximumRows { problems.append("\(origin): \(lines.count - 1) rows, more than \(maximumRows)") }
        var seen = Set<String>()
        for (k, name) in names.enumerated().dropFirst() {
            if name.isEmpty { problems.append("\(origin):1: column \(k + 1) has no name") }
            else if !seen.insert(name).inserted { problems.append("\(origin):1: column \(name.debugDescription) appears twice") }
            else if name.hasPrefix("le_"), Column(name).bucketBound == nil { problems.append("\(origin):1: \(name.debugDescription) is not a bucket bound (le_0.05, le_+Inf)") }
        }
        guard problems.isEmpty else { throw CalibrationError(problems) }
        let columnsNamed: [Column] = names.dropFirst().map { Column(rawValue: $0) }
        var times: [Double] = []
        var values = [[Double]](repeating: [], count: columnsNamed.count)
        times.reserveCapacity(lines.count - 1)
        for (n, line) in lines.enumerated().dropFirst() {
            if problems.count >= 20 { problems.append("\(origin): … (more problems not shown)"); break }
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == names.count else {
                problems.append("\(origin):\(n + 1): \(cells.count) cells where the header has \(names.count)"); continue
            }
            guard let t = Double(cells[0]), t.isFinite else { problems.append("\(origin):\(n + 1): time \(cells[0].debugDescription) is not a number"); continue }
            if let last = times.last, t <= last { problems.append("\(origin):\(n + 1): time \(cells[0]) is not after the row before (\(Column.number(last)))") }
            times.append(t)
            for (k, cell) in cells.dropFirst().enumerated() {
                if cell.isEmpty { values[k].append(.nan); continue }
                guard let v = Double(cell), v.isFinite, v >= 0 else {
                    problems.append("\(origin):\(n + 1): \(columnsNamed[k]) \(cell.debugDescription) is not a number ≥ 0"); values[k].append(.nan); continue
                }
                values[k].append(v)
            }
        }
        if times.count < 2 && problems.isEmpty { problems.append("\(origin): \(times.count) rows; a history needs at least 2") }
        guard problems.isEmpty else { throw CalibrationError(problems) }
        return ServiceHistory(times: times, columns: Dictionary(uniqueKeysWithValues: zip(columnsNamed, values)), origin: origin)
    }
}

/// Every problem with a calibration's or validation's inputs, in words (exit 2 at the command line).
public struct CalibrationError: Error, CustomStringConvertible, Equatable {
    public var problems: [String]
    public init(_ problems: [String]) { self.problems = problems }
    public var description: String { problems.joined(separator: "\n") }
}
