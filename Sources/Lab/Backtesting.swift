import ClusterModel
import ControlPlane
import Foundation
import SimulationKernel

/// Stopped by Ctrl-C or SIGTERM before the work was done.
public struct Interrupted: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "stopped before the work was done" }
    /// Heads a table of runs that an interruption cut short at different simulated times.
    public static let partialTable = "INTERRUPTED: the runs stopped early, each at its own simulated time, so the figures below are partial and not comparable"
}

/// Feeds a series through forecasters one point at a time and scores every forecast.
public struct RollingOriginEvaluation {
    public let series: MetricSeries
    public let step: Double
    public let horizons: [Double]
    public let models: [ForecastModel]
    public var warmup: Double = 0
    /// Gaps up to this long are filled by linear interpolation; a longer one is refused (filling it
    /// would cost time and memory in proportion to its length).
    public static let longestGap = 7 * 86_400.0

    public init(series: MetricSeries, step: Double, horizons: [Double], models: [ForecastModel], warmup: Double = 0) {
        self.series = series; self.step = step; self.horizons = horizons; self.models = models; self.warmup = warmup
    }

    public struct Result {
        public var figures: [AccuracyFigures]
        public var scored: [AccuracyTracker.Scored]
        public var seasonalScale: Bool
    }

    /// Scores every model; stops (throwing `Interrupted`) when an interrupt is requested.
    public func run() throws -> Result {
        for (a, b) in zip(series.points, series.points.dropFirst()) where b.time - a.time > Self.longestGap {
            let gap = b.time - a.time
            let length = gap < 1e9 ? "\(SimDuration.seconds(gap))" : String(format: "%.4g days", gap / 86_400)
            let after = a.time >= 1e8 && a.time < 1e11
                ? ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: a.time)) + String(format: " (t = %.0f s)", a.time)
                : String(format: "t = %.0f s", a.time)
            throw InvalidInput("\(series.origin): the series has a gap of \(length) after \(after), longer than the "
                               + "\(SimDuration.seconds(Self.longestGap)) that can be filled; split the series there")
        }
        let steps = horizons.map { Int(($0 / step).rounded()) }
        var forecasters = models.map { $0.make(step: step, horizons: steps) }
        var tracker = AccuracyTracker(step: step)
        let scoreFrom = (series.points.first?.time ?? 0) + warmup
        var scored: [AccuracyTracker.Scored] = []
        var last: MetricSeries.Point?
        for (n, p) in series.points.enumerated() {
            if n % 1024 == 0, Interrupt.isRequested { throw Interrupted() }
            // Fill gaps by linear interpolation so models see a regular grid; only real points are scored.
            if let l = last {
                let missing = Int(((p.time - l.time) / step).rounded()) - 1
                if missing > 0 {
                    for k in 1...missing {
                        let t = l.time + Double(k) * step
                        let v = l.value + (p.value - l.value) * Double(k) / Double(missing + 1)
                        for i in forecasters.indices { forecasters[i].observe(v, at: t) }
                        if t >= scoreFrom { forecastAll(&forecasters, &tracker, at: t, steps) }
                    }
                }
            }
            scored += tracker.observe(p.value, at: p.time)
            for i in forecasters.indices { forecasters[i].observe(p.value, at: p.time) }
            if p.time >= scoreFrom { forecastAll(&forecasters, &tracker, at: p.time, steps) }
            last = p
        }
        let figures = tracker.report.sorted { ($0.model, $0.horizon) < ($1.model, $1.horizon) }
            .sorted { a, b in (models.firstIndex { $0.rawValue == a.model } ?? 0) < (models.firstIndex { $0.rawValue == b.model } ?? 0) }
        return Result(figures: figures, scored: scored, seasonalScale: tracker.masesAreSeasonal)
    }

    private func forecastAll(_ forecasters: inout [any Forecaster], _ tracker: inout AccuracyTracker, at t: Double, _ steps: [Int]) {
        for f in forecasters {
            for (h, s) in zip(horizons, steps) {
                if let fc = f.forecast(stepsAhead: s) { tracker.record(model: f.name, horizon: h, madeAt: t, forecast: fc) }
            }
        }
    }
}


/// Anomalous points merged into one episode, and the alert it raised.
///
/// An episode opens at an anomalous point and closes after `debounce.cooldown` points in a row that are
/// not anomalous, or `cooldown` points after its alert; it raises its one alert once
/// `debounce.persistence` of its points in a row were anomalous (an episode shorter than that raises
/// none). Its peak is the point with the largest score.
public struct AnomalyEpisode: Sendable {
    public var start: Double, end: Double
    public var peak: Anomaly
    /// Anomalous points in the episode.
    public var count: Int
    /// Rows (indices into the series) of its first and last anomalous point.
    public var rows: ClosedRange<Int>
    /// The row and time at which it alerted, nil when it never persisted long enough to.
    public var alarmRow: Int?, alarmTime: Double?

    /// How anomalous points become alerts.
    public struct Debounce: Sendable, Equatable {
        /// Anomalous points in a row before an alert.
        public var persistence: Int
        /// Points in a row without an anomaly that close an episode; an anomaly sooner continues it.
        public var cooldown: Int
        public init(persistence: Int = 1, cooldown: Int = 1) { self.persistence = persistence; self.cooldown = cooldown }
        /// Every anomalous point alerts unless the one before it was anomalous too.
        public static let none = Debounce()
    }

    /// Runs `detector` over the series; stops (throwing `Interrupted`) when an interrupt is requested.
    public static func find(in series: MetricSeries, with detector: inout AnomalyDetector, debounce: Debounce = .none) throws -> [AnomalyEpisode] {
        var episodes: [AnomalyEpisode] = []
        var run = 0, quiet = Int.max
        for (n, p) in series.points.enumerated() {
            if n % 1024 == 0, Interrupt.isRequested { throw Interrupted() }
            guard let a = detector.observe(p.value, at: p.time) else {
                run = 0
                if quiet < Int.max { quiet += 1 }
                continue
            }
            run += 1
            // A stretch that stays anomalous alerts again once a cooldown has passed since its alert.
            if var last = episodes.last, quiet < debounce.cooldown, last.alarmRow.map({ n - $0 < debounce.cooldown }) ?? true {
                last.end = p.time; last.count += 1; last.rows = last.rows.lowerBound...n
                if abs(a.score) > abs(last.peak.score) { last.peak = a }
                if last.alarmRow == nil, run >= debounce.persistence { last.alarmRow = n; last.alarmTime = p.time }
                episodes[episodes.count - 1] = last
            } else {
                let alarms = run >= debounce.persistence
                episodes.append(AnomalyEpisode(start: p.time, end: p.time, peak: a, count: 1, rows: n...n,
                                               alarmRow: alarms ? n : nil, alarmTime: alarms ? p.time : nil))
            }
            quiet = 0
        }
        return episodes
    }
}
