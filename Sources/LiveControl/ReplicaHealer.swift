import ControlPlane
import Telemetry

/// The self-healer on live replicas: each poll, a vector query answers one series per replica (its
/// `pod` label, else `instance`); a value below 0.5 means unhealthy (a 0/1 readiness, or a share of
/// requests answered well). A replica seen healthy and then
/// unhealthy for longer than the healer's timeout is replaced, within its budget and cooldown — the
/// simulation's ``SelfHealer``, its heartbeats being healthy reads.
///
/// A replica that disappears from the answer left on purpose (scaled in, replaced): never a failure.
/// A poll whose health could not be read tells nothing, and the healer waits for the next one.
public struct ReplicaHealer: Sendable {
    public static let signal = "replica-health"
    private var healer: SelfHealer
    private var present: Set<String> = []
    private let service: String

    /// - Parameters:
    ///   - replaceAfter: seconds a replica stays unhealthy before it is replaced.
    ///   - checkPeriod: the session's poll interval.
    public init(service: String, replaceAfter: Double, checkPeriod: Double, maxReplacementsPerHour: Int = 5, cooldown: Double = 60) {
        self.service = service
        healer = SelfHealer(config: SelfHealerConfig(heartbeatInterval: checkPeriod, timeout: replaceAfter, checkPeriod: checkPeriod,
                                                     missedChecks: 1, maxReplacementsPerHour: maxReplacementsPerHour, cooldown: cooldown))
    }

    /// The replacements one poll's health reads call for (``signal`` reads, the replica in `detail`).
    public mutating func observe(_ reads: [LiveRead], at time: Double) -> (replace: [(replica: String, reason: String)], events: [TimelineEvent]) {
        // NaN (no requests to judge by, say) is no opinion: healthy.
        guard !reads.isEmpty, reads.allSatisfy({ $0.status == .ok || $0.status == .nan }) else { return ([], []) }
        var beats: [Heartbeat] = []
        var now: Set<String> = []
        for read in reads {
            now.insert(read.detail)
            if read.status == .nan || (read.value ?? 1) >= 0.5 { beats.append(Heartbeat(node: read.detail, pool: service, time: time)) }
        }
        for gone in present.subtracting(now).sorted() { beats.append(Heartbeat(node: gone, pool: service, time: time, leaving: true)) }
        present = now
        let answer = healer.receive(beats, at: time)
        // The healer's words are about heartbeats; here a heartbeat is a healthy read.
        let events = answer.events.map { e in
            var e = e
            e.detail = e.detail.replacingOccurrences(of: "no heartbeat for", with: "unhealthy for")
            return e
        }
        let replace: [(String, String)] = answer.actions.compactMap {
            guard case .replaceNode(let node, let reason) = $0 else { return nil }
            return (node, reason.replacingOccurrences(of: "no heartbeat for", with: "unhealthy for"))
        }
        return (replace, events)
    }
}
