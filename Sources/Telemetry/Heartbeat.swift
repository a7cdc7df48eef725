/// A node agent's heartbeat. A node that leaves gracefully says so (`leaving`) before it goes
/// silent; a crashed or partitioned node just goes silent.
public struct Heartbeat: Sendable, Equatable {
    public var node: String
    public var pool: String
    public var time: Double
    public var leaving: Bool
    public init(node: String, pool: String, time: Double, leaving: Bool = false) {
        self.node = node; self.pool = pool; self.time = time; self.leaving = leaving
    }
}
