import SimulationKernel
import Telemetry

/// Nodes: provisioning, crashes, drains and reachability.
extension ClusterSimulation {
    @discardableResult
    mutating func addNode(pool p: Int, ordinal: Int, phase: NodePhase) -> Int {
        let pool = spec.pools[p]
        let zone = pool.zones.isEmpty ? "zone-a" : pool.zones[ordinal % pool.zones.count]
        nodes.append(NodeRecord(name: "\(pool.name)-\(ordinal)", pool: p, zone: zone, cpuCapacity: pool.cpuMillicores,
                               memoryCapacity: pool.memoryMiB, phase: phase))
        return nodes.count - 1
    }

    /// Orders a new node in `pool`; it joins after the pool's node start-up latency. Returns its index.
    @discardableResult
    public mutating func provisionNode(pool: Int) -> Int {
        let ordinal = nodes.filter { $0.pool == pool }.count
        let n = addNode(pool: pool, ordinal: ordinal, phase: .provisioning)
        let delay = spec.pools[pool].startup.sample(&nodeStartupRng)
        events.schedule(.nodeReady(node: Int32(n), incarnation: 0), after: .seconds(delay))
        log(.nodeProvisioning, nodes[n].name, "ready in \(SimDuration.seconds(delay))")
        return n
    }

    mutating func nodeReady(_ n: Int32, _ inc: UInt32) {
        let ni = Int(n)
        guard nodes[ni].incarnation == inc, nodes[ni].phase == .provisioning else { return }
        nodes[ni].phase = .up
        log(.nodeReady, nodes[ni].name, "")
        placeUnplaced()
    }

    /// An unexpected node failure: every replica on it dies with its requests; the deployments
    /// recreate them elsewhere (pending until a node has room).
    public mutating func crashNode(_ n: Int) {
        guard nodes[n].phase == .up || nodes[n].phase == .provisioning else { return }
        nodes[n].phase = .down
        nodes[n].incarnation &+= 1
        log(.nodeDown, nodes[n].name, "crashed")
        removeReplicas(onNode: n, reason: "node \(nodes[n].name) crashed")
    }

    /// A graceful drain: replicas are moved off (recreated elsewhere, old ones drain), then the node leaves.
    public mutating func drainNode(_ n: Int) {
        guard nodes[n].phase == .up else { return }
        nodes[n].phase = .removed
        nodes[n].announceLeaving = true
        log(.nodeDrained, nodes[n].name, "expected termination")
        for si in services.indices {
            var touched = false
            for ri in services[si].replicas.indices where services[si].replicas[ri].node == Int32(n) {
                switch services[si].replicas[ri].phase {
                case .ready:
                    // An eviction: refused while the disruption budget is spent, retried as replicas get ready.
                    if evictionAllowed(si) {
                        drainReplica(Int32(si), Int32(ri)); touched = true
                    } else {
                        blockedEvictions.append((Int32(si), Int32(ri), services[si].replicas[ri].incarnation))
                        log(.evictionBlocked, replicaName(si, ri), "PodDisruptionBudget maxUnavailable \(services[si].spec.maxUnavailable ?? 0)")
                    }
                case .starting:
                    terminateReplica(Int32(si), Int32(ri), reason: "node drained"); touched = true
                default: break
                }
            }
            if touched { reconcile(Int32(si)) }
        }
    }

    /// A spot interruption notice: the node is cordoned and drained at once (replacements start
    /// elsewhere while its replicas finish their work); `reclaimSpotNode` ends it when the notice runs out.
    public mutating func noticeSpotInterruption(_ n: Int, notice: SimDuration) {
        guard nodes[n].phase == .up else { return }
        log(.spotNotice, nodes[n].name, "reclaimed in \(notice)")
        drainNode(n)
    }

    /// The cloud takes a spot node back: whatever still runs on it is lost.
    public mutating func reclaimSpotNode(_ n: Int) {
        guard nodes[n].phase == .removed else { return }
        nodes[n].incarnation &+= 1
        log(.nodeRemoved, nodes[n].name, "spot instance reclaimed")
        removeReplicas(onNode: n, reason: "spot instance \(nodes[n].name) reclaimed")
    }

    /// Whether the disruption budget of service `si` allows one more eviction now (upstream:
    /// currentHealthy − desiredHealthy > 0, with desiredHealthy = replicas − maxUnavailable).
    func evictionAllowed(_ si: Int) -> Bool {
        guard let maxUnavailable = services[si].spec.maxUnavailable else { return true }
        return services[si].readyCount - (services[si].desired - maxUnavailable) > 0
    }

    /// Retries refused evictions of service `s` (after one of its replicas got ready).
    mutating func retryEvictions(_ s: Int32) {
        guard !blockedEvictions.isEmpty else { return }
        var still: [(service: Int32, replica: Int32, incarnation: UInt32)] = []
        var evicted = false
        for b in blockedEvictions {
            let si = Int(b.service), ri = Int(b.replica)
            guard services[si].replicas[ri].incarnation == b.incarnation, services[si].replicas[ri].phase == .ready else { continue }
            if b.service == s, evictionAllowed(si) { drainReplica(b.service, b.replica); evicted = true } else { still.append(b) }
        }
        blockedEvictions = still
        if evicted { reconcile(s) }
    }

    /// Removes a node for good (e.g. a cluster autoscaler scale-in); replicas on it are killed.
    public mutating func removeNode(_ n: Int) {
        guard nodes[n].phase != .removed else { return }
        nodes[n].phase = .removed
        nodes[n].incarnation &+= 1
        log(.nodeRemoved, nodes[n].name, "")
        removeReplicas(onNode: n, reason: "node \(nodes[n].name) removed")
    }

    /// Brings a crashed node back (e.g. the end of a zone outage).
    public mutating func restoreNode(_ n: Int) {
        guard nodes[n].phase == .down else { return }
        nodes[n].phase = .up
        log(.nodeUp, nodes[n].name, "restored")
        placeUnplaced()
    }

    /// A partition: the node is alive but unreachable, so its replicas get no traffic (and, for
    /// the self-healer, its heartbeats stop). Restoring reachability re-adds them.
    public mutating func setNodeReachable(_ n: Int, _ reachable: Bool) {
        guard nodes[n].reachable != reachable else { return }
        nodes[n].reachable = reachable
        log(reachable ? .nodeReachable : .nodeUnreachable, nodes[n].name, "")
        for si in services.indices {
            for ri in services[si].replicas.indices
            where services[si].replicas[ri].node == Int32(n) && services[si].replicas[ri].phase == .ready {
                if reachable { makeRoutable(Int32(si), Int32(ri)) } else { makeUnroutable(Int32(si), Int32(ri)) }
            }
        }
    }

    mutating func removeReplicas(onNode n: Int, reason: String) {
        for si in services.indices {
            var touched = false
            for ri in services[si].replicas.indices where services[si].replicas[ri].node == Int32(n) {
                terminateReplica(Int32(si), Int32(ri), reason: reason)
                touched = true
            }
            if touched { reconcile(Int32(si)) }
        }
    }

    /// Heartbeats sent now: every up, reachable node beats; a node drained since the last call says
    /// it is leaving (once). Crashed, partitioned and removed nodes are silent.
    public mutating func heartbeats() -> [Heartbeat] {
        let t = events.now.seconds
        var out: [Heartbeat] = []
        for i in nodes.indices {
            if nodes[i].phase == .up && nodes[i].reachable {
                out.append(Heartbeat(node: nodes[i].name, pool: spec.pools[nodes[i].pool].name, time: t))
            } else if nodes[i].announceLeaving {
                out.append(Heartbeat(node: nodes[i].name, pool: spec.pools[nodes[i].pool].name, time: t, leaving: true))
                nodes[i].announceLeaving = false
            }
        }
        return out
    }

    // MARK: Read-only views

    public var nodeCount: Int { nodes.count }
    public func nodeName(_ n: Int) -> String { nodes[n].name }
    public func nodeZone(_ n: Int) -> String { nodes[n].zone }
    public func nodePool(_ n: Int) -> Int { nodes[n].pool }
    public func nodeIsUp(_ n: Int) -> Bool { nodes[n].phase == .up }
    public func nodeIsReachable(_ n: Int) -> Bool { nodes[n].reachable }
    public func nodeIndex(named name: String) -> Int? { nodes.firstIndex { $0.name == name } }
}
