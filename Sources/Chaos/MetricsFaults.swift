import ClusterModel
import SimulationKernel
import Telemetry

/// A fault in the metrics pipeline, between the world and the control plane: it changes what the
/// autoscaler sees, not what happens (the recorded samples stay the truth). The HPA's missing-metric
/// rules and KEDA's fallback are what meet it.
public protocol MetricsFault: ServiceFault {
    /// Distorts one service's sample before the control plane sees it. `history` holds that service's
    /// true samples of earlier scrapes, oldest first (the current one is not among them).
    func distort(_ sample: inout ServiceSample, history: ArraySlice<ServiceSample>)
    /// How far back `history` must reach, in seconds.
    var lookBack: Double { get }
}

extension MetricsFault {
    public var lookBack: Double { 0 }
}

extension ServiceSample {
    /// Takes the measured figures of `other` (and the interval they cover), keeping this sample's
    /// time and replica counts, which come from the API server rather than from metrics.
    mutating func takeMeasurements(of other: ServiceSample) {
        measured = other.measured
        interval = other.interval
    }
}

/// The metrics the control plane reads are `age` old (a lagging adapter, a stuck cache).
public struct MetricsStale: MetricsFault, Equatable {
    public var age: SimDuration
    public init(age: SimDuration) { self.age = age }
    public var name: String { "metrics-stale" }
    public var lookBack: Double { age.seconds }
    public func problems(duration: SimDuration?) -> [String] { age > .zero ? [] : ["the age must be > 0"] }
    public func distort(_ sample: inout ServiceSample, history: ArraySlice<ServiceSample>) {
        // The newest sample at least `age` old; before the run has that much history, the oldest.
        let cutoff = sample.time - age.seconds
        if let old = history.last(where: { $0.time <= cutoff + 1e-9 }) ?? history.first { sample.takeMeasurements(of: old) }
    }
}

/// Metrics are missing for this fraction of the ready pods (a scrape target down, a crashing
/// exporter): upstream's HPA counts them as 100 % of target on a scale-down and as 0 on a scale-up.
public struct MetricsMissing: MetricsFault, Equatable {
    public var fraction: Double
    public init(fraction: Double) { self.fraction = fraction }
    public var name: String { "metrics-missing" }
    public func problems(duration: SimDuration?) -> [String] { fraction > 0 && fraction <= 1 ? [] : ["the fraction must be in (0, 1]"] }
    public func distort(_ sample: inout ServiceSample, history: ArraySlice<ServiceSample>) {
        sample.missingPods = min(sample.readyReplicas, Int((Double(sample.readyReplicas) * fraction).rounded(.up)))
        if sample.missingPods == sample.readyReplicas { sample.metricsAvailable = false }
    }
}

/// The metrics API answers, with zeros (kubernetes#104387: an external-metrics outage read as no
/// load, which scaled every service to its minimum).
public struct MetricsZero: MetricsFault, Equatable {
    public init() {}
    public var name: String { "metrics-zero" }
    public func distort(_ sample: inout ServiceSample, history: ArraySlice<ServiceSample>) {
        sample.measured = ServiceSample.Measurements()
    }
}

/// The metrics API cannot be read at all (the adapter or metrics-server is down): the HPA keeps the
/// current replicas; KEDA counts failed reads towards its fallback.
public struct MetricsOutage: MetricsFault, Equatable {
    public init() {}
    public var name: String { "metrics-outage" }
    public func distort(_ sample: inout ServiceSample, history: ArraySlice<ServiceSample>) {
        sample.metricsAvailable = false
        sample.missingPods = sample.readyReplicas
    }
}

extension FaultEffect where Self == MetricsStale {
    public static func metricsStale(age: SimDuration) -> MetricsStale { MetricsStale(age: age) }
}
extension FaultEffect where Self == MetricsMissing {
    public static func metricsMissing(fraction: Double) -> MetricsMissing { MetricsMissing(fraction: fraction) }
}
extension FaultEffect where Self == MetricsZero {
    public static var metricsZero: MetricsZero { MetricsZero() }
}
extension FaultEffect where Self == MetricsOutage {
    public static var metricsOutage: MetricsOutage { MetricsOutage() }
}
