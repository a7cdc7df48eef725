/// One value a live session read from a metrics server, exactly as it was read: what the control
/// plane's decisions in live mode are a function of, and what `shadow --replay-session` replays.
public struct LiveRead: Sendable, Equatable, Codable {
    /// Seconds since the session started (the evaluation instant of the query).
    public var time: Double
    public var service: String
    /// What the value stands for (``LiveSignal``'s raw value: `rate`, `cpu`, `ready` …).
    public var signal: String
    public var query: String
    public var status: LiveReadStatus
    /// The number read (nil unless `status` is `ok`).
    public var value: Double?
    /// Why it is not `ok`, in words (the server's error, the age of a stale series).
    public var detail: String

    public init(time: Double, service: String, signal: String, query: String, status: LiveReadStatus, value: Double? = nil, detail: String = "") {
        self.time = time; self.service = service; self.signal = signal; self.query = query
        self.status = status; self.value = value; self.detail = detail
    }
}

/// What a read gave. Only `ok` is a number; the others are recorded as such and never read as zero.
public enum LiveReadStatus: String, Sendable, Codable, CaseIterable {
    case ok
    /// The query matched no series (a target gone, a metric not yet exposed).
    case empty
    /// The server answered NaN or ±Inf (a rate over no samples, a division by zero).
    case nan
    /// The newest scrape behind the signal is older than the session's stale-after limit.
    case stale
    /// The server could not be reached, timed out, or answered an error.
    case error
}
