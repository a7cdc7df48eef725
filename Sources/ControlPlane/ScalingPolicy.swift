import Telemetry

/// How a service's replica count is managed.
public enum ScalingPolicy: Sendable, Equatable, CustomStringConvertible {
    /// The replica count never changes (the baseline against which policies are compared).
    case fixed

    public var name: String {
        switch self {
        case .fixed: return "fixed"
        }
    }
    public var description: String { name }

    /// Policies a scenario can be switched to by name (`--set policy=…`, `compare --policy …`).
    public static func named(_ name: String) -> ScalingPolicy? {
        switch name {
        case "fixed": return .fixed
        default: return nil
        }
    }
    public static let knownNames = ["fixed"]
}

/// The limits a controller must respect for one service.
public struct ScalingBounds: Sendable, Equatable {
    public var minReplicas: Int
    public var maxReplicas: Int
    public init(minReplicas: Int, maxReplicas: Int) { self.minReplicas = minReplicas; self.maxReplicas = maxReplicas }
}

/// The control plane for one run: given each scrape, answers with actions.
/// It sees only `Telemetry` values, never the simulation.
public struct ControlPlane: Sendable {
    public struct ServiceControl: Sendable {
        public var service: String
        public var policy: ScalingPolicy
        public var bounds: ScalingBounds
        public init(service: String, policy: ScalingPolicy, bounds: ScalingBounds) {
            self.service = service; self.policy = policy; self.bounds = bounds
        }
    }
    public var services: [ServiceControl]

    public init(services: [ServiceControl]) { self.services = services }

    public mutating func observe(_ scrape: Scrape) -> [ControlAction] {
        let actions: [ControlAction] = []
        for control in services {
            switch control.policy {
            case .fixed: continue
            }
        }
        return actions
    }
}
