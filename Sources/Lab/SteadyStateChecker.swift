import ScenarioKit
import Telemetry

/// Checks the steady-state probes before the first fault and after the run has recovered.
struct SteadyStateChecker {
    let probes: [Probe]
    let firstFault: Double?
    let window = 300.0
    var before: [ServiceSample] = []
    var after: [ServiceSample] = []

    init(spec: ScenarioSpec) {
        probes = spec.steadyState
        firstFault = spec.faults.map(\.start.seconds).min()
    }

    mutating func observe(_ scrape: Scrape) {
        guard !probes.isEmpty else { return }
        if let f = firstFault, scrape.time <= f, scrape.time > f - window { before += scrape.services }
        // The last five minutes of the run stand for "after recovery" (kept as a rolling window).
        after += scrape.services
        after.removeAll { scrape.time - $0.time >= window }
    }

    /// (probe, phase, passed), phases "before" and "after".
    var results: [(probe: Probe, phase: String, passed: Bool)] {
        probes.flatMap { p in
            (firstFault == nil ? [] : [(p, "before", p.holds(before))]) + [(p, "after", p.holds(after))]
        }
    }
}

