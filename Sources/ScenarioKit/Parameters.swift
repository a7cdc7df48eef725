import Telemetry
import ClusterModel
import ControlPlane
import SimulationKernel

/// A bad `--set key=value`.
public struct ParameterError: Error, CustomStringConvertible, Equatable {
    public var key: String
    public var message: String
    public var description: String { "--set \(key): \(message)" }
}

/// One named knob of a scenario, readable and settable from the command line and sweeps. Each DSL
/// node declares its own knobs (`ServiceDefinition.parameters`, `NodePoolSpec.parameters`, …) as key
/// paths into the spec, with the range a value must be in.
public struct Parameter: Sendable {
    public let key: String
    public let help: String
    let get: @Sendable (ScenarioSpec) -> String
    let set: @Sendable (inout ScenarioSpec, String) throws -> Void
    public func value(in spec: ScenarioSpec) -> String { get(spec) }

    init(_ key: String, _ help: String, get: @escaping @Sendable (ScenarioSpec) -> String,
         set: @escaping @Sendable (inout ScenarioSpec, String) throws -> Void) {
        self.key = key; self.help = help; self.get = get; self.set = set
    }

    typealias Path<T> = WritableKeyPath<ScenarioSpec, T>

    /// A whole number in `range`.
    static func int(_ key: String, _ help: String, _ path: Path<Int>, _ range: ClosedRange<Int>) -> Parameter {
        Parameter(key, help, get: { "\($0[keyPath: path])" }, set: { $0[keyPath: path] = try parseInt($1, key, range) })
    }
    /// A whole number in `range`, or `none`.
    static func optionalInt(_ key: String, _ help: String, _ path: Path<Int?>, _ range: ClosedRange<Int>) -> Parameter {
        Parameter(key, help, get: { $0[keyPath: path].map(String.init) ?? "none" },
                  set: { $0[keyPath: path] = $1 == "none" ? nil : try parseInt($1, key, range) })
    }
    /// A finite number in `range`.
    static func double(_ key: String, _ help: String, _ path: Path<Double>, _ range: ClosedRange<Double>) -> Parameter {
        Parameter(key, help, get: { "\($0[keyPath: path])" }, set: { $0[keyPath: path] = try parseDouble($1, key, range) })
    }
    /// A duration in `range`.
    static func duration(_ key: String, _ help: String, _ path: Path<SimDuration>, _ range: ClosedRange<SimDuration>) -> Parameter {
        Parameter(key, help, get: { "\($0[keyPath: path])" }, set: { $0[keyPath: path] = try parseDuration($1, key, range) })
    }
    /// A duration in `range`, or `none`.
    static func optionalDuration(_ key: String, _ help: String, _ path: Path<SimDuration?>, _ range: ClosedRange<SimDuration>) -> Parameter {
        Parameter(key, help, get: { $0[keyPath: path].map { "\($0)" } ?? "none" },
                  set: { $0[keyPath: path] = $1 == "none" ? nil : try parseDuration($1, key, range) })
    }
    /// `<key>.attempts` (tries in all) and `<key>.budget` (retries ÷ first tries, or none) of a retry policy.
    static func retry(_ key: String, _ who: String, _ path: Path<RetryPolicy>) -> [Parameter] {
        [Parameter("\(key).attempts", "tries in all by \(who) (1 = no retries)", get: { "\($0[keyPath: path].maxAttempts)" },
                   set: { $0[keyPath: path].maxAttempts = try parseInt($1, "\(key).attempts", 1...100) }),
         Parameter("\(key).budget", "retries at most this fraction of first tries, by \(who) (none = unlimited)",
                   get: { $0[keyPath: path].budget.map { "\($0)" } ?? "none" },
                   set: { $0[keyPath: path].budget = $1 == "none" ? nil : try parseDouble($1, "\(key).budget", 0...100) })]
    }
    /// One of a closed set of named values (`routing`, `fidelity`), listed in the help.
    static func choice<T: RawRepresentable & CaseIterable>(_ key: String, _ help: String, _ path: Path<T>, noun: String? = nil) -> Parameter
    where T.RawValue == String {
        let names = T.allCases.map(\.rawValue).joined(separator: ", ")
        return Parameter(key, "\(help) (\(names))", get: { $0[keyPath: path].rawValue }, set: { spec, v throws in
            guard let value = T(rawValue: v) else {
                throw ParameterError(key: key, message: "unknown \(noun ?? key) \"\(v)\"; one of \(names)")
            }
            spec[keyPath: path] = value
        })
    }
    /// A distribution's mean (a duration), keeping its shape. Shown to the millisecond from a second up
    /// (a log-normal's mean is rarely a round number: 22.359s, not 22.35927423s); what is shown sets it.
    static func mean(_ key: String, _ help: String, _ path: Path<Distribution>, _ range: ClosedRange<SimDuration>) -> Parameter {
        Parameter(key, help, get: {
                      let mean = SimDuration.seconds($0[keyPath: path].mean)
                      return mean >= .seconds(1) ? "\(SimDuration(nanoseconds: (mean.nanoseconds + 500_000) / 1_000_000 * 1_000_000))" : "\(mean)"
                  },
                  set: { $0[keyPath: path] = $0[keyPath: path].withMean(try parseDuration($1, key, range).seconds) })
    }
}

/// The ranges a knob's value must be in: wide enough for any real system, narrow enough that no value
/// can exhaust memory or overflow the clock.
enum Limits {
    static let replicas = 0...100_000
    static let nodes = 0...100_000
    static let concurrency = 1...100_000
    static let millicores = 1...10_000_000
    static let mebibytes = 1...100_000_000
    static let queue = 0...100_000_000
    /// Requests per second into one service: above this a run cannot reach its first scrape.
    static let rate = 0.0...100_000_000
    static let price = 0.0...1_000_000
    static let fraction = 0.0...1
    static let hpaTarget = 0.001...1_000_000.0
    static let runLength = SimDuration.seconds(1)...SimDuration.days(366)
    static let latency = SimDuration.zero...SimDuration.days(1)
    static let positiveLatency = SimDuration(nanoseconds: 1)...SimDuration.days(1)
}

extension ScenarioSpec {
    /// Applies `key=value` overrides in order, e.g. `surge.multiplier=8`, `checkout.maxReplicas=40`.
    public mutating func apply(overrides: [(key: String, value: String)]) throws {
        for (key, value) in overrides { try set(key, value) }
    }

    /// Sets one knob. Only the parameters of the node the key names are built (a service, a pool, a
    /// traffic stream or one of its shapes, or the run itself).
    public mutating func set(_ key: String, _ value: String) throws {
        let owner = key.split(separator: ".", maxSplits: 1).first.map(String.init) ?? key
        var matching = parameters(of: owner).filter { $0.key == key }
        if matching.isEmpty { matching = parameters.filter { $0.key == key } }   // a shape named like a service, …
        guard !matching.isEmpty else {
            throw ParameterError(key: key, message: "unknown parameter" + suggestion(key, parameters.map(\.key))
                                 + " (`\(CommandName.current) list --parameters \(name)` lists them)")
        }
        for p in matching { try p.set(&self, value) }
    }

    /// Every parameter this scenario has, in a stable order.
    public var parameters: [Parameter] {
        runParameters
            + pools.indices.flatMap { NodePoolSpec.parameters(pools[$0].name, at: \ScenarioSpec.pools[$0]) }
            + services.indices.flatMap { ServiceDefinition.parameters(services[$0].name, at: \ScenarioSpec.services[$0], calls: services[$0].model.calls,
                                                                     hpa: services[$0].hpaMetricKinds) }
            + traffic.indices.flatMap { TrafficDefinition.parameters(of: traffic[$0], at: $0) }
            + faultParameters
    }

    /// `faults.<name>.start`, `.duration`, `.target` and `.enabled` of every fault: its timing, where it hits and
    /// whether it happens at all, for sweeps and searches. A fault switched off keeps only `.enabled`.
    var faultParameters: [Parameter] {
        faults.indices.flatMap { i in
            let name = faults[i].name
            return [Parameter.duration("faults.\(name).start", "when fault \(name) starts", \ScenarioSpec.faults[i].start,
                                       SimDuration.zero...Limits.runLength.upperBound),
                    Parameter.optionalDuration("faults.\(name).duration", "how long fault \(name) lasts (none = until the run ends)",
                                               \ScenarioSpec.faults[i].duration, SimDuration.seconds(1)...Limits.runLength.upperBound),
                    Parameter("faults.\(name).target", "what fault \(name) hits (\(FaultTarget.parameterForms))",
                              get: { $0.faults[i].target.parameterText },
                              set: { spec, v throws in
                                  guard let target = FaultTarget(parameterText: v) else {
                                      throw ParameterError(key: "faults.\(name).target", message: "\"\(v)\" is not a target; one of \(FaultTarget.parameterForms)")
                                  }
                                  spec.faults[i].target = target
                              }),
                    Parameter("faults.\(name).enabled", "whether fault \(name) happens (true, false)", get: { _ in "true" },
                              set: { spec, v throws in try spec.switchFault(name, v) })]
                + sizeParameters(of: i)
        } + disabledFaults.map { f in
            Parameter("faults.\(f.name).enabled", "whether fault \(f.name) happens (true, false)", get: { _ in "false" },
                      set: { spec, v throws in try spec.switchFault(f.name, v) })
        }
    }

    /// How big fault `i` is, for the built-in kinds that have a size: `faults.NAME.fixed` and `.jitter` of a latency,
    /// `.fraction` of errors or a traffic drop, `.factor` of a CPU stress.
    func sizeParameters(of i: Int) -> [Parameter] {
        let name = faults[i].name, fault = \ScenarioSpec.faults[i]
        func field<F: FaultEffect>(_ type: F.Type, _ field: String, _ help: String, get: @escaping @Sendable (F) -> String,
                                   set: @escaping @Sendable (inout F, String, String) throws -> Void) -> Parameter {
            let key = "faults.\(name).\(field)"
            return Parameter(key, help, get: { ($0[keyPath: fault].kind as? F).map(get) ?? "" }, set: { spec, v throws in
                guard var kind = spec[keyPath: fault].kind as? F else { return }
                try set(&kind, v, key)
                spec[keyPath: fault].kind = kind
            })
        }
        switch faults[i].kind {
        case is LatencyInjection:
            return [field(LatencyInjection.self, "fixed", "latency fault \(name): extra latency on every request", get: { "\($0.fixed)" },
                          set: { $0.fixed = try parseDuration($1, $2, Limits.latency) }),
                    field(LatencyInjection.self, "jitter", "latency fault \(name): extra uniform jitter", get: { "\($0.jitter)" },
                          set: { $0.jitter = try parseDuration($1, $2, Limits.latency) })]
        case is ErrorInjection:
            return [field(ErrorInjection.self, "fraction", "error fault \(name): the share of requests that fail", get: { "\($0.fraction)" },
                          set: { $0.fraction = try parseDouble($1, $2, Limits.fraction) })]
        case is TrafficDrop:
            return [field(TrafficDrop.self, "fraction", "traffic drop \(name): the share of arrivals that vanish", get: { "\($0.fraction)" },
                          set: { $0.fraction = try parseDouble($1, $2, Limits.fraction) })]
        case is CPUStress:
            return [field(CPUStress.self, "factor", "CPU stress \(name): how many times longer work takes", get: { "\($0.factor)" },
                          set: { $0.factor = try parseDouble($1, $2, 0.01...1_000) })]
        default:
            return []
        }
    }

    /// Moves a fault between `faults` and `disabledFaults` (`faults.NAME.enabled=false` takes it out of the run).
    mutating func switchFault(_ name: String, _ value: String) throws {
        guard let on = Bool(value) else { throw ParameterError(key: "faults.\(name).enabled", message: "\"\(value)\" is not true or false") }
        if on, let i = disabledFaults.firstIndex(where: { $0.name == name }) {
            faults.append(disabledFaults.remove(at: i))
        } else if !on, let i = faults.firstIndex(where: { $0.name == name }) {
            disabledFaults.append(faults.remove(at: i))
        }
    }

    /// The parameters whose key starts with `owner` (a node's name), or the run's own.
    func parameters(of owner: String) -> [Parameter] {
        var out = runParameters.filter { $0.key == owner }
        if owner == "faults" { out += faultParameters }
        if let i = pools.firstIndex(where: { $0.name == owner }) { out += NodePoolSpec.parameters(owner, at: \ScenarioSpec.pools[i]) }
        if let i = services.firstIndex(where: { $0.name == owner }) {
            out += ServiceDefinition.parameters(owner, at: \ScenarioSpec.services[i], calls: services[i].model.calls, hpa: services[i].hpaMetricKinds)
        }
        for (i, t) in traffic.enumerated() where t.service == owner || t.shapes.contains(where: { $0.name == owner }) {
            out += TrafficDefinition.parameters(of: t, at: i)
        }
        return out
    }

    var runParameters: [Parameter] {
        [.duration("duration", "length of the run", \.duration, Limits.runLength),
         Parameter("seed", "random seed", get: { "\($0.seed)" }, set: { spec, v in
             guard let n = UInt64(v) else { throw ParameterError(key: "seed", message: "\"\(v)\" is not a whole number in 0…\(UInt64.max)") }
             spec.seed = n
         }),
         .choice("fidelity", "requests as events or as flows", \.fidelity),
         .duration("scrape", "metrics scrape interval", \.scrapeInterval, SimDuration.seconds(1)...SimDuration.hours(1)),
         .duration("stabilityWindow", "how long the SLO must hold to count as recovered", \.stabilityWindow, SimDuration.seconds(1)...SimDuration.days(1)),
         Parameter("policy", "scaling policy of every service (\(ScalingPolicies.knownNames.joined(separator: ", ")))",
                   get: { Set($0.services.map(\.policy.name)).sorted().joined(separator: ",") },
                   set: { spec, v throws in
                       // The value shown sets what is there: each service keeps its own tuned policy.
                       if v == Set(spec.services.map(\.policy.name)).sorted().joined(separator: ",") { return }
                       let p = try parsePolicy(v, "policy", scenario: spec.services.map(\.policy))
                       for i in spec.services.indices where spec.services[i].policy.name != v { spec.services[i].policy = p }
                   })]
    }
}

extension NodePoolSpec {
    /// `general.count`, `general.cpuMillicores`, …
    static func parameters(_ k: String, at pool: WritableKeyPath<ScenarioSpec, NodePoolSpec>) -> [Parameter] {
        [.int("\(k).count", "nodes in pool \(k)", pool.appending(path: \.count), Limits.nodes),
         .int("\(k).cpuMillicores", "CPU per node", pool.appending(path: \.cpuMillicores), Limits.millicores),
         .int("\(k).memoryMiB", "memory per node", pool.appending(path: \.memoryMiB), Limits.mebibytes),
         .double("\(k).pricePerHour", "price per node-hour", pool.appending(path: \.pricePerHour), Limits.price),
         .mean("\(k).startup.mean", "mean node start-up latency", pool.appending(path: \.startup), Limits.latency)]
    }
}

extension ServiceDefinition {
    /// The metrics an HPA scales this service on (none for other policies).
    var hpaMetricKinds: [HPA.MetricTarget.Kind] { (policy as? HPAPolicy)?.config.metrics.map(\.kind) ?? [] }

    /// `checkout.replicas`, `checkout.slo.p95`, …
    static func parameters(_ k: String, at service: WritableKeyPath<ScenarioSpec, ServiceDefinition>, calls: [String] = [],
                           hpa: [HPA.MetricTarget.Kind] = []) -> [Parameter] {
        let model = service.appending(path: \.model)
        let edges = calls.flatMap { target -> [Parameter] in
            let policy = model.appending(path: \.[callPolicy: target])
            return Parameter.retry("\(k).calls.\(target).retry", "calls from \(k) to \(target)", policy.appending(path: \.retry))
        }
        // `checkout.hpa.cpu`: the target of each metric the service's HPA scales on.
        let hpaTargets = hpa.map { kind in
            let key = "\(k).hpa.\(kind.rawValue)"
            return Parameter(key, "HPA target for \(kind.rawValue)" + ([.cpu, .memory].contains(kind) ? " utilization (percent)" : ""),
                             get: { spec in
                                 (spec[keyPath: service].policy as? HPAPolicy)?.config.metrics.first { $0.kind == kind }.map { "\($0.target)" } ?? "none"
                             },
                             set: { spec, v throws in
                                 guard var policy = spec[keyPath: service].policy as? HPAPolicy,
                                       let i = policy.config.metrics.firstIndex(where: { $0.kind == kind }) else {
                                     throw ParameterError(key: key, message: "\(k) is not scaled by an HPA on \(kind.rawValue)")
                                 }
                                 policy.config.metrics[i].target = try parseDouble(v, key, Limits.hpaTarget)
                                 spec[keyPath: service].policy = policy
                             })
        }
        // `checkout.hpa.scaleDown.window`: the behaviour's stabilization windows.
        let directions: [(String, WritableKeyPath<HPA.Behavior, HPA.ScalingRules>)] = hpa.isEmpty ? [] : [("scaleUp", \.scaleUp), ("scaleDown", \.scaleDown)]
        let windows: [Parameter] = directions.map { direction, rules -> Parameter in
            let key = "\(k).hpa.\(direction).window"
            return Parameter(key, "HPA \(direction) stabilization window",
                             get: { spec in
                                 guard let policy = spec[keyPath: service].policy as? HPAPolicy else { return "none" }
                                 return "\(SimDuration.seconds(policy.config.behavior[keyPath: rules].stabilizationWindowSeconds))"
                             },
                             set: { spec, v throws in
                                 guard var policy = spec[keyPath: service].policy as? HPAPolicy else {
                                     throw ParameterError(key: key, message: "\(k) is not scaled by an HPA")
                                 }
                                 // Kubernetes allows 0…3600 seconds.
                                 let window = try parseDuration(v, key, SimDuration.zero...SimDuration.hours(1))
                                 policy.config.behavior[keyPath: rules].stabilizationWindowSeconds = window.seconds
                                 spec[keyPath: service].policy = policy
                             })
        }
        return edges + hpaTargets + windows + [
            .optionalInt("\(k).connectionPool", "database connections shared by the replicas: requests in service at once (none = no pool)",
                         model.appending(path: \.connectionPool), Limits.concurrency),
            .optionalInt("\(k).memoryLimitMiB", "container memory limit: OOM-killed above it (none = no limit)", model.appending(path: \.memoryLimitMiB), Limits.mebibytes),
            Parameter("\(k).liveness.timeout", "liveness probe timeout (none = no liveness probe)",
                      get: { $0[keyPath: model].liveness.map { "\($0.timeout)" } ?? "none" },
                      set: { spec, v throws in
                          guard v != "none" else { spec[keyPath: model].liveness = nil; return }
                          var probe = spec[keyPath: model].liveness ?? LivenessProbe()
                          probe.timeout = try parseDuration(v, "\(k).liveness.timeout", SimDuration.milliseconds(1)...probe.period)
                          spec[keyPath: model].liveness = probe
                      }),
            Parameter("\(k).liveness.failureThreshold", "liveness failures in a row before a restart (needs a probe)",
                      get: { $0[keyPath: model].liveness.map { "\($0.failureThreshold)" } ?? "none" },
                      set: { spec, v throws in
                          guard v != "none" else { spec[keyPath: model].liveness = nil; return }
                          var probe = spec[keyPath: model].liveness ?? LivenessProbe()
                          probe.failureThreshold = try parseInt(v, "\(k).liveness.failureThreshold", 1...100)
                          spec[keyPath: model].liveness = probe
                      }),
            Parameter("\(k).maxQueueWait", "shed arrivals when the queue's oldest request waited longer (none = never)",
                      get: { $0[keyPath: model].admission?.maxQueueWait.map { "\($0)" } ?? "none" },
                      set: { spec, v throws in
                          let bound = v == "none" ? nil : try parseDuration(v, "\(k).maxQueueWait", Limits.positiveLatency)
                          var control = spec[keyPath: model].admission ?? AdmissionControl()
                          control.maxQueueWait = bound
                          spec[keyPath: model].admission = control.maxQueueWait == nil && control.rateLimit == nil ? nil : control
                      }),
            .int("\(k).replicas", "initial replicas", model.appending(path: \.replicas), Limits.replicas),
            Parameter("\(k).minReplicas", "autoscaler lower bound", get: { "\($0[keyPath: service].minReplicas)" }, set: { spec, v throws in
                let n = try parseInt(v, "\(k).minReplicas", Limits.replicas)
                spec[keyPath: service].minReplicas = n
                // Raising the floor above the initial count starts there (what a what-if on the floor means).
                if spec[keyPath: service].model.replicas < n { spec[keyPath: service].model.replicas = n }
            }),
            .int("\(k).maxReplicas", "autoscaler upper bound", service.appending(path: \.maxReplicas), Limits.replicas),
            .int("\(k).concurrency", "worker slots per replica", model.appending(path: \.concurrency), Limits.concurrency),
            .int("\(k).cpuMillicores", "CPU request per replica", model.appending(path: \.cpuMillicores), Limits.millicores),
            .int("\(k).memoryMiB", "memory request per replica", model.appending(path: \.memoryMiB), Limits.mebibytes),
            .optionalInt("\(k).queueCapacity", "waiting room (none = unbounded)", model.appending(path: \.queueCapacity), Limits.queue),
            .optionalDuration("\(k).timeout", "client timeout (none = never)", model.appending(path: \.timeout), Limits.positiveLatency),
            .double("\(k).pricePerReplicaHour", "price per replica-hour", model.appending(path: \.pricePerReplicaHour), Limits.price),
            .choice("\(k).routing", "load balancing", model.appending(path: \.routing), noun: "routing"),
            Parameter("\(k).policy", "scaling policy", get: { $0[keyPath: service].policy.name },
                      set: { spec, v throws in
                          // The name it has keeps the policy it has (a scenario's tuned queue policy is not the default one).
                          guard spec[keyPath: service].policy.name != v else { return }
                          spec[keyPath: service].policy = try parsePolicy(v, "\(k).policy", scenario: spec.services.map(\.policy))
                      }),
            .duration("\(k).slo.p95", "p95 latency objective", service.appending(path: \.slo.p95), Limits.positiveLatency),
            .double("\(k).slo.errorRate", "error-rate objective (fraction)", service.appending(path: \.slo.errorRate), Limits.fraction),
            .mean("\(k).serviceTime.mean", "mean own work per request (shape kept)", model.appending(path: \.serviceTime), Limits.positiveLatency),
            .mean("\(k).startup.mean", "mean replica start-up latency (shape kept)", model.appending(path: \.startup), Limits.latency),
        ]
    }
}

extension TrafficDefinition {
    /// `checkout.rate`, and each shape's fields as `surge.multiplier` and `checkout.surge.multiplier`.
    static func parameters(of t: TrafficDefinition, at ti: Int) -> [Parameter] {
        let k = t.service
        var out = [Parameter("\(k).rate", "base request rate into \(k) (for a replayed trace: a multiplier)", get: {
            if case .constant(let r) = $0.traffic[ti].source { return "\(r)" }
            return "trace"
        }, set: { spec, v throws in
            let r = try parseDouble(v, "\(k).rate", Limits.rate)
            switch spec.traffic[ti].source {
            case .constant: spec.traffic[ti].source = .constant(r)
            case .trace(let replay): spec.traffic[ti].source = .trace(replay.scaled(by: r))
            }
        })]
        out += Parameter.retry("\(k).retry", "the clients of \(k)", \ScenarioSpec.traffic[ti].retry)
        for (hi, shape) in t.shapes.enumerated() {
            for field in shape.shape.fieldNames {
                let help = "\(shape.name) \(field) on traffic into \(k)"
                let get: @Sendable (ScenarioSpec) -> String = { $0.traffic[ti].shapes[hi].shape.field(field) ?? "" }
                // Errors name the key as the user wrote it (with or without the service in front).
                for key in ["\(shape.name).\(field)", "\(k).\(shape.name).\(field)"] {
                    out.append(Parameter(key, help, get: get, set: { spec, v throws in
                        try spec.traffic[ti].shapes[hi].shape.setField(field, v, key: key)
                    }))
                }
            }
        }
        return out
    }
}

// MARK: Value parsing

func parseInt(_ v: String, _ key: String, _ range: ClosedRange<Int>) throws -> Int {
    guard let n = Int(v) else { throw ParameterError(key: key, message: "\"\(v)\" is not a whole number (allowed: \(range.lowerBound)…\(range.upperBound))") }
    guard range.contains(n) else { throw ParameterError(key: key, message: "\(n) is out of range (allowed: \(range.lowerBound)…\(range.upperBound))") }
    return n
}

func parseDouble(_ v: String, _ key: String, _ range: ClosedRange<Double> = -1e12...1e12) throws -> Double {
    guard let x = Double(v), x.isFinite else { throw ParameterError(key: key, message: "\"\(v)\" is not a number (allowed: \(range.lowerBound)…\(range.upperBound))") }
    guard range.contains(x) else { throw ParameterError(key: key, message: "\(v) is out of range (allowed: \(range.lowerBound)…\(range.upperBound))") }
    return x
}

func parseDuration(_ v: String, _ key: String, _ range: ClosedRange<SimDuration> = SimDuration.zero...SimDuration.days(366)) throws -> SimDuration {
    guard let d = SimDuration(parsing: v) else {
        throw ParameterError(key: key, message: "\"\(v)\" is not a duration (try 90s, 15m, 24h)")
    }
    guard range.contains(d) else { throw ParameterError(key: key, message: "\(d) is out of range (allowed: \(range.lowerBound)…\(range.upperBound))") }
    return d
}

/// A registered policy by name, or else one of the scenario's own (a manifest's `keda`) with its settings.
func parsePolicy(_ v: String, _ key: String, scenario: [any ScalingPolicy] = []) throws -> any ScalingPolicy {
    guard let p = ScalingPolicies.named(v) ?? scenario.first(where: { $0.name == v }) else {
        throw ParameterError(key: key, message: "unknown policy \"\(v)\"; one of \(ScalingPolicies.knownNames.joined(separator: ", "))")
    }
    return p
}

extension LoadShape {
    var fieldNames: [String] {
        switch self {
        case .cycle: return ["amplitude", "peakAt"]
        case .ramp: return ["from", "to", "start", "end"]
        case .surge: return ["multiplier", "start", "rampUp", "hold", "decay"]
        case .flashCrowd: return ["multiplier", "start", "halfLife"]
        case .noise: return ["sigma"]
        case .custom: return []
        }
    }

    func field(_ f: String) -> String? {
        switch (self, f) {
        case (.cycle(_, let a, _), "amplitude"): return "\(a)"
        case (.cycle(_, _, let p), "peakAt"): return "\(p)"
        case (.ramp(_, _, let from, _), "from"): return "\(from)"
        case (.ramp(_, _, _, let to), "to"): return "\(to)"
        case (.ramp(let s, _, _, _), "start"): return "\(s)"
        case (.ramp(_, let e, _, _), "end"): return "\(e)"
        case (.surge(_, _, _, _, let m), "multiplier"): return "\(m)"
        case (.surge(let s, _, _, _, _), "start"): return "\(s)"
        case (.surge(_, let u, _, _, _), "rampUp"): return "\(u)"
        case (.surge(_, _, let h, _, _), "hold"): return "\(h)"
        case (.surge(_, _, _, let d, _), "decay"): return "\(d)"
        case (.flashCrowd(_, let m, _), "multiplier"): return "\(m)"
        case (.flashCrowd(let s, _, _), "start"): return "\(s)"
        case (.flashCrowd(_, _, let h), "halfLife"): return "\(h)"
        case (.noise(let s, _), "sigma"): return "\(s)"
        default: return nil
        }
    }

    mutating func setField(_ f: String, _ v: String, key: String) throws {
        switch self {
        case .cycle(let period, var a, var p):
            if f == "amplitude" { a = try parseDouble(v, key) } else { p = try parseDuration(v, key) }
            self = .cycle(period: period, amplitude: a, peakAt: p)
        case .ramp(var s, var e, var from, var to):
            switch f {
            case "from": from = try parseDouble(v, key)
            case "to": to = try parseDouble(v, key)
            case "start": s = try parseDuration(v, key)
            default: e = try parseDuration(v, key)
            }
            self = .ramp(start: s, end: e, from: from, to: to)
        case .surge(var s, var u, var h, var d, var m):
            switch f {
            case "multiplier": m = try parseDouble(v, key)
            case "start": s = try parseDuration(v, key)
            case "rampUp": u = try parseDuration(v, key)
            case "hold": h = try parseDuration(v, key)
            default: d = try parseDuration(v, key)
            }
            self = .surge(start: s, rampUp: u, hold: h, decay: d, multiplier: m)
        case .flashCrowd(var s, var m, var h):
            switch f {
            case "multiplier": m = try parseDouble(v, key)
            case "start": s = try parseDuration(v, key)
            default: h = try parseDuration(v, key)
            }
            self = .flashCrowd(start: s, multiplier: m, halfLife: h)
        case .noise(_, let every):
            self = .noise(sigma: try parseDouble(v, key), every: every)
        case .custom:
            break
        }
    }
}
