import Foundation
import Statistics

/// What kind of metric a stream is, for its default thresholds.
public enum MetricKind: String, Sendable, CaseIterable {
    case cpu, memory, queueDepth = "queue-depth", responseTime = "response-time", errorRate = "error-rate", requestRate = "request-rate"

    /// The least spread a baseline is credited with: a deviation smaller than this is never an
    /// anomaly, however flat the baseline was (relative to the baseline level, plus an absolute floor).
    public var spreadFloor: (relative: Double, absolute: Double) {
        switch self {
        case .errorRate: return (0.05, 0.001)
        default: return (0.02, 1e-9)
        }
    }

    /// Warning threshold in standard deviations (critical is 1.5× this): the common starting points.
    public var threshold: Double {
        switch self {
        case .cpu: return 2.5
        case .memory: return 2.0
        case .queueDepth: return 3.0
        case .responseTime: return 2.5
        case .errorRate: return 4.0
        case .requestRate: return 3.0
        }
    }
}

public enum AnomalySeverity: String, Sendable, Comparable {
    case warning, critical
    public static func < (a: Self, b: Self) -> Bool { a == .warning && b == .critical }
}

/// One anomalous observation.
public struct Anomaly: Sendable, Equatable {
    public var time: Double
    public var value: Double
    /// What the detector expected (baseline mean, median or forecast; NaN for `.context`, which has no expectation).
    public var expected: Double
    /// Deviation in (robust) standard deviations, signed; for `.context`, the 0…1 score.
    public var score: Double
    public var severity: AnomalySeverity
}

/// How a detector scores each observation.
public enum DetectionMethod: String, Sendable, CaseIterable {
    /// (x − mean) / sd over a baseline window of recent values.
    case zscore
    /// 0.6745 (x − median) / MAD over the baseline window: resists the outliers it is looking for.
    case robust
    /// The residual against a seasonal forecast, scored against recent residuals: a normal daily
    /// peak is expected, so it is not an anomaly.
    case seasonal
    /// The contextual anomaly detector (CAD OSE, ``ContextAnomalyDetector``): a score from 0 to 1 of how new
    /// the value's context is; the threshold is that score, not standard deviations. Best given the values' range.
    case context
}

/// Rolling anomaly detection on one metric stream.
///
/// The baseline holds the last `baseline` values, anomalies winsorised to the threshold before they
/// enter it: one spike does not inflate the spread, yet a lasting level shift is learned after a
/// while instead of being flagged forever. Nothing is reported until the baseline has
/// `minimumBaseline` values.
public struct AnomalyDetector: Sendable {
    public let method: DetectionMethod
    public let threshold: Double
    public var critical: Double { threshold * 1.5 }
    let baselineSize: Int
    let minimumBaseline: Int
    let floor: (relative: Double, absolute: Double)
    var baseline: [Double] = []
    /// `baseline` in ascending order, kept beside it (an insert and a removal per observation
    /// instead of two sorts).
    var sortedBaseline: [Double] = []
    var seasonalModel: SeasonalDecompositionForecaster?
    var lastForecast: Double?
    var contextModel: ContextAnomalyDetector?
    /// For `.context`: a value beyond the range seen so far by more than this fraction of it scores 1.
    let spatialTolerance: Double?
    var seen: ClosedRange<Double>?

    /// - Parameters:
    ///   - threshold: standard deviations (critical at 1.5×); for `.context`, the 0…1 score (default 0.75, CAD's own).
    ///   - range: for `.context`, the values' range (nil: learnt from the values as they come); `restPeriod` its quiet
    ///     points after a high score.
    public init(kind: MetricKind, method: DetectionMethod = .robust, threshold: Double? = nil, step: Double,
                baseline: Int = 60, minimumBaseline: Int = 20, range: ClosedRange<Double>? = nil, restPeriod: Int = 30,
                spatialTolerance: Double? = nil) {
        self.spatialTolerance = spatialTolerance
        self.method = method
        self.threshold = threshold ?? (method == .context ? 0.75 : kind.threshold)
        self.baselineSize = baseline
        self.minimumBaseline = minimumBaseline
        self.floor = kind.spreadFloor
        if method == .seasonal { seasonalModel = SeasonalDecompositionForecaster(step: step) }
        if method == .context { contextModel = ContextAnomalyDetector(range: range, restPeriod: restPeriod) }
    }

    /// Scores `value`; returns an anomaly when it crosses the threshold.
    public mutating func observe(_ value: Double, at time: Double) -> Anomaly? {
        if contextModel != nil {
            let resting = contextModel!.isResting
            var score = contextModel!.score(value)
            if let tolerance = spatialTolerance, value.isFinite {
                // Numenta's spatial anomaly (NAB's HTM detector): a new extreme, beyond the range seen so far by
                // more than `tolerance` of it, is what people label, whatever the model's score.
                if !resting, let r = seen, r.lowerBound != r.upperBound {
                    let margin = (r.upperBound - r.lowerBound) * tolerance
                    if value > r.upperBound + margin || value < r.lowerBound - margin { score = 1; contextModel!.markLastAnomalous() }
                }
                seen = min(seen?.lowerBound ?? value, value)...max(seen?.upperBound ?? value, value)
            }
            return score >= threshold ? Anomaly(time: time, value: value, expected: .nan, score: score, severity: .warning) : nil
        }
        var result: Anomaly?
        let x: Double, expectedBase: Double
        switch method {
        case .seasonal:
            if let f = lastForecast { x = value - f; expectedBase = f } else { x = .nan; expectedBase = value }
        default:
            x = value; expectedBase = 0
        }
        var clipped = x
        if x.isFinite, baseline.count >= minimumBaseline {
            let (center, measured) = method == .zscore
                ? (SampleStatistics.mean(baseline), SampleStatistics.standardDeviation(baseline))
                : SampleStatistics.robustStandardDeviation(sorted: sortedBaseline)
            let level = method == .seasonal ? abs(expectedBase) : abs(center)
            let spread = max(measured, floor.relative * level, floor.absolute)
            clipped = min(max(x, center - threshold * spread), center + threshold * spread)
            let score = (x - center) / spread
            if abs(score) >= threshold {
                result = Anomaly(time: time, value: value, expected: method == .seasonal ? expectedBase + center : center, score: score,
                                 severity: abs(score) >= critical ? .critical : .warning)
            }
        }
        if x.isFinite {
            baseline.append(clipped)
            sortedBaseline.insert(clipped, at: Self.insertionPoint(of: clipped, in: sortedBaseline))
            if baseline.count > baselineSize {
                for old in baseline.prefix(baseline.count - baselineSize) {
                    sortedBaseline.remove(at: Self.insertionPoint(of: old, in: sortedBaseline))
                }
                baseline.removeFirst(baseline.count - baselineSize)
            }
        }
        if seasonalModel != nil {
            // In place: a copy taken out and written back copied the model's profiles (a day and a
            // week of buckets) on every observation.
            seasonalModel!.observe(value, at: time)
            lastForecast = seasonalModel!.forecast(stepsAhead: 1)?.value
        }
        return result
    }

    /// The first index of `sorted` whose value is not below `x`.
    static func insertionPoint(of x: Double, in sorted: [Double]) -> Int {
        var low = 0, high = sorted.count
        while low < high {
            let mid = (low + high) / 2
            if sorted[mid] < x { low = mid + 1 } else { high = mid }
        }
        return low
    }
}

extension FloatingPointSign {
    var multiplier: Double { self == .minus ? -1 : 1 }
}

/// Direction of a queue's depth over a recent window, from the slope of a least-squares line.
public enum QueueTrend: String, Sendable {
    case growingFast = "growing fast", growingSlowly = "growing slowly", stable, shrinking

    /// - Parameters:
    ///   - depths: recent queue depths, oldest first, one per `step` seconds.
    ///   - capacity: requests per second the service drains at full speed (scales "fast").
    public static func of(_ depths: [Double], step: Double, capacity: Double) -> QueueTrend {
        guard depths.count >= 3 else { return .stable }
        let slope = LeastSquares.slope(depths.indices.map(Double.init), depths) / step  // requests per second
        let scale = max(capacity, 1)
        if slope > 0.05 * scale { return .growingFast }
        if slope > 0.005 * scale { return .growingSlowly }
        if slope < -0.005 * scale { return .shrinking }
        return .stable
    }
}
