import ClusterModel
import SimulationKernel
import Telemetry

/// Applies the fault schedule to the world at the exact instants it names, and reverts each fault
/// when it ends. Service-level effects are recomputed from all active faults, so overlapping faults
/// compose (latencies add, slowdowns multiply, error fractions combine as independent failures).
struct FaultInjector {
    let faults: [FaultSpec]
    let seed: UInt64
    /// Nodes each active node fault took, to revert the same ones.
    var affectedNodes: [String: [Int]] = [:]
    var active: Set<String> = []

    init(faults: [FaultSpec], seed: UInt64) {
        self.faults = faults
        self.seed = seed
    }

    /// Fault start and end instants, ascending, for the run loop to stop at.
    var boundaries: [SimTime] {
        Set(faults.flatMap { f in [f.start] + (f.end.map { [$0] } ?? []) }).map { SimTime.zero + $0 }.sorted()
    }

    mutating func apply(at t: SimTime, to world: inout ClusterSimulation, log: TimelineBuffer) {
        for f in faults where f.end.map({ SimTime.zero + $0 == t }) ?? false && active.contains(f.name) {
            end(f, &world, log)
        }
        for f in faults where SimTime.zero + f.start == t { start(f, &world, log) }
    }

    private mutating func start(_ f: FaultSpec, _ world: inout ClusterSimulation, _ log: TimelineBuffer) {
        active.insert(f.name)
        var detail = f.summary
        if f.kind.targetsNodes {
            let nodes = selectNodes(f, world)
            affectedNodes[f.name] = nodes
            detail += ": " + nodes.map { world.nodeName($0) }.joined(separator: ", ")
            for n in nodes {
                switch f.kind {
                case .nodeCrash: world.crashNode(n)
                case .nodeDrain: world.drainNode(n)
                case .partition: world.setNodeReachable(n, false)
                default: break
                }
            }
        } else if case .replicaKill(let count) = f.kind, let s = serviceIndex(f, world) {
            var rng = RandomStream(seed: seed, name: "fault/\(f.name)")
            for _ in 0..<count { world.killReplica(service: s, ordinal: Int(rng.next() % 1_000_000)) }
        } else if let s = serviceIndex(f, world) {
            recomputeServiceEffects(s, &world)
        }
        log.events.append(TimelineEvent(time: world.now.seconds, kind: "fault-start", subject: f.name, detail: detail))
    }

    private mutating func end(_ f: FaultSpec, _ world: inout ClusterSimulation, _ log: TimelineBuffer) {
        active.remove(f.name)
        for n in affectedNodes[f.name] ?? [] {
            switch f.kind {
            case .nodeCrash: world.restoreNode(n)
            case .partition: world.setNodeReachable(n, true)
            default: break
            }
        }
        affectedNodes[f.name] = nil
        if !f.kind.targetsNodes, let s = serviceIndex(f, world) { recomputeServiceEffects(s, &world) }
        log.events.append(TimelineEvent(time: world.now.seconds, kind: "fault-end", subject: f.name, detail: f.summary))
    }

    private func serviceIndex(_ f: FaultSpec, _ world: borrowing ClusterSimulation) -> Int? {
        switch f.target {
        case .service(let s): return world.serviceIndex[s]
        case .call(_, let to): return world.serviceIndex[to]
        default: return nil
        }
    }

    private func recomputeServiceEffects(_ s: Int, _ world: inout ClusterSimulation) {
        var fixed = 0.0, jitter = 0.0, slowdown = 1.0, startup = 1.0, ok = 1.0
        for f in faults where active.contains(f.name) && serviceIndex(f, world) == s {
            switch f.kind {
            case .latency(let a, let j): fixed += a.seconds; jitter += j.seconds
            case .cpuStress(let k): slowdown *= k
            case .slowStart(let k): startup *= k
            case .errors(let p): ok *= 1 - p
            case .dependencyOutage: ok = 0
            default: break
            }
        }
        world.setExtraLatency(service: s, fixed + jitter > 0 ? .uniform(low: fixed, high: fixed + jitter) : nil)
        world.setSlowdown(service: s, factor: slowdown)
        world.setStartupMultiplier(service: s, startup)
        world.setErrorFraction(service: s, 1 - ok)
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

extension ScenarioSpec {
    /// Fault problems, for `validate()`.
    func faultProblems() -> [ValidationProblem] {
        var p: [ValidationProblem] = []
        let nodeNames = Set(pools.flatMap { pool in (0..<max(0, pool.count)).map { "\(pool.name)-\($0)" } })
        let zones = Set(pools.flatMap(\.zones)), poolNames = Set(pools.map(\.name)), serviceNames = Set(services.map(\.name))
        for f in faults {
            let path = "faults.\(f.name)"
            func check(_ ok: Bool, _ m: String) { if !ok { p.append(ValidationProblem(path: path, message: m)) } }
            check(f.start >= .zero && f.start < duration, "starts at \(f.start), outside the run (0…\(duration))")
            if let d = f.duration { check(d > .zero, "duration must be > 0") }
            switch f.target {
            case .node(let n): check(nodeNames.contains(n), "unknown node \"\(n)\"" + suggestion(n, nodeNames.sorted()))
            case .randomNodes(let c, let pool, let zone):
                check(c >= 1, "count must be ≥ 1")
                if let pool { check(poolNames.contains(pool), "unknown pool \"\(pool)\"") }
                if let zone { check(zones.contains(zone), "unknown zone \"\(zone)\"") }
            case .percentOfNodes(let pct, let pool, let zone):
                check(pct > 0 && pct <= 100, "percentage must be in (0, 100]")
                if let pool { check(poolNames.contains(pool), "unknown pool \"\(pool)\"") }
                if let zone { check(zones.contains(zone), "unknown zone \"\(zone)\"") }
            case .zone(let z): check(zones.contains(z), "unknown zone \"\(z)\"" + suggestion(z, zones.sorted()))
            case .pool(let pl): check(poolNames.contains(pl), "unknown pool \"\(pl)\"")
            case .service(let s): check(serviceNames.contains(s), "unknown service \"\(s)\"" + suggestion(s, serviceNames.sorted()))
            case .call(let a, let b):
                check(serviceNames.contains(a) && serviceNames.contains(b), "unknown service in call \(a) → \(b)")
            }
            let nodeTarget: Bool
            switch f.target {
            case .service, .call: nodeTarget = false
            default: nodeTarget = true
            }
            check(f.kind.targetsNodes == nodeTarget, "\(f.kind.name) needs a \(f.kind.targetsNodes ? "node" : "service") target, not \(f.target)")
            switch f.kind {
            case .errors(let x): check((0...1).contains(x), "error fraction must be in [0, 1]")
            case .cpuStress(let k), .slowStart(let k): check(k > 0, "factor must be > 0")
            case .replicaKill(let c): check(c >= 1, "count must be ≥ 1")
            case .latency(let a, let j): check(a >= .zero && j >= .zero, "latency must be ≥ 0")
            case .partition: check(f.duration != nil, "a partition needs a duration")
            default: break
            }
        }
        return p
    }
}
