import Foundation
import Telemetry

/// What a run's predictor forecasts, and how far ahead.
public struct PredictorSettings: Sendable, Equatable {
    /// Horizons in seconds.
    public var horizons: [Double]
    public var enabled: Bool
    /// Forecasters of your own, run beside the built-in ones inside the auto ensemble (which blends
    /// whichever two are most accurate lately) and scored like them.
    public var extraModels: [ForecasterModel]
    public init(horizons: [Double] = [60, 300, 900], enabled: Bool = true, extraModels: [ForecasterModel] = []) {
        self.horizons = horizons; self.enabled = enabled; self.extraModels = extraModels
    }
}

/// A forecaster of your own, by name: `ForecasterModel("weekday-mean") { step in WeekdayMean(step: step) }`.
public struct ForecasterModel: Sendable, Equatable {
    public let name: String
    /// A fresh forecaster for a series sampled every `step` seconds.
    public let make: @Sendable (_ step: Double) -> any Forecaster
    public init(_ name: String, make: @escaping @Sendable (_ step: Double) -> any Forecaster) { self.name = name; self.make = make }
    public static func == (a: ForecasterModel, b: ForecasterModel) -> Bool { a.name == b.name }
}

/// Forecasts one service's arrival rate every scrape with the auto ensemble, keeps every model's
/// forecasts until their target scrape, and scores them there.
public struct ServicePredictor: Sendable {
    public let service: String
    public let metric = "arrival_rate"
    let step: Double
    let horizons: [Double]
    let steps: [Int]
    /// The models and their scores live in a box (copied on write): a policy is handed the
    /// predictor at every scrape, and copying a box is one reference count where copying the
    /// models is dozens.
    final class State: @unchecked Sendable {
        var forecaster: AutoForecaster
        var tracker: AccuracyTracker
        /// The tracker's numbers for the ensemble, and for each model, at each horizon.
        let autoFigures: [AccuracyTracker.FigureID]
        let modelFigures: [[AccuracyTracker.FigureID]]
        init(forecaster: AutoForecaster, tracker: AccuracyTracker, autoFigures: [AccuracyTracker.FigureID], modelFigures: [[AccuracyTracker.FigureID]]) {
            self.forecaster = forecaster; self.tracker = tracker; self.autoFigures = autoFigures; self.modelFigures = modelFigures
        }
    }
    private var state: State
    public var forecaster: AutoForecaster { state.forecaster }

    private mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&state) {
            state = State(forecaster: state.forecaster, tracker: state.tracker, autoFigures: state.autoFigures, modelFigures: state.modelFigures)
        }
    }

    public init(service: String, step: Double, horizons: [Double], extraModels: [ForecasterModel] = []) {
        self.service = service
        self.step = step
        self.horizons = horizons
        steps = horizons.map { max(1, Int(($0 / step).rounded())) }
        let forecaster = AutoForecaster(step: step, horizons: steps, extra: extraModels.map { $0.make(step) })
        var tracker = AccuracyTracker(step: step)
        let autoFigures = horizons.map { tracker.figure(model: "auto", horizon: $0) }
        let modelFigures = forecaster.modelNames.map { name in horizons.map { tracker.figure(model: name, horizon: $0) } }
        state = State(forecaster: forecaster, tracker: tracker, autoFigures: autoFigures, modelFigures: modelFigures)
    }

    /// Feeds one observation; returns the auto model's forecasts that just met their actual.
    public mutating func observe(_ value: Double, at time: Double) -> [PredictionRecord] {
        makeUnique()
        let state = self.state
        let scored = state.tracker.observe(value, at: time)
        state.forecaster.observe(value, at: time)
        for (i, s) in steps.enumerated() {
            if let f = state.forecaster.forecast(stepsAhead: s) { state.tracker.record(state.autoFigures[i], madeAt: time, forecast: f) }
            let hi = state.forecaster.horizons.firstIndex(of: s)!
            for m in state.modelFigures.indices {
                if let f = state.forecaster.modelForecast(m, hi, s) { state.tracker.record(state.modelFigures[m][i], madeAt: time, forecast: f) }
            }
        }
        return scored.filter { $0.model == "auto" }.map(record)
    }

    /// The ensemble's forecast `seconds` ahead (rounded to whole scrapes).
    public func forecast(ahead seconds: Double) -> Forecast? {
        state.forecaster.forecast(stepsAhead: max(1, Int((seconds / step).rounded())))
    }

    /// Forecasts still waiting for their target at the end of a run (recorded without an actual).
    public mutating func finish() -> (pending: [PredictionRecord], accuracy: [AccuracyRecord]) {
        makeUnique()
        let pending = state.tracker.drain().filter { $0.model == "auto" }.map(record)
        return (pending, state.tracker.report.map { AccuracyRecord(service: service, metric: metric, $0) })
    }

    func record(_ s: AccuracyTracker.Scored) -> PredictionRecord {
        PredictionRecord(service: service, metric: metric, model: s.model, madeAt: s.madeAt, horizon: s.horizon,
                         value: s.value, lower: s.lower, upper: s.upper, actual: s.actual)
    }
}
