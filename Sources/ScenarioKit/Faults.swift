import ClusterModel
import SimulationKernel

/// Which part of the system a fault hits.
public enum FaultTarget: Sendable, Equatable, CustomStringConvertible {
    /// One node by name (`general-2`).
    case node(String)
    /// `count` nodes drawn at random (from the fault's own random stream), optionally within a pool or zone.
    case randomNodes(count: Int, pool: String? = nil, zone: String? = nil)
    /// A percentage of the matching nodes, at random.
    case percentOfNodes(Double, pool: String? = nil, zone: String? = nil)
    /// Every node in a zone.
    case zone(String)
    /// Every node in a pool.
    case pool(String)
    /// A service (for service-level faults).
    case service(String)
    /// Calls from one service to another (latency on that edge only is modelled as latency on the callee).
    case call(from: String, to: String)

    public var description: String {
        switch self {
        case .node(let n): return "node \(n)"
        case .randomNodes(let c, let p, let z): return "\(c) random node\(c == 1 ? "" : "s")" + (p.map { " in pool \($0)" } ?? "") + (z.map { " in \($0)" } ?? "")
        case .percentOfNodes(let pct, let p, let z): return "\(pct)% of nodes" + (p.map { " in pool \($0)" } ?? "") + (z.map { " in \($0)" } ?? "")
        case .zone(let z): return "zone \(z)"
        case .pool(let p): return "pool \(p)"
        case .service(let s): return "service \(s)"
        case .call(let a, let b): return "calls \(a) → \(b)"
        }
    }
}

/// What a fault does.
public enum FaultKind: Sendable, Equatable {
    /// Nodes fail unexpectedly; their replicas die with their requests.
    case nodeCrash
    /// Nodes are drained gracefully (an expected termination) and leave.
    case nodeDrain
    /// Replicas of a service are killed (`count` of them); the deployment recreates them.
    case replicaKill(count: Int)
    /// Nodes stay alive but unreachable: no traffic reaches their replicas and heartbeats stop.
    case partition
    /// Extra latency on every request of a service: fixed + jitter.
    case latency(fixed: SimDuration, jitter: SimDuration)
    /// This fraction of a service's requests fail.
    case errors(fraction: Double)
    /// Service times slow down by a factor (CPU stress / noisy neighbour).
    case cpuStress(factor: Double)
    /// Replica start-up takes `factor` times longer (cold image cache).
    case slowStart(factor: Double)
    /// A service is down entirely: every request to it fails.
    case dependencyOutage

    public var name: String {
        switch self {
        case .nodeCrash: return "node-crash"
        case .nodeDrain: return "node-drain"
        case .replicaKill: return "replica-kill"
        case .partition: return "partition"
        case .latency: return "latency"
        case .errors: return "errors"
        case .cpuStress: return "cpu-stress"
        case .slowStart: return "slow-start"
        case .dependencyOutage: return "dependency-outage"
        }
    }

    var targetsNodes: Bool {
        switch self {
        case .nodeCrash, .nodeDrain, .partition: return true
        default: return false
        }
    }
}

/// One scheduled fault.
public struct FaultSpec: Sendable, Equatable {
    public var name: String
    public var kind: FaultKind
    public var target: FaultTarget
    public var start: SimDuration
    /// nil = permanent (a crashed node never comes back by itself).
    public var duration: SimDuration?
    public init(name: String, kind: FaultKind, target: FaultTarget, start: SimDuration, duration: SimDuration?) {
        self.name = name; self.kind = kind; self.target = target; self.start = start; self.duration = duration
    }
    public var end: SimDuration? { duration.map { start + $0 } }
    public var summary: String {
        "\(kind.name) on \(target) at \(start)" + (duration.map { " for \($0)" } ?? " (permanent)")
    }
}

// MARK: DSL

/// `Chaos { … }`: the fault schedule.
public struct Chaos: ScenarioComponent {
    let faults: [Fault]
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
    public let spec: FaultSpec

    public static func crash(_ target: FaultTarget, at: SimDuration, for duration: SimDuration? = nil, name: String = "crash") -> Fault {
        Fault(spec: .init(name: name, kind: .nodeCrash, target: target, start: at, duration: duration))
    }
    public static func drain(_ target: FaultTarget, at: SimDuration, name: String = "drain") -> Fault {
        Fault(spec: .init(name: name, kind: .nodeDrain, target: target, start: at, duration: nil))
    }
    public static func killReplicas(of service: String, count: Int = 1, at: SimDuration, name: String = "kill") -> Fault {
        Fault(spec: .init(name: name, kind: .replicaKill(count: count), target: .service(service), start: at, duration: nil))
    }
    public static func zoneOutage(_ zone: String, at: SimDuration, for duration: SimDuration, name: String = "zone-outage") -> Fault {
        Fault(spec: .init(name: name, kind: .nodeCrash, target: .zone(zone), start: at, duration: duration))
    }
    public static func partition(_ target: FaultTarget, at: SimDuration, for duration: SimDuration, name: String = "partition") -> Fault {
        Fault(spec: .init(name: name, kind: .partition, target: target, start: at, duration: duration))
    }
    public static func latency(_ target: FaultTarget, fixed: SimDuration, jitter: SimDuration = .zero, at: SimDuration,
                               for duration: SimDuration, name: String = "latency") -> Fault {
        Fault(spec: .init(name: name, kind: .latency(fixed: fixed, jitter: jitter), target: target, start: at, duration: duration))
    }
    public static func errors(_ service: String, fraction: Double, at: SimDuration, for duration: SimDuration, name: String = "errors") -> Fault {
        Fault(spec: .init(name: name, kind: .errors(fraction: fraction), target: .service(service), start: at, duration: duration))
    }
    public static func cpuStress(_ service: String, factor: Double, at: SimDuration, for duration: SimDuration, name: String = "stress") -> Fault {
        Fault(spec: .init(name: name, kind: .cpuStress(factor: factor), target: .service(service), start: at, duration: duration))
    }
    public static func slowStart(_ service: String, factor: Double, at: SimDuration, for duration: SimDuration, name: String = "slow-start") -> Fault {
        Fault(spec: .init(name: name, kind: .slowStart(factor: factor), target: .service(service), start: at, duration: duration))
    }
    public static func outage(of service: String, at: SimDuration, for duration: SimDuration, name: String = "outage") -> Fault {
        Fault(spec: .init(name: name, kind: .dependencyOutage, target: .service(service), start: at, duration: duration))
    }
}
