import ClusterModel
import SimulationKernel
import Telemetry

/// Applies the fault schedule to the world at the exact instants it names, and reverts each fault
/// when it ends. Service-level effects are recomputed from all active faults, so overlapping faults
/// compose (latencies add, slowdowns multiply, error fractions combine as independent failures).
public struct FaultInjector {
    let faults: [FaultSpec]
    let seed: UInt64
    /// Nodes each active node fault took, to revert the same ones.
    var affectedNodes: [String: [Int]] = [:]
    var active: Set<String> = []

    public init(faults: [FaultSpec], seed: UInt64) {
        self.faults = faults
        self.seed = seed
    }

    /// Fault start and end instants, and the updates of gradual faults, ascending, for a run that ends at `end`
    /// to stop at.
    public func boundaries(until end: SimTime) -> [SimTime] {
        var instants = Set(faults.flatMap { f in [f.start] + (f.end.map { [$0] } ?? []) }.map { SimTime.zero + $0 })
        for f in faults {
            guard let every = (f.kind as? any ServiceFault)?.updateInterval, every > .zero else { continue }
            let stop = min(end, f.end.map { SimTime.zero + $0 } ?? end)
            var t = SimTime.zero + f.start + every
            while t < stop { instants.insert(t); t += every }
        }
        return instants.filter { $0 <= end }.sorted()
    }

    /// Starts and ends the faults due at `t`, and brings gradual faults up to date; `record` receives each
    /// fault-start and fault-end event right after the world changed (so it follows the lifecycle events the
    /// change caused).
    public mutating func apply(at t: SimTime, to world: inout ClusterSimulation, record: (TimelineEvent) -> Void) {
        for f in faults where f.end.map({ SimTime.zero + $0 == t }) ?? false && active.contains(f.name) {
            end(f, &world, record)
        }
        for f in faults where active.contains(f.name) {
            guard let fault = f.kind as? any ServiceFault, let every = fault.updateInterval, every > .zero,
                  (t - (SimTime.zero + f.start)).nanoseconds % every.nanoseconds == 0, let s = serviceIndex(f, world) else { continue }
            fault.advance(service: s, in: &world, by: every)
            recomputeServiceEffects(s, &world)
        }
        for f in faults where SimTime.zero + f.start == t { start(f, &world, record) }
    }

    private mutating func start(_ f: FaultSpec, _ world: inout ClusterSimulation, _ record: (TimelineEvent) -> Void) {
        active.insert(f.name)
        var detail = f.summary
        if let fault = f.kind as? any NodeFault {
            let nodes = selectNodes(f, world)
            affectedNodes[f.name] = nodes
            detail += ": " + nodes.map { world.nodeName($0) }.joined(separator: ", ")
            for n in nodes { fault.start(node: n, in: &world) }
        } else if let fault = f.kind as? any ServiceFault, let s = serviceIndex(f, world) {
            var random = RandomStream(seed: seed, name: "fault/\(f.name)")
            fault.start(service: s, in: &world, random: &random)
            recomputeServiceEffects(s, &world)
        }
        record(TimelineEvent(time: world.now.seconds, kind: .faultStart, subject: f.name, detail: detail))
    }

    private mutating func end(_ f: FaultSpec, _ world: inout ClusterSimulation, _ record: (TimelineEvent) -> Void) {
        active.remove(f.name)
        if let fault = f.kind as? any NodeFault {
            for n in affectedNodes[f.name] ?? [] { fault.end(node: n, in: &world) }
        } else if let s = serviceIndex(f, world) {
            recomputeServiceEffects(s, &world)
        }
        affectedNodes[f.name] = nil
        record(TimelineEvent(time: world.now.seconds, kind: .faultEnd, subject: f.name, detail: f.summary))
    }

    private func serviceIndex(_ f: FaultSpec, _ world: borrowing ClusterSimulation) -> Int? {
        switch f.target {
        case .service(let s): return world.serviceIndex[s]
        case .call(_, let to): return world.serviceIndex[to]
        default: return nil
        }
    }

    /// The metrics-pipeline faults active on the service named `service`, in schedule order.
    public func metricsFaults(on service: String) -> [any MetricsFault] {
        faults.compactMap { f in
            guard active.contains(f.name), case .service(let s) = f.target, s == service else { return nil }
            return f.kind as? any MetricsFault
        }
    }

    /// How far back any metrics fault of the schedule looks (seconds).
    public var metricsLookBack: Double { faults.compactMap { ($0.kind as? any MetricsFault)?.lookBack }.max() ?? 0 }

    /// The effects of every active fault on service `s`, composed in schedule order.
    private func recomputeServiceEffects(_ s: Int, _ world: inout ClusterSimulation) {
        var effects = ServiceEffects()
        for f in faults where active.contains(f.name) && serviceIndex(f, world) == s {
            (f.kind as? any ServiceFault)?.contribute(to: &effects, elapsed: world.now - (SimTime.zero + f.start))
        }
        effects.apply(to: s, in: &world)
    }

    /// Resolves a node target now, drawing random choices from the fault's own stream.
    private func selectNodes(_ f: FaultSpec, _ world: borrowing ClusterSimulation) -> [Int] {
        let all = (0..<world.nodeCount).filter { world.nodeIsUp($0) }
        func matching(_ pool: String?, _ zone: String?) -> [Int] {
            all.filter { n in
                (pool.map { world.spec.pools[world.nodePool(n)].name == $0 } ?? true) && (zone.map { world.nodeZone(n) == $0 } ?? true)
            }
        }
        var rng = RandomStream(seed: seed, name: "fault/\(f.name)")
        func pick(_ k: Int, from candidates: [Int]) -> [Int] {
            var c = candidates
            var out: [Int] = []
            while out.count < k, !c.isEmpty { out.append(c.remove(at: Int(rng.next() % UInt64(c.count)))) }
            return out.sorted()
        }
        switch f.target {
        case .node(let name): return world.nodeIndex(named: name).map { [$0] } ?? []
        case .randomNodes(let count, let pool, let zone): return pick(count, from: matching(pool, zone))
        case .percentOfNodes(let pct, let pool, let zone):
            let m = matching(pool, zone)
            return pick(Int((Double(m.count) * pct / 100).rounded(.up)), from: m)
        case .zone(let z): return matching(nil, z)
        case .pool(let p): return matching(p, nil)
        case .service, .call: return []
        }
    }
}

