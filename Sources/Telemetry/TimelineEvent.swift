/// Something that happened during a run, for the event log and the charts' shading:
/// replica and node lifecycle, scaling decisions with their reason, faults, incidents.
public struct TimelineEvent: Sendable, Equatable, Codable {
    public var time: Double
    /// e.g. `replica-ready`, `node-down`, `scale`, `fault-start`, `incident-open`.
    public var kind: EventKind
    /// What it is about: `checkout/3`, `general-2`, a service name.
    public var subject: String
    public var detail: String
    public init(time: Double, kind: EventKind, subject: String, detail: String) {
        self.time = time; self.kind = kind; self.subject = subject; self.detail = detail
    }
}
