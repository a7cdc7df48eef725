import Foundation
import Telemetry

/// What the control plane answers to one scrape.
public struct ControlDecision: Sendable {
    public var actions: [ControlAction] = []
    /// Every scaling decision taken or held back, with its explanation.
    public var decisions: [ScalingDecision] = []
    /// Forecasts that met their actual at this scrape (to record).
    public var predictions: [PredictionRecord] = []
    /// Oscillations, anomalies, incidents, node actions, for the timeline.
    public var events: [TimelineEvent] = []
    public init() {}
}

/// Limits over all services together.
public struct GlobalLimits: Sendable, Equatable {
    /// At most this many replicas over all services.
    public var maxTotalReplicas: Int?
    /// At most this much per hour for replicas (Σ replicas × price per replica-hour).
    public var budgetPerHour: Double?
    /// Record every decision but apply none.
    public var dryRun: Bool
    public init(maxTotalReplicas: Int? = nil, budgetPerHour: Double? = nil, dryRun: Bool = false) {
        self.maxTotalReplicas = maxTotalReplicas; self.budgetPerHour = budgetPerHour; self.dryRun = dryRun
    }
}

/// The control plane for one run: predictor, autoscalers and cluster autoscaler. Given each scrape
/// it answers with actions. It sees only `Telemetry` values, never the simulation.
public struct ControlPlane: Sendable {
    public struct ServiceControl: Sendable {
        public var service: String
        public var policy: any ScalingPolicy
        public var bounds: ScalingBounds
        public var pricePerReplicaHour: Double
        public var slo: IncidentManager.SLOTarget?
        public var connectionPool: ConnectionPoolPolicy?
        public init(service: String, policy: some ScalingPolicy, bounds: ScalingBounds, pricePerReplicaHour: Double = 0,
                    slo: IncidentManager.SLOTarget? = nil, connectionPool: ConnectionPoolPolicy? = nil) {
            self.service = service; self.policy = policy; self.bounds = bounds; self.pricePerReplicaHour = pricePerReplicaHour
            self.slo = slo; self.connectionPool = connectionPool
        }
    }
    public var predictorSettings: PredictorSettings
    public var limits: GlobalLimits
    var controls: [ServiceControl]
    var autoscalers: [String: ServiceAutoscaler] = [:]
    var poolScalers: [String: ConnectionPoolScaler] = [:]
    var predictors: [String: ServicePredictor] = [:]
    /// The last arrival rate each service's predictor was given.
    var lastRates: [String: Double] = [:]
    var clusterAutoscaler: ClusterAutoscaler?
    public private(set) var healer: SelfHealer
    var incidents: IncidentManager
    /// Node failures detected since the last scrape, for the incident manager.
    var pendingFailures: [TimelineEvent] = []

    public init(services: [ServiceControl], predictor: PredictorSettings = PredictorSettings(), limits: GlobalLimits = GlobalLimits(),
                clusterAutoscaler: ClusterAutoscalerConfig? = nil, selfHealer: SelfHealerConfig = SelfHealerConfig(),
                incidents: IncidentSettings = IncidentSettings(), followsObservedReplicas: Bool = false) {
        controls = services
        healer = SelfHealer(config: selfHealer)
        var slos: [String: IncidentManager.SLOTarget] = [:]
        for c in services { if let slo = c.slo { slos[c.service] = slo } }
        self.incidents = IncidentManager(settings: incidents, slos: slos)
        self.clusterAutoscaler = clusterAutoscaler.map { ClusterAutoscaler(config: $0) }
        var settings = predictor
        // A predictive policy needs its lead time among the predictor's horizons.
        for c in services {
            for lead in c.policy.forecastHorizons where !settings.horizons.contains(lead) {
                settings.horizons.append(lead)
                settings.enabled = true
            }
            autoscalers[c.service] = ServiceAutoscaler(service: c.service, policy: c.policy, bounds: c.bounds)
            autoscalers[c.service]!.followsObservedReplicas = followsObservedReplicas
            if let p = c.connectionPool { poolScalers[c.service] = ConnectionPoolScaler(service: c.service, policy: p) }
        }
        predictorSettings = settings
        self.limits = limits
    }

    public mutating func observe(_ scrape: Scrape) -> ControlDecision {
        var out = ControlDecision()
        if predictorSettings.enabled {
            for sample in scrape.services {
                if predictors[sample.service] == nil {
                    predictors[sample.service] = ServicePredictor(service: sample.service, step: sample.interval,
                                                                  horizons: predictorSettings.horizons, extraModels: predictorSettings.extraModels)
                }
                // While the metrics API cannot be read, the predictor holds the last rate it saw (its models
                // count steps, so a gap is filled rather than skipped).
                let rate = sample.metricsAvailable ? sample.arrivalRate : lastRates[sample.service] ?? 0
                lastRates[sample.service] = rate
                out.predictions += predictors[sample.service]!.observe(rate, at: sample.time)
            }
        }
        var proposed: [ScalingDecision] = []
        for sample in scrape.services {
            // In place: a copy taken out and written back would copy its history on the first change.
            proposed += autoscalers[sample.service]?.evaluate(sample, predictor: predictors[sample.service]) ?? []
        }
        capToGlobalLimits(&proposed, scrape)
        for var d in proposed {
            if limits.dryRun { d.dryRun = true }
            out.decisions.append(d)
            guard !d.dryRun, d.final != d.current else { continue }
            if let event = autoscalers[d.service]!.applied(d) { out.events.append(event) }
            out.actions.append(.setReplicas(service: d.service, count: d.final, reason: d.summary))
        }
        for sample in scrape.services {
            // Its state moves on even when it decides nothing.
            guard var d = poolScalers[sample.service]?.evaluate(sample) else { continue }
            if limits.dryRun { d.dryRun = true }
            out.decisions.append(d)
            if !d.dryRun, d.final != d.current {
                out.actions.append(.setConnectionPool(service: d.service, size: d.final, reason: d.summary))
            }
        }
        if var ca = clusterAutoscaler {
            let (actions, events) = ca.observe(scrape)
            for case .removeNode(let node, _) in actions { healer.expectTermination(of: node) }
            out.actions += actions; out.events += events
            clusterAutoscaler = ca
        }
        out.events += incidents.observe(scrape, nodeFailures: pendingFailures, responses: out.decisions, actions: out.actions)
        pendingFailures = []
        return out
    }

    /// Heartbeats from node agents (every heartbeat interval); the self-healer may answer with replacements.
    public mutating func receive(_ beats: [Heartbeat], at now: Double) -> ControlDecision {
        var out = ControlDecision()
        let (actions, events) = healer.receive(beats, at: now)
        out.actions = actions
        out.events = events
        pendingFailures += events.filter { $0.kind == .nodeFailureDetected }
        return out
    }

    /// Cuts scale-ups (largest first) that would exceed the total-replica cap or the hourly budget.
    mutating func capToGlobalLimits(_ decisions: inout [ScalingDecision], _ scrape: Scrape) {
        guard limits.maxTotalReplicas != nil || limits.budgetPerHour != nil else { return }
        var replicas: [String: Int] = [:]
        for s in scrape.services { replicas[s.service] = autoscalers[s.service]?.desired ?? s.desiredReplicas }
        for d in decisions where !d.dryRun { replicas[d.service] = d.final }
        let price = Dictionary(controls.map { ($0.service, $0.pricePerReplicaHour) }, uniquingKeysWith: { a, _ in a })
        func total() -> Int { replicas.values.reduce(0, +) }
        func cost() -> Double { replicas.reduce(0) { $0 + Double($1.value) * (price[$1.key] ?? 0) } }
        let order = decisions.indices.filter { decisions[$0].final > decisions[$0].current && !decisions[$0].dryRun }
            .sorted { decisions[$0].final - decisions[$0].current > decisions[$1].final - decisions[$1].current }
        for i in order {
            while decisions[i].final > decisions[i].current,
                  (limits.maxTotalReplicas.map { total() > $0 } ?? false) || (limits.budgetPerHour.map { cost() > $0 + 1e-9 } ?? false) {
                decisions[i].final -= 1
                replicas[decisions[i].service] = decisions[i].final
                decisions[i].limitedBy = limits.maxTotalReplicas.map { total() >= $0 } ?? false ? .globalReplicaCap : .costCap
            }
        }
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

    /// Oscillations detected per service.
    public var oscillations: [String: Int] { autoscalers.mapValues(\.oscillations) }
}

/// Cluster autoscaling for one node pool: add nodes while replicas are pending, remove nodes that
/// have been empty for a while.
public struct ClusterAutoscalerConfig: Sendable, Equatable {
    public var pool: String
    public var minNodes: Int
    public var maxNodes: Int
    /// `--scale-down-unneeded-time`.
    public var scaleDownUnneeded: Double
    public init(pool: String, minNodes: Int = 1, maxNodes: Int = 100, scaleDownUnneeded: Double = 600) {
        self.pool = pool; self.minNodes = minNodes; self.maxNodes = maxNodes; self.scaleDownUnneeded = scaleDownUnneeded
    }
}

struct ClusterAutoscaler: Sendable {
    let config: ClusterAutoscalerConfig
    var emptySince: [String: Double] = [:]

    init(config: ClusterAutoscalerConfig) { self.config = config }

    mutating func observe(_ scrape: Scrape) -> ([ControlAction], [TimelineEvent]) {
        let nodes = scrape.nodes.filter { $0.pool == config.pool }
        let up = nodes.filter { $0.state == .up }, provisioning = nodes.filter { $0.state == .provisioning }
        let pending = scrape.services.reduce(0) { $0 + $1.pendingReplicas }
        var actions: [ControlAction] = []
        if pending > 0, provisioning.isEmpty, up.count < config.maxNodes {
            let perNode = max(1, up.isEmpty ? 1 : up.reduce(0) { $0 + $1.replicas } / up.count)
            let count = min(config.maxNodes - up.count, max(1, (pending + perNode - 1) / perNode))
            for _ in 0..<count {
                actions.append(.provisionNode(pool: config.pool, reason: "\(pending) replicas pending: no node has room"))
            }
            return (actions, [])
        }
        for n in up {
            if n.replicas == 0 { emptySince[n.node] = emptySince[n.node] ?? scrape.time } else { emptySince[n.node] = nil }
        }
        var remaining = up.count
        for n in up where remaining > config.minNodes && pending == 0 {
            if let since = emptySince[n.node], scrape.time - since >= config.scaleDownUnneeded {
                actions.append(.removeNode(node: n.node, reason: "empty for \(Int(scrape.time - since))s"))
                emptySince[n.node] = nil
                remaining -= 1
            }
        }
        return (actions, [])
    }
}
