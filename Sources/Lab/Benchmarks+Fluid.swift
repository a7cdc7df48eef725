import ClusterModel
import Foundation
import Recorder
import ScenarioKit

extension Benchmarks {
    /// `large-shop` (or any fluid scenario) for a whole day as flows, recorded to SQLite as
    /// `stormglass run` records it, against the same scenario request by request over its first
    /// `requestMinutes`. The request-level day is extrapolated by service visits (its cost is
    /// per visit): its window's wall time × the day's visits ÷ the window's visits.
    public static func fluidScale(_ spec: ScenarioSpec, requestMinutes: Double = 10) throws -> [Figure] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stormglass-bench-fluid-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var fluid = spec
        fluid.fidelity = .fluid
        let store = try ResultsStore(path: dir.appendingPathComponent("fluid.sqlite").path)
        var t0 = wallClock()
        let day = try RunExecutor(store: store).runOne(RunJob(spec: fluid, seed: fluid.seed, label: "", replication: 0, parameters: [:]),
                                                       showRunProgress: false)
        let fluidSeconds = wallClock() - t0

        var request = spec
        request.fidelity = .request
        request.duration = .seconds(requestMinutes * 60)
        request.faults.removeAll { $0.start >= request.duration }  // the day's faults come later
        t0 = wallClock()
        let window = try ScenarioRunner(spec: request).run()
        let requestSeconds = wallClock() - t0
        func visits(_ s: RunSummary) -> Double { Double(s.services.reduce(0) { $0 + $1.requests }) }
        let requestDay = requestSeconds * visits(day.result.summary) / max(1, visits(window.summary))
        return [Figure(name: "\(spec.name)_fluid_day_wall_seconds_recorded", value: fluidSeconds, unit: "s"),
                Figure(name: "\(spec.name)_service_visits_per_second", value: visits(day.result.summary) / day.result.summary.simulatedSeconds, unit: "visits/s"),
                Figure(name: "\(spec.name)_request_level_\(Int(requestMinutes))_minutes_wall_seconds", value: requestSeconds, unit: "s"),
                Figure(name: "\(spec.name)_request_level_day_wall_seconds_extrapolated", value: requestDay, unit: "s"),
                Figure(name: "\(spec.name)_fluid_speedup", value: requestDay / fluidSeconds, unit: "x")]
    }
}
