/// The words every module uses for what happened, as open sets of named constants (GRDB's
/// `ResultCode` shape): a typo is a compile error, the strings on disk stay what they were, and a
/// user's package can add its own (`extension EventKind { static let cacheFlush = EventKind("cache-flush") }`).
///
/// Nothing outside this file spells these strings (a test scans `Sources/` for it).

/// What a timeline event is about.
public struct EventKind: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    // Replica lifecycle.
    public static let replicaPending = EventKind("replica-pending")
    public static let replicaStarting = EventKind("replica-starting")
    public static let replicaReady = EventKind("replica-ready")
    public static let replicaDraining = EventKind("replica-draining")
    public static let replicaTerminated = EventKind("replica-terminated")
    // Node lifecycle.
    public static let nodeProvisioning = EventKind("node-provisioning")
    public static let nodeReady = EventKind("node-ready")
    public static let nodeUp = EventKind("node-up")
    public static let nodeDown = EventKind("node-down")
    public static let nodeDrained = EventKind("node-drained")
    public static let nodeRemoved = EventKind("node-removed")
    public static let nodeReachable = EventKind("node-reachable")
    public static let nodeUnreachable = EventKind("node-unreachable")
    // Control-plane actions.
    public static let scaleUp = EventKind("scale-up")
    public static let scaleDown = EventKind("scale-down")
    /// How databases before scale-up / scale-down recorded a scaling change.
    public static let legacyScale = EventKind("scale")
    public static let provision = EventKind("provision")
    public static let replace = EventKind("replace")
    public static let removeNode = EventKind("remove-node")
    public static let resizePool = EventKind("resize-pool")
    public static let oscillation = EventKind("oscillation")
    public static let nodeFailureDetected = EventKind("node-failure-detected")
    public static let replacementRefused = EventKind("replacement-refused")
    // Replica health.
    public static let livenessRestart = EventKind("liveness-restart")
    public static let oomKilled = EventKind("oom-killed")
    public static let replicaUnready = EventKind("replica-unready")
    public static let spotNotice = EventKind("spot-notice")
    public static let evictionBlocked = EventKind("eviction-blocked")
    // Clients.
    public static let breakerOpen = EventKind("breaker-open")
    public static let breakerClosed = EventKind("breaker-closed")
    // Chaos.
    public static let faultStart = EventKind("fault-start")
    public static let faultEnd = EventKind("fault-end")
    // Detection and incidents.
    public static let anomaly = EventKind("anomaly")
    public static let incidentOpen = EventKind("incident-open")
    public static let incidentResponse = EventKind("incident-response")
    public static let incidentClose = EventKind("incident-close")
    // Live sessions: the metrics server unreadable or answering no number, and back; an actuator's failure;
    // polls missed because the session fell behind (a slow answer, a stopped machine).
    public static let metricsUnavailable = EventKind("metrics-unavailable")
    public static let metricsRestored = EventKind("metrics-restored")
    public static let actuationFailed = EventKind("actuation-failed")
    public static let pollsSkipped = EventKind("polls-skipped")
}

extension EventKind {
    /// the Definitions article's time to detect: the first incident or alert raised after a fault.
    public var countsAsDetection: Bool { self == .incidentOpen || self == .anomaly || self == .nodeFailureDetected }
    /// the Definitions article's time to mitigate: the first corrective action (scale-up, replacement node, new node).
    public var countsAsMitigation: Bool { self == .replace || self == .provision || self == .scaleUp }
    /// A change to a replica count (either direction, or an old database's `scale`).
    public var isScaling: Bool { self == .scaleUp || self == .scaleDown || self == .legacyScale }
    /// What the control plane did, for an incident's "response" section.
    public var isControlAction: Bool {
        isScaling || [.replace, .provision, .removeNode, .nodeFailureDetected, .oscillation, .replacementRefused].contains(self)
    }
    public var isReplicaLifecycle: Bool { rawValue.hasPrefix("replica-") }
}

/// A node's state in a scrape (`node_samples.state`).
public struct NodeState: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let provisioning = NodeState(rawValue: "provisioning")
    public static let up = NodeState(rawValue: "up")
    public static let down = NodeState(rawValue: "down")
    public static let removed = NodeState(rawValue: "removed")

    /// Charged for by the Definitions article's cost: a node that is up or being provisioned.
    public var isBilled: Bool { self == .up || self == .provisioning }
}

/// Where a recorded run stands (`runs.status`).
public struct RunStatus: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// Being written (or its writer died: see the results store's stale-run check).
    public static let running = RunStatus(rawValue: "running")
    public static let finished = RunStatus(rawValue: "finished")
    /// Stopped by Ctrl-C or SIGTERM; what was recorded up to then is consistent.
    public static let aborted = RunStatus(rawValue: "aborted")
    public static let failed = RunStatus(rawValue: "failed")
    /// Left `running` by a writer that is gone (killed, crashed, or its machine stopped): reported
    /// so when read, and stored so in a merged copy; what was recorded up to then is kept.
    public static let interrupted = RunStatus(rawValue: "interrupted")
}

/// What held a scaling decision back (`decisions.limited_by`).
public struct LimitReason: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let maxReplicas = LimitReason(rawValue: "maxReplicas")
    public static let minReplicas = LimitReason(rawValue: "minReplicas")
    public static let stabilizationWindow = LimitReason(rawValue: "stabilization window")
    public static let scaleUpPolicy = LimitReason(rawValue: "scale-up policy")
    public static let scaleDownPolicy = LimitReason(rawValue: "scale-down policy")
    public static let oscillationDamping = LimitReason(rawValue: "oscillation damping")
    public static let cooldown = LimitReason(rawValue: "cooldown")
    public static let ruleCooldown = LimitReason(rawValue: "rule cooldown")
    public static let globalReplicaCap = LimitReason(rawValue: "global replica cap")
    public static let costCap = LimitReason(rawValue: "cost cap")
    public static let poolRange = LimitReason(rawValue: "pool range")
}

/// How bad an incident is.
public struct Severity: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let critical = Severity(rawValue: "critical")
    public static let major = Severity(rawValue: "major")
}
