@_exported import Chaos
import ClusterModel
import SimulationKernel

// MARK: DSL

/// `Chaos { … }`: the fault schedule.
public struct Chaos: ScenarioComponent {
    let faults: [Fault]
    /// The faults in `body`, in order. Two faults with the same name are renamed (`crash`, `crash-2`) so that
    /// parameters (`crash.at`) and reports can tell them apart.
    public init(@FaultBuilder _ body: () -> [Fault]) { faults = body() }
    public func apply(to spec: inout ScenarioSpec) {
        for f in faults {
            var fault = f.spec
            if spec.faults.contains(where: { $0.name == fault.name }) {
                fault.name += "-\(spec.faults.count + 1)"  // keep names unique for parameters and reports
            }
            spec.faults.append(fault)
        }
    }
}

/// The result builder of a `Chaos { … }` block (`if`, `for` and optionals allowed). Compiler plumbing:
/// you never call it.
@resultBuilder
public enum FaultBuilder {
    public static func buildExpression(_ f: Fault) -> [Fault] { [f] }
    public static func buildBlock(_ parts: [Fault]...) -> [Fault] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [Fault]?) -> [Fault] { part ?? [] }
    public static func buildEither(first: [Fault]) -> [Fault] { first }
    public static func buildEither(second: [Fault]) -> [Fault] { second }
    public static func buildArray(_ parts: [[Fault]]) -> [Fault] { parts.flatMap { $0 } }
}

/// A fault in the DSL: `Fault.crash(.randomNodes(count: 1), at: .hours(2))`.
public struct Fault: Sendable {
    /// The fault as the injector runs it: name, effect, target, start and duration.
    public let spec: FaultSpec

    init(spec: FaultSpec) { self.spec = spec }

    /// Any fault, built-in or your own: `Fault(CacheStampede(factor: 3), on: .service("catalog"), at: .hours(2), for: .minutes(10))`.
    /// Without a name the fault is named after its kind.
    public init(_ kind: some FaultEffect, on target: FaultTarget, at start: SimDuration, for duration: SimDuration? = nil, name: String? = nil) {
        spec = FaultSpec(name: name ?? kind.name, kind: kind, target: target, start: start, duration: duration)
    }

    /// Nodes fail at `at`; their replicas die with their requests. With `duration` they come back after it;
    /// without, they stay down until the self-healer replaces them.
    public static func crash(_ target: FaultTarget, at: SimDuration, for duration: SimDuration? = nil, name: String = "crash") -> Fault {
        Fault(spec: .init(name: name, kind: .nodeCrash, target: target, start: at, duration: duration))
    }
    /// Nodes are drained gracefully at `at` (an expected termination) and leave: replicas are recreated
    /// elsewhere first, as far as a `DisruptionBudget` allows.
    public static func drain(_ target: FaultTarget, at: SimDuration, name: String = "drain") -> Fault {
        Fault(spec: .init(name: name, kind: .nodeDrain, target: target, start: at, duration: nil))
    }
    /// `count` replicas of `service` are killed at `at` (their requests fail); the deployment recreates them.
    public static func killReplicas(of service: String, count: Int = 1, at: SimDuration, name: String = "kill") -> Fault {
        Fault(spec: .init(name: name, kind: .replicaKill(count: count), target: .service(service), start: at, duration: nil))
    }
    /// Every node in the zone named `zone` crashes at `at` and comes back after `duration`. It takes a zone's
    /// name, not a ``FaultTarget``.
    public static func zoneOutage(_ zone: String, at: SimDuration, for duration: SimDuration, name: String = "zone-outage") -> Fault {
        Fault(spec: .init(name: name, kind: .nodeCrash, target: .zone(zone), start: at, duration: duration))
    }
    /// Nodes stay alive but unreachable from `at` for `duration`: no traffic reaches their replicas and their
    /// heartbeats stop (so the self-healer may replace them).
    public static func partition(_ target: FaultTarget, at: SimDuration, for duration: SimDuration, name: String = "partition") -> Fault {
        Fault(spec: .init(name: name, kind: .partition, target: target, start: at, duration: duration))
    }
    /// Every request of the target takes `fixed` plus a uniform `0…jitter` longer, from `at` for `duration`.
    public static func latency(_ target: FaultTarget, fixed: SimDuration, jitter: SimDuration = .zero, at: SimDuration,
                               for duration: SimDuration, name: String = "latency") -> Fault {
        Fault(spec: .init(name: name, kind: .latency(fixed: fixed, jitter: jitter), target: target, start: at, duration: duration))
    }
    /// This `fraction` (0…1) of `service`'s requests fail, from `at` for `duration`.
    public static func errors(_ service: String, fraction: Double, at: SimDuration, for duration: SimDuration, name: String = "errors") -> Fault {
        Fault(spec: .init(name: name, kind: .errors(fraction: fraction), target: .service(service), start: at, duration: duration))
    }
    /// `service`'s service times are `factor` times longer (CPU stress, a noisy neighbour), from `at` for
    /// `duration`.
    public static func cpuStress(_ service: String, factor: Double, at: SimDuration, for duration: SimDuration, name: String = "stress") -> Fault {
        Fault(spec: .init(name: name, kind: .cpuStress(factor: factor), target: .service(service), start: at, duration: duration))
    }
    /// Replica start-ups of `service` take `factor` times longer (a cold image cache) for replicas started
    /// from `at` for `duration`.
    public static func slowStart(_ service: String, factor: Double, at: SimDuration, for duration: SimDuration, name: String = "slow-start") -> Fault {
        Fault(spec: .init(name: name, kind: .slowStart(factor: factor), target: .service(service), start: at, duration: duration))
    }
    /// Every request of `service` takes longer and longer: the extra latency grows linearly from `at` to reach
    /// `to` after `over`, and holds until the fault ends (`for`; nil: the end of the run).
    public static func latencyCreep(_ service: String, to: SimDuration, at: SimDuration, over: SimDuration, for duration: SimDuration? = nil,
                                    name: String = "latency-creep") -> Fault {
        Fault(spec: .init(name: name, kind: .latencyCreep(to: to, over: over), target: .service(service), start: at, duration: duration))
    }
    /// Each replica of `service` leaks `mibPerHour` of memory from `at` (for `duration`; nil: to the end of the
    /// run); with a memory limit, a replica that reaches it is OOM-killed and restarts with none leaked.
    public static func memoryLeak(_ service: String, mibPerHour: Double, at: SimDuration, for duration: SimDuration? = nil,
                                  name: String = "memory-leak") -> Fault {
        Fault(spec: .init(name: name, kind: .memoryLeak(mibPerHour: mibPerHour), target: .service(service), start: at, duration: duration))
    }
    /// This `fraction` (0…1] of `service`'s external traffic stops arriving from `at` for `duration` (clients
    /// lost upstream); calls from other services still come.
    public static func trafficDrop(_ service: String, fraction: Double, at: SimDuration, for duration: SimDuration,
                                   name: String = "traffic-drop") -> Fault {
        Fault(spec: .init(name: name, kind: .trafficDrop(fraction: fraction), target: .service(service), start: at, duration: duration))
    }
    /// The metrics pipeline fails for `service`: `.metricsOutage` (unreadable), `.metricsZero` (reads as no
    /// load), `.metricsStale(age:)`, `.metricsMissing(fraction:)`. The world is untouched; the control
    /// plane sees the fault.
    public static func metrics(_ kind: some MetricsFault, of service: String, at: SimDuration, for duration: SimDuration? = nil,
                               name: String? = nil) -> Fault {
        Fault(spec: .init(name: name ?? kind.name, kind: kind, target: .service(service), start: at, duration: duration))
    }
    /// Spot nodes reclaimed after a `notice` (drained during it, then gone).
    public static func spotInterruption(_ target: FaultTarget, at: SimDuration, notice: SimDuration = .minutes(2), name: String = "spot") -> Fault {
        Fault(spec: .init(name: name, kind: SpotInterruption(notice: notice), target: target, start: at, duration: notice))
    }
    /// `service` is down entirely from `at` for `duration`: every request to it fails, so its callers see
    /// errors (and retry, if their clients do).
    public static func outage(of service: String, at: SimDuration, for duration: SimDuration, name: String = "outage") -> Fault {
        Fault(spec: .init(name: name, kind: .dependencyOutage, target: .service(service), start: at, duration: duration))
    }
}
