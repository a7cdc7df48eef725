/// A service's objective as the control plane and every report judge it: the Definitions article's SLO breach
/// interval is one in which p95 latency exceeds `p95` or the error rate exceeds `errorRate`.
///
/// This is the one place the rule is written; summaries, fault recovery, incidents and reports call it.
public struct SLOTarget: Sendable, Equatable, Codable {
    /// Seconds.
    public var p95: Double
    /// Failed + rejected + timed-out ÷ all requests finished in the interval.
    public var errorRate: Double
    public init(p95: Double, errorRate: Double) { self.p95 = p95; self.errorRate = errorRate }

    /// Whether the scrape interval `sample` covers is a breach interval.
    public func isBreached(by sample: ServiceSample) -> Bool { sample.p95 > p95 || sample.errorRate > errorRate }
}
