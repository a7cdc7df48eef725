import SimulationKernel

/// One scheduled fault.
public struct FaultSpec: Sendable, Equatable {
    public var name: String
    public var kind: any FaultEffect
    public var target: FaultTarget
    public var start: SimDuration
    /// nil = permanent (a crashed node never comes back by itself).
    public var duration: SimDuration?
    public init(name: String, kind: some FaultEffect, target: FaultTarget, start: SimDuration, duration: SimDuration?) {
        self.name = name; self.kind = kind; self.target = target; self.start = start; self.duration = duration
    }
    public var end: SimDuration? { duration.map { start + $0 } }
    public static func == (a: FaultSpec, b: FaultSpec) -> Bool {
        a.name == b.name && a.kind.isSame(as: b.kind) && a.target == b.target && a.start == b.start && a.duration == b.duration
    }
    public var summary: String {
        "\(kind.name) on \(target) at \(start)" + (duration.map { " for \($0)" } ?? " (permanent)")
    }
}

