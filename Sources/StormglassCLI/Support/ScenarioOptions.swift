import Telemetry
import ArgumentParser
import Foundation
import ClusterModel
import Recorder
import ScenarioKit
import SimulationKernel

/// Options shared by every command that runs a scenario.
struct ScenarioOptions: ParsableArguments {
    @Option(help: "Random seed (default: the scenario's).")
    var seed: UInt64?

    @Option(help: "Simulated duration, e.g. 90s, 15m, 24h (default: the scenario's).")
    var duration: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a parameter: key=value (repeatable). `\(CommandName.current) list --parameters SCENARIO` lists them.", valueName: "key=value"))
    var overrides: [String] = []

    @Option(help: "request: every request an event (the default, the reference); fluid: requests as flows, for large models (refused where it cannot represent the scenario).")
    var fidelity: Fidelity?

    @OptionGroup var replay: ReplayOptions

    /// The scenario's own changes as `--set` pairs (each --set, then --duration and --fidelity), in the order
    /// they apply: what a printed reproduction or a written regression scenario must carry. (Not the seed, which
    /// commands print on their own, nor --replay and its knobs: `replaysTraffic` says when those are missing.)
    var settings: [(key: String, value: String)] {
        overrides.compactMap { o in o.firstIndex(of: "=").map { (String(o[..<$0]), String(o[o.index(after: $0)...])) } }
            + (duration.map { [("duration", $0)] } ?? []) + (fidelity.map { [("fidelity", $0.rawValue)] } ?? [])
    }
    var replaysTraffic: Bool { !replay.replays.isEmpty }

    /// The scenario by name, with replays and overrides applied and validated.
    func resolve(_ name: String) throws -> (spec: ScenarioSpec, parameters: [String: String]) {
        let scenario = try ScenarioCatalog.require(name)
        var spec = scenario.spec
        var params: [String: String] = [:]
        try replay.apply(to: &spec, parameters: &params)
        let authoredDuration = spec.duration
        for o in overrides {
            guard let eq = o.firstIndex(of: "="), eq != o.startIndex else {
                throw InputError("--set \(o): expected key=value")
            }
            let key = String(o[..<eq]), value = String(o[o.index(after: eq)...])
            try spec.set(key, value)
            params[key] = value
        }
        if let duration {
            guard let d = SimDuration(parsing: duration), d >= .seconds(1), d <= .days(366) else {
                throw InputError("--duration \(duration): not a duration from 1s to 366d (try 90s, 15m, 24h)")
            }
            spec.duration = d
            params["duration"] = duration
        }
        if spec.duration < authoredDuration { dropFaults(after: spec.duration, from: &spec) }
        if let seed { spec.seed = seed }
        if let fidelity {
            spec.fidelity = fidelity
            params["fidelity"] = fidelity.rawValue
        }
        let problems = spec.validate()
        if !problems.isEmpty { throw InputError(InvalidScenario(scenario: spec.name, problems: problems).description) }
        return (spec, params)
    }
}

/// A run made shorter than its scenario (`--duration`, `--set duration=`) is a look at its start:
/// faults the scenario schedules after the new end do not happen in it, and stderr says so. (A
/// scenario whose own faults fall outside its own duration is still refused by validation.)
func dropFaults(after end: SimDuration, from spec: inout ScenarioSpec) {
    for f in spec.faults where f.start >= end {
        FileHandle.standardError.write(Data("note: fault \(f.name) starts at \(f.start), after the run's end (\(end)): not injected\n".utf8))
    }
    spec.faults.removeAll { $0.start >= end }
}

/// The knobs that turn a trace into a request rate (for `--replay` and `stormglass replay`).
struct ReplayKnobs: ParsableArguments {
    @Option(name: .customLong("replay-values"), help: "What a trace's values are: count-per-row (requests in each row's interval) or per-second.")
    var valuesAre: TraceReplay.ValueMeaning = .countPerRow

    @Option(name: .customLong("replay-scale"), help: "Multiply the replayed rate by this.")
    var scale: Double = 1

    @Option(name: .customLong("replay-peak"), help: "Rescale the replay so its highest rate is this many requests/s (instead of --replay-scale).")
    var peak: Double?

    @Option(name: .customLong("replay-time-scale"), help: "Virtual seconds per trace second (0.1 plays ten days in one).")
    var timeScale: Double = 1

    @OptionGroup var source: PrometheusOptions

    @Option(name: .customLong("replay-start"), help: "Start this far into the trace, e.g. 2d.")
    var start: String?

    /// The settings, or every problem with them.
    func settings() -> (ReplaySettings, [String]) {
        var problems: [String] = []
        var settings = ReplaySettings(valuesAre: valuesAre, scale: scale, peak: peak, timeScale: timeScale)
        if let start {
            if let d = SimDuration(parsing: start), d >= .zero, d <= .days(36_600) { settings.start = d.seconds } else {
                problems.append("--replay-start \(start): not a duration from 0s (try 6h, 2d)")
            }
        }
        return (settings, problems + settings.problems.map { "--replay: \($0)" })
    }

    /// The knobs as run parameters (only those not at their defaults).
    var parameters: [String: String] {
        var p: [String: String] = [:]
        if valuesAre != .countPerRow { p["replay.values"] = valuesAre.rawValue }
        if scale != 1 { p["replay.scale"] = String(scale) }
        if let peak { p["replay.peak"] = String(peak) }
        if timeScale != 1 { p["replay.time-scale"] = String(timeScale) }
        if let start { p["replay.start"] = start }
        return p
    }
}

/// `key=value` pairs from repeatable options, or the problem with one, said in the option's own form
/// (`service=file`, `name=meaning`, …).
func keyedValues(_ values: [String], option: String, form: String = "service=file") -> ([(key: String, value: String)], [String]) {
    var pairs: [(String, String)] = [], problems: [String] = []
    for v in values {
        guard let eq = v.firstIndex(of: "="), eq != v.startIndex, v.index(after: eq) != v.endIndex else {
            problems.append("\(option) \(v): expected \(form)"); continue
        }
        pairs.append((String(v[..<eq]), String(v[v.index(after: eq)...])))
    }
    return (pairs, problems)
}

/// `--replay SERVICE=FILE`: a trace as a service's traffic.
struct ReplayOptions: ParsableArguments {
    @Option(name: .customLong("replay"), help: ArgumentHelp("Replay a trace as a service's traffic (repeatable): a `timestamp,value` CSV, a Prometheus range-query JSON export, or promql:'QUERY' with --prometheus. Replaces the service's traffic source and keeps its shapes.", valueName: "service=file"))
    var replays: [String] = []

    @OptionGroup var knobs: ReplayKnobs

    /// Replaces each named service's traffic source by its trace; every problem is reported at once.
    func apply(to spec: inout ScenarioSpec, parameters: inout [String: String]) throws {
        guard !replays.isEmpty else { try knobs.source.install(); return }
        try knobs.source.install(parameters: &parameters)
        let (settings, knobProblems) = knobs.settings()
        var problems = knobProblems
        let (pairs, pairProblems) = keyedValues(replays, option: "--replay")
        problems += pairProblems
        var seen: Set<String> = []
        for (service, file) in pairs {
            guard spec.services.contains(where: { $0.name == service }) else {
                problems.append("--replay \(service)=\(file): \(spec.name) has no service \"\(service)\" (services: \(spec.services.map(\.name).joined(separator: ", ")))")
                continue
            }
            guard seen.insert(service).inserted else { problems.append("--replay \(service)=\(file): \(service) is replayed twice"); continue }
            // With bad knobs the file is still read, so its own problems are listed too.
            switch RateSource.replaying(file, settings: knobProblems.isEmpty ? settings : ReplaySettings()) {
            case .failure(let e): problems.append(e.description)
            case .success(let source):
                spec.replaceTraffic(of: service, with: source)
                parameters["replay.\(service)"] = file
            }
        }
        guard problems.isEmpty else { throw InputError(problems.joined(separator: "\n")) }
        parameters.merge(knobs.parameters) { $1 }
    }
}

extension TraceReplay.ValueMeaning: ExpressibleByArgument {}
extension Fidelity: ExpressibleByArgument {}

/// `--db FILE`: where results go.
struct DatabaseOption: ParsableArguments {
    @Option(help: "Results database (SQLite).")
    var db: String = "results/stormglass.sqlite"

    @Option(help: ArgumentHelp("What each run keeps: all, samples (no per-scrape forecasts) or summaries (no per-scrape rows). "
                               + "Default: all for run, compare, gate and replay; summaries for sweep, plan and league.", valueName: "level"))
    var record: RecordingLevel?

    /// The level asked for, or the command's default; per-run charts need the samples.
    func recording(default level: RecordingLevel, drawsRuns: Bool = false) throws -> RecordingLevel {
        let chosen = record ?? level
        if drawsRuns && !chosen.keepsSamples {
            throw InputError("--record summaries keeps no per-scrape rows for --plots to draw; record samples or all, or drop --plots")
        }
        return chosen
    }

    /// The database, checked intact before anything is appended to it.
    func openForRecording() throws -> ResultsStore { try ResultsStore.forRecording(db) }
}

extension ResultsStore {
    /// Opens (or creates) a database to append runs to, refusing a damaged one.
    static func forRecording(_ path: String) throws -> ResultsStore {
        let store = try ResultsStore(path: path)
        try store.requireIntact()
        return store
    }
}

extension ResultsStore {
    /// Refuses, in words, a run recorded without the per-scrape rows `verb` reads.
    func requireSamples(run id: Int64, for verb: String) throws {
        guard let r = try runs().first(where: { $0.id == id }), !r.recording.keepsSamples else { return }
        throw InputError("run \(id) was recorded with --record \(r.recording.rawValue): it keeps no per-scrape rows for \(verb); "
                         + "run it again with --record samples (its summary: \(CommandName.current) show \(path) --run \(id))")
    }

    /// The run asked for, or the latest one; a clear error when the file has none.
    func runID(_ requested: Int64?) throws -> Int64 {
        let all = try runs()
        guard let last = all.last else { throw InputError("\(path) holds no runs yet") }
        guard let requested else { return last.id }
        guard all.contains(where: { $0.id == requested }) else {
            throw InputError("no run \(requested) in \(path) (runs \(all.first!.id)…\(last.id))")
        }
        return requested
    }
}

extension RecordingLevel: ExpressibleByArgument {}
