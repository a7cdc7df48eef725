import ClusterModel
import SimulationKernel

/// A pool of identical nodes, spread over zones.
public struct NodePool: ScenarioComponent {
    let pool: NodePoolSpec
    public init(_ name: String, count: Int, cpuMillicores: Int = 8000, memoryMiB: Int = 32768,
                zones: [String] = ["zone-a", "zone-b", "zone-c"], pricePerHour: Double = 0.40,
                startup: Distribution = .lognormal(median: 90, p99: 180)) {
        pool = NodePoolSpec(name: name, count: count, cpuMillicores: cpuMillicores, memoryMiB: memoryMiB,
                            zones: zones, pricePerHour: pricePerHour, startup: startup)
    }
    public func apply(to spec: inout ScenarioSpec) { spec.pools.append(pool) }
}
