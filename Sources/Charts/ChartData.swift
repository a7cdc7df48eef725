import Foundation
import Recorder
import Telemetry

/// What a run's charts draw, read once through the results store's queries.
struct RunChartData {
    var run: Int64
    var scenario: String
    var services: [ServiceDescription]
    /// Every scrape of every service, in time order.
    var samples: [String: [ServiceSample]]
    var shades: [Shade]
    var axis: TimeAxis
    var accuracy: [AccuracyRecord]
    /// Forecasts of the auto model at its longest horizon, per service.
    var predictions: [String: [PredictionRecord]]

    init(store: ResultsStore, run: Int64) throws {
        self.run = run
        scenario = try store.runs().first { $0.id == run }?.scenario ?? "?"
        services = try store.serviceDescriptions(run: run)
        samples = Dictionary(grouping: try store.serviceSamples(run: run), by: \.service)
        let end = samples.values.compactMap(\.last?.time).max() ?? 0
        axis = TimeAxis(duration: end)
        shades = Shade.of(try store.events(run: run), end: end, axis: axis)
        accuracy = try store.accuracy(run: run)
        predictions = [:]
        for s in services {
            let auto = try store.predictions(run: run, service: s.name, model: "auto")
            if let longest = auto.map(\.horizon).max() { predictions[s.name] = auto.filter { $0.horizon == longest } }
        }
    }
}

/// The time axis of a run's charts: minutes for runs up to three hours, hours beyond, so ticks are
/// whole numbers either way.
struct TimeAxis {
    var secondsPerUnit: Double
    var label: String
    init(duration: Double) {
        if duration <= 3 * 3600 { secondsPerUnit = 60; label = "time (minutes since start)" }
        else { secondsPerUnit = 3600; label = "time (hours since start)" }
    }
    func value(_ seconds: Double) -> Double { seconds / secondsPerUnit }
}

/// A fault (red, full height) or an incident (orange, along the bottom) as a shaded time span.
struct Shade {
    enum Kind { case fault, incident }
    var from: Double, to: Double, label: String, kind: Kind

    static func of(_ events: [TimelineEvent], end: Double, axis: TimeAxis) -> [Shade] {
        var openFaults: [String: Double] = [:], openIncidents: [String: Double] = [:]
        var shades: [Shade] = []
        for e in events {
            switch e.kind {
            case .faultStart: openFaults[e.subject] = e.time
            case .faultEnd:
                if let s = openFaults.removeValue(forKey: e.subject) { shades.append(Shade(from: s, to: e.time, label: e.subject, kind: .fault)) }
            case .incidentOpen: openIncidents[e.subject] = e.time
            case .incidentClose:
                if let s = openIncidents.removeValue(forKey: e.subject) { shades.append(Shade(from: s, to: e.time, label: e.subject, kind: .incident)) }
            default: break
            }
        }
        for (subject, s) in openIncidents { shades.append(Shade(from: s, to: end, label: subject, kind: .incident)) }
        // A permanent fault is shaded from its start for a visible sliver.
        for (subject, s) in openFaults { shades.append(Shade(from: s, to: min(end, s + max(60, end / 200)), label: subject, kind: .fault)) }
        return shades.map { Shade(from: axis.value($0.from), to: axis.value($0.to), label: $0.label, kind: $0.kind) }.sorted { $0.from < $1.from }
    }
}

extension GnuplotScript {
    /// The run's faults and incidents, behind the data.
    mutating func shade(_ shades: [Shade]) {
        for s in shades { shade(from: s.from, to: s.to, height: s.kind == .fault ? 1 : 0.06, color: s.kind == .fault ? .fault : .incident) }
    }

    /// Legend entries for the shading.
    static func keys(_ shades: [Shade]) -> [Series] {
        let faults = Set(shades.filter { $0.kind == .fault }.map(\.label)).sorted()
        let incidents = shades.filter { $0.kind == .incident }.count
        var out: [Series] = []
        if !faults.isEmpty { out.append(.key(.fault, title: "fault: " + faults.joined(separator: ", "))) }
        if incidents > 0 { out.append(.key(.incident, title: "incident\(incidents == 1 ? "" : "s")")) }
        return out
    }
}
