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
    /// Virtual seconds of the trace skipped at the start (`ReplaySettings.start` times the time scale).
    public let start: Double

    /// - Parameters:
    ///   - series: parsed rows.
    ///   - valuesAre: counts per row interval (request counts) or already per second.
    ///   - scale: multiplies every rate.
    ///   - peak: if set, rescales so that the highest rate equals it (applied instead of `scale`).
    ///   - timeScale: virtual seconds per trace second (0.1 plays a 10-day trace in one day).
    ///   - start: trace seconds to skip: virtual time 0 plays the trace's first instant plus `start`.
    public init(series: MetricSeries, valuesAre: ValueMeaning = .countPerRow, scale: Double = 1,
                peak: Double? = nil, timeScale: Double = 1, start: Double = 0) {
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
        self.start = start * timeScale
    }

    /// The trace as `init(series:settings:)` makes it, once the settings are checked against it: a start
    /// past its end would silently play it from a point of its loop.
    public init(checking series: MetricSeries, settings: ReplaySettings) throws(TraceError) {
        let span = (series.points.last?.time ?? 0) - (series.points.first?.time ?? 0)
        guard settings.start <= span else {
            throw TraceError(file: series.origin, line: 0, problem: "the start, \(Int(settings.start)) s in, is past the trace's end (it spans \(Int(span)) s)")
        }
        self.init(series: series, settings: settings)
    }

    public init(series: MetricSeries, settings: ReplaySettings) {
        self.init(series: series, valuesAre: settings.valuesAre, scale: settings.scale, peak: settings.peak,
                  timeScale: settings.timeScale, start: settings.start)
    }

    public enum ValueMeaning: String, Sendable { case countPerRow = "count-per-row", perSecond = "per-second" }

    /// Length of one pass through the trace; replay loops after it.
    public var period: Double {
        guard times.count > 1 else { return 1 }
        return times[times.count - 1] + (times[times.count - 1] - times[times.count - 2])
    }

    public func rate(at t: Double) -> Double {
        guard times.count > 1 else { return rates.first ?? 0 }
        let x = (t + start).truncatingRemainder(dividingBy: period)
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
        let t0 = t0 + start, t1 = t1 + start
        if t1 - t0 >= period { return rates.reduce(rates[0], pick) }
        var m = pick(rate(at: t0 - start), rate(at: t1 - start))
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

extension TraceReplay {
    /// The same trace with every rate multiplied by `k`.
    public func scaled(by k: Double) -> TraceReplay {
        TraceReplay(times: times, rates: rates.map { $0 * k }, origin: origin, start: start)
    }

    init(times: [Double], rates: [Double], origin: String, start: Double) {
        self.times = times; self.rates = rates; self.origin = origin; self.start = start
    }
}

/// How a trace becomes a request rate: the knobs `Traffic(to:replaying:…)` and `--replay` share.
public struct ReplaySettings: Sendable, Equatable {
    public var valuesAre: TraceReplay.ValueMeaning = .countPerRow
    /// Multiplies every rate (ignored when `peak` is set).
    public var scale: Double = 1
    /// Rescales so the highest rate equals this many requests per second.
    public var peak: Double?
    /// Virtual seconds per trace second (0.1 plays a 10-day trace in one day).
    public var timeScale: Double = 1
    /// Trace seconds to skip before virtual time 0.
    public var start: Double = 0

    public init(valuesAre: TraceReplay.ValueMeaning = .countPerRow, scale: Double = 1, peak: Double? = nil,
                timeScale: Double = 1, start: Double = 0) {
        self.valuesAre = valuesAre; self.scale = scale; self.peak = peak; self.timeScale = timeScale; self.start = start
    }

    /// Every setting out of range, in words (empty when all are usable).
    public var problems: [String] {
        var p: [String] = []
        if !(scale.isFinite && scale >= 0 && scale <= 1e6) { p.append("scale \(scale) must be in 0…1000000") }
        if let peak, !(peak.isFinite && peak > 0 && peak <= 1e7) { p.append("peak \(peak) must be in (0, 10000000] requests/s") }
        if !(timeScale.isFinite && timeScale >= 1e-4 && timeScale <= 1e4) { p.append("time scale \(timeScale) must be in 0.0001…10000") }
        if !(start.isFinite && start >= 0 && start <= MetricSeries.timeLimit) { p.append("start \(start) s must be at least 0") }
        return p
    }
}

extension RateSource {
    /// A trace file read as request counts or rates, or the reason it cannot be.
    public static func replaying(_ path: String, format: TraceFormat = .auto, settings: ReplaySettings) -> Result<RateSource, TraceError> {
        let problems = settings.problems
        guard problems.isEmpty else { return .failure(TraceError(file: path, line: 0, problem: problems.joined(separator: "; "))) }
        // A repeated timestamp (a daylight-saving hour exported twice) plays in file order.
        return Result { try MetricSeries.load(path, format: format, options: TraceReadOptions(nonNegative: true, repeatedTimestamps: true)) }
            .mapError { $0 as? TraceError ?? TraceError(file: path, line: 0, problem: "\($0)") }
            .flatMap { series in
                Result { () throws(TraceError) in try TraceReplay(checking: series, settings: settings) }.map { .trace($0) }
            }
    }
}
