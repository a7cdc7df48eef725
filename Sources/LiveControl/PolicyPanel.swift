import ControlPlane
import Telemetry

/// The configured policies side by side on the same samples, each in a control plane of its own
/// (its predictor, its safety layer, its history). In shadow every one is dry-run and reasons about the
/// replicas the real system has; in control one acts, and its decisions become actions.
public struct PolicyPanel: Sendable {
    public let names: [String]
    public let acting: String?
    private var planes: [ControlPlane]

    public init(service: String, policies: [any ScalingPolicy], bounds: ScalingBounds, acting: String?) {
        names = policies.map(\.name)
        self.acting = acting
        // Every policy, the acting one too, takes the current replicas from the sample (the real Deployment's,
        // or what the actuator last set): a change the safety layer stopped is not taken as made.
        planes = policies.map { p in
            ControlPlane(services: [.init(service: service, policy: p, bounds: bounds)], limits: GlobalLimits(dryRun: p.name != acting),
                         followsObservedReplicas: true)
        }
    }

    /// What the policies answered to one sample.
    public struct Step: Sendable {
        public var decisions: [ScalingDecision] = []
        public var events: [TimelineEvent] = []
        /// The acting policy's replica changes (empty in shadow).
        public var actions: [ControlAction] = []
    }

    public mutating func observe(_ sample: ServiceSample) -> Step {
        var step = Step()
        let scrape = Scrape(time: sample.time, interval: sample.interval, services: [sample], nodes: [])
        for i in planes.indices {
            let answer = planes[i].observe(scrape)
            step.decisions += answer.decisions
            step.events += answer.events
            if names[i] == acting { step.actions += answer.actions }
        }
        return step
    }
}
