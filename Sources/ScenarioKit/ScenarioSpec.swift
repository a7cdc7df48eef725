import Telemetry
import Chaos
import ClusterModel
import ControlPlane
import SimulationKernel

/// A service's objective: the Definitions article's SLO breach interval is one where p95 exceeds `p95` or the
/// error rate exceeds `errorRate`.
public struct SLO: Sendable, Equatable {
    public var p95: SimDuration
    public var errorRate: Double
    public init(p95: SimDuration = .milliseconds(500), errorRate: Double = 0.01) {
        self.p95 = p95; self.errorRate = errorRate
    }
    /// The objective as the control plane and the reports judge it.
    public var target: SLOTarget { SLOTarget(p95: p95.seconds, errorRate: errorRate) }
}

/// A service as a scenario declares it: the model, its objective and how it is scaled.
public struct ServiceDefinition: Sendable, Equatable {
    public var model: ServiceSpec
    public var slo = SLO()
    public var minReplicas: Int
    public var maxReplicas: Int
    public var policy: any ScalingPolicy = FixedReplicas()
    public var connectionPoolPolicy: ConnectionPoolPolicy?
    /// Inputs a setting could not resolve (e.g. an unreadable manifest), moved into the scenario's problems.
    public var buildProblems: [ValidationProblem] = []

    public init(name: String) {
        model = ServiceSpec(name: name)
        minReplicas = 1
        maxReplicas = 50
    }
    public var name: String { model.name }

    public static func == (a: ServiceDefinition, b: ServiceDefinition) -> Bool {
        a.model == b.model && a.slo == b.slo && a.minReplicas == b.minReplicas && a.maxReplicas == b.maxReplicas
            && a.policy.isSame(as: b.policy) && a.connectionPoolPolicy == b.connectionPoolPolicy
    }
}

/// A traffic stream with named shapes, so parameters can address them (`surge.multiplier`).
public struct TrafficDefinition: Sendable, Equatable {
    public struct NamedShape: Sendable, Equatable {
        public var name: String
        public var shape: LoadShape
        public init(name: String, shape: LoadShape) { self.name = name; self.shape = shape }
    }
    public var service: String
    public var source: RateSource
    public var shapes: [NamedShape] = []
    public var batchSize: Distribution = .constant(1)
    /// How the clients behind this traffic retry.
    public var retry: RetryPolicy = .none

    public init(service: String, source: RateSource, shapes: [NamedShape] = [], batchSize: Distribution = .constant(1), retry: RetryPolicy = .none) {
        self.service = service; self.source = source; self.shapes = shapes; self.batchSize = batchSize; self.retry = retry
    }
}

extension ScenarioSpec {
    /// Makes `source` the service's external traffic, keeping the shapes (and batch size) of its
    /// first stream, so a replayed trace still takes `surge.multiplier=2`. A service without
    /// external traffic gets a stream of its own.
    public mutating func replaceTraffic(of service: String, with source: RateSource) {
        guard let first = traffic.firstIndex(where: { $0.service == service }) else {
            traffic.append(TrafficDefinition(service: service, source: source))
            return
        }
        var kept = traffic[first]
        kept.source = source
        traffic = traffic.enumerated().compactMap { i, t in i == first ? kept : t.service == service ? nil : t }
    }
}

/// A scenario with every knob resolved: what the DSL builds, `--set` edits, validation checks and
/// the runner runs.
public struct ScenarioSpec: Sendable, Equatable {
    public var name: String
    public var summary: String
    public var duration: SimDuration = .hours(24)
    public var seed: UInt64 = 1
    public var scrapeInterval: SimDuration = .seconds(15)
    /// Requests as events (the default and the reference) or as flows (`Fidelity(.fluid)`).
    public var fidelity: Fidelity = .request
    /// How long the SLO must hold continuously to count as recovered (the Definitions article).
    public var stabilityWindow: SimDuration = .minutes(2)
    public var pools: [NodePoolSpec] = []
    public var services: [ServiceDefinition] = []
    public var traffic: [TrafficDefinition] = []
    public var faults: [FaultSpec] = []
    /// Faults taken out of the run by `faults.NAME.enabled=false`, kept so that `true` can put them back.
    public var disabledFaults: [FaultSpec] = []
    public var predictor = PredictorSettings()
    public var limits = GlobalLimits()
    public var clusterAutoscaler: ClusterAutoscalerConfig?
    public var selfHealer = SelfHealerConfig()
    public var steadyState: [Probe] = []
    public var gates: [Gate] = []
    /// Inputs that could not be resolved while building (e.g. an unreadable trace file), reported by validation.
    public var buildProblems: [ValidationProblem] = []

    public init(name: String, summary: String) { self.name = name; self.summary = summary }

    public func serviceIndex(_ name: String) -> Int? { services.firstIndex { $0.name == name } }

    /// The world model for the simulation.
    public var clusterSpec: ClusterSpec {
        ClusterSpec(pools: pools, services: services.map(\.model),
                    traffic: traffic.map { TrafficSpec(service: $0.service, source: $0.source,
                                                       shapes: $0.shapes.map(\.shape), batchSize: $0.batchSize, retry: $0.retry) },
                    scrapeInterval: scrapeInterval, fidelity: fidelity)
    }

    /// The control plane configuration.
    public var controlPlane: ControlPlane {
        ControlPlane(services: services.map { s in
            let policy = s.policy.configured(for: PolicyEnvironment(service: s.name, startupMean: s.model.startup.mean,
                                                                   scrapeInterval: scrapeInterval.seconds))
            return .init(service: s.name, policy: policy, bounds: ScalingBounds(minReplicas: s.minReplicas, maxReplicas: s.maxReplicas),
                         pricePerReplicaHour: s.model.pricePerReplicaHour,
                         slo: s.slo.target,
                         connectionPool: s.connectionPoolPolicy)
        }, predictor: predictor, limits: limits, clusterAutoscaler: clusterAutoscaler, selfHealer: selfHealer,
           incidents: IncidentSettings(stabilityWindow: stabilityWindow.seconds))
    }
}

extension ScenarioSpec {
    /// Mean time one request holds a worker slot of `service`: its own work plus, for each call,
    /// the callee's own holding time (ignoring queueing downstream).
    public func meanSlotTime(_ service: String) -> Double {
        guard let s = services.first(where: { $0.name == service }) else { return 0 }
        return s.model.serviceTime.mean + s.model.calls.reduce(0) { $0 + meanSlotTime($1) }
    }

    /// Requests per second one replica can serve when nothing queues: slots ÷ mean slot time.
    public func nominalCapacityPerReplica(_ service: String) -> Double {
        guard let s = services.first(where: { $0.name == service }) else { return 0 }
        let t = meanSlotTime(service)
        return t > 0 ? Double(s.model.concurrency) / t : 0
    }
}
