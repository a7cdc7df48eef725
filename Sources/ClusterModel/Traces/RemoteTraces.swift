import Foundation

/// Traces named `promql:QUERY` instead of a file: read from a metrics server by the reader a command
/// installs when it is given one (`--prometheus URL`), wherever a trace file is accepted.
///
/// The reader lives here, below every command, so that each place that loads a trace by name —
/// `--replay`, `replay --trace`, `forecast`, `detect`, `league` — takes a query the same way.
public enum RemoteTraces {
    /// What starts a trace name that is a query.
    public static let prefix = "promql:"

    /// Reads the series a query names (the query without its prefix), or throws a ``TraceError``.
    public typealias Reader = @Sendable (String) throws -> MetricSeries

    private static let lock = NSLock()
    nonisolated(unsafe) private static var installed: Reader?

    /// Installs the reader for `promql:` names (one per process: a command has one `--prometheus`).
    public static func install(_ reader: Reader?) {
        lock.lock(); defer { lock.unlock() }
        installed = reader
    }

    static var reader: Reader? {
        lock.lock(); defer { lock.unlock() }
        return installed
    }

    /// Whether a trace name is a query rather than a path.
    public static func isQuery(_ name: String) -> Bool { name.hasPrefix(prefix) }

    /// The series a `promql:` name reads, checked like a file's samples.
    static func load(_ name: String, options: TraceReadOptions) throws -> MetricSeries {
        let query = String(name.dropFirst(prefix.count))
        guard !query.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw TraceError(file: name, line: 0, problem: "the query is empty (promql:'rate(http_requests_total[1m])')")
        }
        guard let reader else {
            throw TraceError(file: name, line: 0, problem: "a promql: trace is read from a Prometheus server: add --prometheus URL --from TIME")
        }
        let series = try reader(query)
        for (i, p) in series.points.enumerated() {
            _ = try MetricSeries.checkedPoint(time: p.time, value: p.value, options: options) { problem in
                TraceError(file: name, line: 0, problem: "sample \(i + 1) at \(p.time): \(problem)")
            }
        }
        return series
    }
}
