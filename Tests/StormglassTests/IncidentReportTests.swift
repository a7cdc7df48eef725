@testable import Reports
import Telemetry
import Testing

@Suite struct IncidentReportTests {
    func event(_ time: Double, _ kind: EventKind, _ replica: String) -> TimelineEvent {
        TimelineEvent(time: time, kind: kind, subject: replica, detail: "")
    }

    /// A start is paired with its own ready event: not the last one of a reused name, not one after the name
    /// started again, and a start that never became ready counts for nothing.
    @Test func eachStartIsPairedWithItsOwnReadyEvent() {
        let events = [
            event(100, .replicaStarting, "api-1"), event(130, .replicaReady, "api-1"),
            event(200, .replicaStarting, "api-2"),                                          // never ready: restarted
            event(900, .replicaStarting, "api-2"), event(950, .replicaReady, "api-2"),
            event(5000, .replicaStarting, "api-1"), event(5020, .replicaReady, "api-1"),  // the name reused later
        ]
        let starts = events.filter { $0.kind == .replicaStarting && $0.time < 1000 }
        #expect(IncidentAnalysis.startUpDurations(of: starts, in: events) == [30, 50])
    }
}
