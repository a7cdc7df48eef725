import ClusterModel
import ControlPlane
import SimulationKernel

/// A bad `--set key=value`.
public struct ParameterError: Error, CustomStringConvertible, Equatable {
    public var key: String
    public var message: String
    public var description: String { "--set \(key): \(message)" }
}

/// One named knob of a scenario, readable and settable from the command line and sweeps.
public struct Parameter: Sendable {
    public let key: String
    public let help: String
    let get: @Sendable (ScenarioSpec) -> String
    let set: @Sendable (inout ScenarioSpec, String) throws -> Void
    public func value(in spec: ScenarioSpec) -> String { get(spec) }
}

extension ScenarioSpec {
    /// Applies `key=value` overrides in order, e.g. `surge.multiplier=8`, `checkout.maxReplicas=40`.
    public mutating func apply(overrides: [(key: String, value: String)]) throws {
        for (key, value) in overrides { try set(key, value) }
    }

    public mutating func set(_ key: String, _ value: String) throws {
        let params = parameters
        let matching = params.filter { $0.key == key }
        guard !matching.isEmpty else {
            throw ParameterError(key: key, message: "unknown parameter" + suggestion(key, params.map(\.key))
                                 + " (`stormglass list --parameters \(name)` lists them)")
        }
        for p in matching { try p.set(&self, value) }
    }

    /// Every parameter this scenario has, in a stable order.
    public var parameters: [Parameter] {
        var out: [Parameter] = []
        func add(_ key: String, _ help: String, get: @escaping @Sendable (ScenarioSpec) -> String,
                 set: @escaping @Sendable (inout ScenarioSpec, String) throws -> Void) {
            out.append(Parameter(key: key, help: help, get: get, set: set))
        }

        add("duration", "length of the run", get: { "\($0.duration)" }, set: { $0.duration = try parseDuration($1, "duration") })
        add("seed", "random seed", get: { "\($0.seed)" }, set: { $0.seed = UInt64(try parseInt($1, "seed", min: 0)) })
        add("scrape", "metrics scrape interval", get: { "\($0.scrapeInterval)" }, set: { $0.scrapeInterval = try parseDuration($1, "scrape") })
        add("stabilityWindow", "how long the SLO must hold to count as recovered", get: { "\($0.stabilityWindow)" },
            set: { $0.stabilityWindow = try parseDuration($1, "stabilityWindow") })
        add("policy", "scaling policy of every service (\(ScalingPolicies.knownNames.joined(separator: ", ")))",
            get: { Set($0.services.map(\.policy.name)).sorted().joined(separator: ",") },
            set: { spec, v throws in
                let p = try parsePolicy(v, "policy")
                for i in spec.services.indices { spec.services[i].policy = p }
            })

        for (pi, pool) in pools.enumerated() {
            let k = pool.name
            add("\(k).count", "nodes in pool \(k)", get: { "\($0.pools[pi].count)" }, set: { $0.pools[pi].count = try parseInt($1, "\(k).count", min: 0) })
            add("\(k).cpuMillicores", "CPU per node", get: { "\($0.pools[pi].cpuMillicores)" },
                set: { $0.pools[pi].cpuMillicores = try parseInt($1, "\(k).cpuMillicores", min: 1) })
            add("\(k).memoryMiB", "memory per node", get: { "\($0.pools[pi].memoryMiB)" },
                set: { $0.pools[pi].memoryMiB = try parseInt($1, "\(k).memoryMiB", min: 1) })
            add("\(k).pricePerHour", "price per node-hour", get: { "\($0.pools[pi].pricePerHour)" },
                set: { $0.pools[pi].pricePerHour = try parseDouble($1, "\(k).pricePerHour") })
            add("\(k).startup.mean", "mean node start-up latency", get: { "\(SimDuration.seconds($0.pools[pi].startup.mean))" },
                set: { $0.pools[pi].startup = $0.pools[pi].startup.withMean(try parseDuration($1, "\(k).startup.mean").seconds) })
        }

        for (si, s) in services.enumerated() {
            let k = s.name
            add("\(k).replicas", "initial replicas", get: { "\($0.services[si].model.replicas)" },
                set: { $0.services[si].model.replicas = try parseInt($1, "\(k).replicas", min: 0) })
            add("\(k).minReplicas", "autoscaler lower bound", get: { "\($0.services[si].minReplicas)" },
                set: { spec, v throws in
                    let n = try parseInt(v, "\(k).minReplicas", min: 0)
                    spec.services[si].minReplicas = n
                    // Raising the floor above the initial count starts there (what a what-if on the floor means).
                    if spec.services[si].model.replicas < n { spec.services[si].model.replicas = n }
                })
            add("\(k).maxReplicas", "autoscaler upper bound", get: { "\($0.services[si].maxReplicas)" },
                set: { $0.services[si].maxReplicas = try parseInt($1, "\(k).maxReplicas", min: 0) })
            add("\(k).concurrency", "worker slots per replica", get: { "\($0.services[si].model.concurrency)" },
                set: { $0.services[si].model.concurrency = try parseInt($1, "\(k).concurrency", min: 1) })
            add("\(k).cpuMillicores", "CPU request per replica", get: { "\($0.services[si].model.cpuMillicores)" },
                set: { $0.services[si].model.cpuMillicores = try parseInt($1, "\(k).cpuMillicores", min: 1) })
            add("\(k).memoryMiB", "memory request per replica", get: { "\($0.services[si].model.memoryMiB)" },
                set: { $0.services[si].model.memoryMiB = try parseInt($1, "\(k).memoryMiB", min: 1) })
            add("\(k).queueCapacity", "waiting room (none = unbounded)", get: { $0.services[si].model.queueCapacity.map(String.init) ?? "none" },
                set: { $0.services[si].model.queueCapacity = $1 == "none" ? nil : try parseInt($1, "\(k).queueCapacity", min: 0) })
            add("\(k).timeout", "client timeout (none = never)", get: { $0.services[si].model.timeout.map { "\($0)" } ?? "none" },
                set: { $0.services[si].model.timeout = $1 == "none" ? nil : try parseDuration($1, "\(k).timeout") })
            add("\(k).pricePerReplicaHour", "price per replica-hour", get: { "\($0.services[si].model.pricePerReplicaHour)" },
                set: { $0.services[si].model.pricePerReplicaHour = try parseDouble($1, "\(k).pricePerReplicaHour") })
            add("\(k).routing", "load balancing (\(Routing.allCases.map(\.rawValue).joined(separator: ", ")))",
                get: { $0.services[si].model.routing.rawValue },
                set: { spec, v throws in
                    guard let r = Routing(rawValue: v) else {
                        throw ParameterError(key: "\(k).routing", message: "unknown routing \"\(v)\"; one of \(Routing.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    spec.services[si].model.routing = r
                })
            add("\(k).policy", "scaling policy", get: { $0.services[si].policy.name },
                set: { $0.services[si].policy = try parsePolicy($1, "\(k).policy") })
            add("\(k).slo.p95", "p95 latency objective", get: { "\($0.services[si].slo.p95)" },
                set: { $0.services[si].slo.p95 = try parseDuration($1, "\(k).slo.p95") })
            add("\(k).slo.errorRate", "error-rate objective (fraction)", get: { "\($0.services[si].slo.errorRate)" },
                set: { $0.services[si].slo.errorRate = try parseDouble($1, "\(k).slo.errorRate") })
            add("\(k).serviceTime.mean", "mean own work per request (shape kept)",
                get: { "\(SimDuration.seconds($0.services[si].model.serviceTime.mean))" },
                set: { $0.services[si].model.serviceTime = $0.services[si].model.serviceTime.withMean(try parseDuration($1, "\(k).serviceTime.mean").seconds) })
            add("\(k).startup.mean", "mean replica start-up latency (shape kept)",
                get: { "\(SimDuration.seconds($0.services[si].model.startup.mean))" },
                set: { $0.services[si].model.startup = $0.services[si].model.startup.withMean(try parseDuration($1, "\(k).startup.mean").seconds) })
        }

        for (ti, t) in traffic.enumerated() {
            let k = t.service
            add("\(k).rate", "base request rate into \(k) (for a replayed trace: a multiplier)", get: {
                if case .constant(let r) = $0.traffic[ti].source { return "\(r)" }
                return "trace"
            }, set: { spec, v throws in
                let r = try parseDouble(v, "\(k).rate")
                switch spec.traffic[ti].source {
                case .constant: spec.traffic[ti].source = .constant(r)
                case .trace(let replay): spec.traffic[ti].source = .trace(replay.scaled(by: r))
                }
            })
            for (hi, shape) in t.shapes.enumerated() {
                for field in shape.shape.fieldNames {
                    let help = "\(shape.name) \(field) on traffic into \(k)"
                    let get: @Sendable (ScenarioSpec) -> String = { $0.traffic[ti].shapes[hi].shape.field(field) ?? "" }
                    let set: @Sendable (inout ScenarioSpec, String) throws -> Void = { spec, v throws in
                        try spec.traffic[ti].shapes[hi].shape.setField(field, v, key: "\(shape.name).\(field)")
                    }
                    add("\(shape.name).\(field)", help, get: get, set: set)
                    add("\(k).\(shape.name).\(field)", help, get: get, set: set)
                }
            }
        }
        return out
    }
}

// MARK: Value parsing

func parseInt(_ v: String, _ key: String, min: Int) throws -> Int {
    guard let n = Int(v) else { throw ParameterError(key: key, message: "\"\(v)\" is not a whole number") }
    guard n >= min else { throw ParameterError(key: key, message: "must be ≥ \(min) (got \(n))") }
    return n
}

func parseDouble(_ v: String, _ key: String) throws -> Double {
    guard let x = Double(v), x.isFinite else { throw ParameterError(key: key, message: "\"\(v)\" is not a number") }
    return x
}

func parseDuration(_ v: String, _ key: String) throws -> SimDuration {
    guard let d = SimDuration(parsing: v) else {
        throw ParameterError(key: key, message: "\"\(v)\" is not a duration (try 90s, 15m, 24h)")
    }
    return d
}

func parsePolicy(_ v: String, _ key: String) throws -> any ScalingPolicy {
    guard let p = ScalingPolicies.named(v) else {
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
        }
    }
}
