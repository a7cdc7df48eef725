import Foundation

/// A point forecast with a prediction interval.
public struct Forecast: Sendable, Equatable {
    /// The forecast value.
    public var value: Double
    /// The prediction interval's lower end.
    public var lower: Double
    /// The prediction interval's upper end.
    public var upper: Double
    /// 0…1: how much the model trusts itself (grows with data; policies fall back below a threshold).
    public var confidence: Double
    /// A forecast of `value` within `lower…upper`, trusted to `confidence` (0…1).
    public init(value: Double, lower: Double, upper: Double, confidence: Double) {
        self.value = value; self.lower = lower; self.upper = upper; self.confidence = confidence
    }
}

/// An online forecaster over a regularly sampled series (one observation per `step` seconds).
///
/// `observe` is cheap (O(1) or O(window)), so a forecaster can run per service per scrape inside a
/// simulation, or over a metric history replayed from CSV. Forecasters know nothing of where the
/// numbers come from.
public protocol Forecaster: Sendable {
    /// The name `--model`, reports and the `predictions` table use.
    var name: String { get }
    /// Feeds the next observation; times are seconds and increase by `step`.
    mutating func observe(_ value: Double, at time: Double)
    /// Forecast `steps` observations ahead of the last one, or nil while the model cannot say.
    func forecast(stepsAhead steps: Int) -> Forecast?
    /// Refits parameters from the history kept (called when recent accuracy drops).
    mutating func retrain()
    /// Why this model can never forecast data sampled this way, or nil when it can.
    var neverForecastsBecause: String? { get }
}

extension Forecaster {
    public mutating func retrain() {}
    public var neverForecastsBecause: String? { nil }
}

/// The model names `--model` accepts.
public enum ForecastModel: String, Sendable, CaseIterable {
    case auto, linear, holtWinters = "holt-winters", seasonal, ewma, seasonalNaive = "seasonal-naive", mean, dailyMean = "daily-mean"

    /// A fresh forecaster of this kind for a series sampled every `step` seconds.
    public func make(step: Double, horizons: [Int] = [1]) -> any Forecaster {
        switch self {
        case .auto: return AutoForecaster(step: step, horizons: horizons)
        case .linear: return LinearTrendForecaster(step: step)
        case .holtWinters: return HoltWintersForecaster(step: step)
        case .seasonal: return SeasonalDecompositionForecaster(step: step)
        case .ewma: return EWMAForecaster(step: step)
        case .seasonalNaive: return SeasonalNaiveForecaster(step: step)
        case .mean: return MeanForecaster(step: step)
        case .dailyMean: return DailyMeanForecaster(step: step)
        }
    }
}

/// A fixed-capacity ring of the most recent values.
public struct RecentValues: Sendable {
    private var storage: [Double]
    private var start = 0
    public private(set) var count = 0
    /// How many values it keeps.
    public let capacity: Int

    /// A ring keeping the last `capacity` values (at least 1).
    public init(capacity: Int) {
        self.capacity = max(1, capacity)
        storage = []
        storage.reserveCapacity(min(self.capacity, 1 << 16))
    }

    /// Adds `v`, dropping the oldest value when full. O(1).
    public mutating func append(_ v: Double) {
        if storage.count < capacity { storage.append(v); count += 1; return }
        storage[start] = v
        start = (start + 1) % capacity
    }

    /// `back` = 0 is the newest value.
    public func value(back: Int) -> Double? {
        guard back >= 0, back < count else { return nil }
        let i = (start + count - 1 - back) % capacity
        return storage[i]
    }

    /// Oldest first.
    public var values: [Double] {
        (0..<count).map { storage[(start + $0) % storage.count] }
    }
}

/// 1.96: the normal quantile for a 95 % interval.
let z95 = 1.959_963_984_540_054

/// Half the width of a 95 % interval for normal errors with mean absolute error `mae` (MAE ≈ 0.8 σ).
func halfWidth95(meanAbsoluteError mae: Double) -> Double { z95 * 1.25 * mae }
