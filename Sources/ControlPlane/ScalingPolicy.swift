import Telemetry

/// How a service's replica count is managed.
public enum ScalingPolicy: Sendable, Equatable, CustomStringConvertible {
    /// The replica count never changes (the baseline against which policies are compared).
    case fixed

    public var name: String {
        switch self {
        case .fixed: return "fixed"
        }
    }
    public var description: String { name }

    /// Policies a scenario can be switched to by name (`--set policy=…`, `compare --policy …`).
    public static func named(_ name: String) -> ScalingPolicy? {
        switch name {
        case "fixed": return .fixed
        default: return nil
        }
    }
    public static let knownNames = ["fixed"]
}

/// The limits a controller must respect for one service.
public struct ScalingBounds: Sendable, Equatable {
    public var minReplicas: Int
    public var maxReplicas: Int
    public init(minReplicas: Int, maxReplicas: Int) { self.minReplicas = minReplicas; self.maxReplicas = maxReplicas }
}

/// What the control plane answers to one scrape.
public struct ControlDecision: Sendable {
    public var actions: [ControlAction] = []
    /// Forecasts that met their actual at this scrape (to record).
    public var predictions: [PredictionRecord] = []
    /// Decisions, anomalies and incidents, for the timeline.
    public var events: [TimelineEvent] = []
    public init() {}
}

/// The control plane for one run: given each scrape, answers with actions.
/// It sees only `Telemetry` values, never the simulation.
public struct ControlPlane: Sendable {
    public struct ServiceControl: Sendable {
        public var service: String
        public var policy: ScalingPolicy
        public var bounds: ScalingBounds
        public init(service: String, policy: ScalingPolicy, bounds: ScalingBounds) {
            self.service = service; self.policy = policy; self.bounds = bounds
        }
    }
    public var services: [ServiceControl]
    public var predictorSettings: PredictorSettings
    var predictors: [String: ServicePredictor] = [:]

    public init(services: [ServiceControl], predictor: PredictorSettings = PredictorSettings()) {
        self.services = services
        self.predictorSettings = predictor
    }

    public mutating func observe(_ scrape: Scrape) -> ControlDecision {
        var decision = ControlDecision()
        if predictorSettings.enabled {
            for sample in scrape.services {
                if predictors[sample.service] == nil {
                    predictors[sample.service] = ServicePredictor(service: sample.service, step: sample.interval,
                                                                  horizons: predictorSettings.horizons)
                }
                decision.predictions += predictors[sample.service]!.observe(sample.arrivalRate, at: sample.time)
            }
        }
        for control in services {
            switch control.policy {
            case .fixed: continue
            }
        }
        return decision
    }

    /// Ends the run: forecasts still pending and the accuracy figures per service, model and horizon.
    public mutating func finish() -> (pending: [PredictionRecord], accuracy: [AccuracyRecord]) {
        var pending: [PredictionRecord] = [], accuracy: [AccuracyRecord] = []
        for name in predictors.keys.sorted() {
            let r = predictors[name]!.finish()
            pending += r.pending; accuracy += r.accuracy
        }
        return (pending, accuracy)
    }
}
