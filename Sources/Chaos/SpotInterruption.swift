import ClusterModel
import SimulationKernel

/// A spot (preemptible) node is reclaimed: a notice (AWS gives 2 minutes), during which the node is
/// cordoned and drained so replacements start elsewhere, then the node is gone with whatever still
/// runs on it. The fault's duration is the notice. A cluster autoscaler may add a node for the
/// replicas left pending.
public struct SpotInterruption: NodeFault, Equatable {
    public var notice: SimDuration
    public init(notice: SimDuration = .minutes(2)) { self.notice = notice }
    public var name: String { "spot-interruption" }
    public func problems(duration: SimDuration?) -> [String] {
        duration == notice ? [] : ["the fault lasts its notice (\(notice)); use Fault.spotInterruption(…, notice:)"]
    }
    public func start(node: Int, in world: inout ClusterSimulation) { world.noticeSpotInterruption(node, notice: notice) }
    public func end(node: Int, in world: inout ClusterSimulation) { world.reclaimSpotNode(node) }
}

extension FaultEffect where Self == SpotInterruption {
    public static func spotInterruption(notice: SimDuration = .minutes(2)) -> SpotInterruption { SpotInterruption(notice: notice) }
}
