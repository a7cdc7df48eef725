import Foundation

/// The safety layer in front of an actuator: dry run, kill switch, and a most replicas changed per
/// minute. It decides, the session acts; a change it lets through is counted once the actuator did it.
public struct ActuationGuard: Sendable {
    public var dryRun: Bool
    /// While this file exists, nothing is done and the replicas are left as they are.
    public var killSwitch: String?
    /// At most this many replicas added or removed within any 60 s.
    public var maxChangePerMinute: Int
    private var changes: [(time: Double, size: Int)] = []

    public init(dryRun: Bool = true, killSwitch: String? = nil, maxChangePerMinute: Int = 4) {
        self.dryRun = dryRun; self.killSwitch = killSwitch; self.maxChangePerMinute = maxChangePerMinute
    }

    public enum Verdict: Equatable, Sendable {
        /// Ask the actuator for `replicas` (maybe fewer steps than wanted: `cut` says why).
        case act(replicas: Int, cut: String?)
        /// Do nothing, for this reason.
        case skip(String)
        /// Dry run: what would have been asked.
        case wouldAct(replicas: Int, cut: String?)
    }

    /// What to do about a wish to go from `current` to `wanted` replicas at `time` (seconds).
    public mutating func judge(current: Int, wanted: Int, at time: Double) -> Verdict {
        if let file = killSwitch, FileManager.default.fileExists(atPath: file) {
            return .skip("kill switch \(file) present: replicas left at \(current)")
        }
        changes.removeAll { time - $0.time >= 60 }
        let allowed = maxChangePerMinute - changes.reduce(0) { $0 + $1.size }
        var replicas = wanted
        if abs(wanted - current) > allowed {
            guard allowed > 0 else { return .skip("\(maxChangePerMinute) replicas changed within the last minute already (--max-change-per-minute)") }
            replicas = current + (wanted > current ? allowed : -allowed)
        }
        let cut = replicas != wanted ? "cut from \(wanted) by --max-change-per-minute \(maxChangePerMinute)" : nil
        return dryRun ? .wouldAct(replicas: replicas, cut: cut) : .act(replicas: replicas, cut: cut)
    }

    /// Whether a replica may be replaced now: nil, or why not. (Replacing keeps the count; only the
    /// kill switch and dry run hold it — the healer has its own budget and cooldown.)
    public func refusesReplacement(of replica: String) -> String? {
        if let file = killSwitch, FileManager.default.fileExists(atPath: file) { return "kill switch \(file) present: \(replica) left as it is" }
        return dryRun ? "dry run: would replace \(replica)" : nil
    }

    /// The actuator made the change: it counts against the minute.
    public mutating func done(from current: Int, to replicas: Int, at time: Double) {
        changes.append((time, abs(replicas - current)))
    }
}
