import Foundation
import Telemetry

/// Heartbeat monitoring and node replacement.
public struct SelfHealerConfig: Sendable, Equatable {
    /// How often node agents beat.
    public var heartbeatInterval: Double
    /// Silence longer than this is a missed check.
    public var timeout: Double
    /// How often the monitor checks.
    public var checkPeriod: Double
    /// Consecutive missed checks before a node is declared failed.
    public var missedChecks: Int
    /// Replacements allowed per rolling hour.
    public var maxReplacementsPerHour: Int
    /// Minimum time between two replacements.
    public var cooldown: Double
    public var enabled: Bool
    public init(heartbeatInterval: Double = 10, timeout: Double = 30, checkPeriod: Double = 10, missedChecks: Int = 1,
                maxReplacementsPerHour: Int = 5, cooldown: Double = 60, enabled: Bool = true) {
        self.heartbeatInterval = heartbeatInterval; self.timeout = timeout; self.checkPeriod = checkPeriod
        self.missedChecks = missedChecks; self.maxReplacementsPerHour = maxReplacementsPerHour; self.cooldown = cooldown
        self.enabled = enabled
    }
}

/// Watches heartbeats, tells expected terminations (a node that said it was leaving, or that the
/// control plane itself removed) from failures, and replaces failed nodes within its safety limits.
public struct SelfHealer: Sendable {
    public let config: SelfHealerConfig
    var lastSeen: [String: (time: Double, pool: String)] = [:]
    var missed: [String: Int] = [:]
    var expected: Set<String> = []
    var replacements: [Double] = []
    var lastCheck = -Double.infinity
    var failed: Set<String> = []
    /// Failures already announced: a node waiting out the cooldown is checked again, not detected again.
    var announced: Set<String> = []

    public init(config: SelfHealerConfig) { self.config = config }

    /// Nodes the control plane is removing itself (cluster scale-in, replacement): never "failures".
    public mutating func expectTermination(of node: String) { expected.insert(node) }

    /// Records heartbeats; at each check period, declares silent nodes failed and decides replacements.
    public mutating func receive(_ beats: [Heartbeat], at now: Double) -> (actions: [ControlAction], events: [TimelineEvent]) {
        for b in beats {
            if b.leaving {
                expected.insert(b.node)
                lastSeen[b.node] = nil
            } else if !expected.contains(b.node) {
                lastSeen[b.node] = (b.time, b.pool)
                missed[b.node] = 0
                failed.remove(b.node)
                announced.remove(b.node)
            }
        }
        guard config.enabled, now - lastCheck >= config.checkPeriod - 1e-9 else { return ([], []) }
        lastCheck = now
        var actions: [ControlAction] = [], events: [TimelineEvent] = []
        for (node, seen) in lastSeen.sorted(by: { $0.key < $1.key }) where !expected.contains(node) && !failed.contains(node) {
            guard now - seen.time > config.timeout else { continue }
            missed[node, default: 0] += 1
            guard missed[node]! >= config.missedChecks else { continue }
            failed.insert(node)
            let silence = Int(now - seen.time)
            if announced.insert(node).inserted {
                events.append(TimelineEvent(time: now, kind: .nodeFailureDetected, subject: node,
                                            detail: "no heartbeat for \(silence)s (timeout \(Int(config.timeout))s, \(missed[node]!) missed check\(missed[node]! == 1 ? "" : "s"))"))
            }
            replacements.removeAll { now - $0 > 3600 }
            if replacements.count >= config.maxReplacementsPerHour {
                events.append(TimelineEvent(time: now, kind: .replacementRefused, subject: node,
                                            detail: "budget of \(config.maxReplacementsPerHour) replacements per hour used"))
                continue
            }
            if let last = replacements.last, now - last < config.cooldown {
                failed.remove(node)  // try again after the cooldown
                missed[node] = config.missedChecks - 1
                continue
            }
            replacements.append(now)
            expected.insert(node)
            lastSeen[node] = nil
            actions.append(.replaceNode(node: node, reason: "unexpected failure: no heartbeat for \(silence)s"))
        }
        return (actions, events)
    }

    public var replacementsMade: Int { replacements.count }
}
