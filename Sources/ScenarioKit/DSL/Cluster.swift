import ClusterModel
import SimulationKernel

/// A pool of identical nodes, spread over zones.
public struct NodePool: ScenarioComponent {
    let pool: NodePoolSpec
    /// - Parameters:
    ///   - name: the pool's name (node names are `name-0`, `name-1` …).
    ///   - count: nodes at the start.
    ///   - cpuMillicores, memoryMiB: each node's allocatable capacity, against which replicas' requests are placed.
    ///   - zones: the zones the nodes are spread over, round-robin (zone faults name these).
    ///   - pricePerHour: each node's price, for cost.
    ///   - startup: a new node's provisioning latency in seconds.
    public init(_ name: String, count: Int, cpuMillicores: Int = 8000, memoryMiB: Int = 32768,
                zones: [String] = ["zone-a", "zone-b", "zone-c"], pricePerHour: Double = 0.40,
                startup: Distribution = .lognormal(median: 90, p99: 180)) {
        pool = NodePoolSpec(name: name, count: count, cpuMillicores: cpuMillicores, memoryMiB: memoryMiB,
                            zones: zones, pricePerHour: pricePerHour, startup: startup)
    }
    public func apply(to spec: inout ScenarioSpec) { spec.pools.append(pool) }
}
