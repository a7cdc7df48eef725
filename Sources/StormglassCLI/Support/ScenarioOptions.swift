import ArgumentParser
import Foundation
import Recorder
import ScenarioKit
import SimulationKernel

/// Options shared by every command that runs a scenario.
struct ScenarioOptions: ParsableArguments {
    @Option(help: "Random seed (default: the scenario's).")
    var seed: UInt64?

    @Option(help: "Simulated duration, e.g. 90s, 15m, 24h (default: the scenario's).")
    var duration: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a parameter: key=value (repeatable). `stormglass list --parameters SCENARIO` lists them.", valueName: "key=value"))
    var overrides: [String] = []

    /// The scenario by name, with overrides applied and validated.
    func resolve(_ name: String) throws -> (spec: ScenarioSpec, parameters: [String: String]) {
        let scenario = try ScenarioCatalog.require(name)
        var spec = scenario.spec
        var params: [String: String] = [:]
        for o in overrides {
            guard let eq = o.firstIndex(of: "="), eq != o.startIndex else {
                throw InputError("--set \(o): expected key=value")
            }
            let key = String(o[..<eq]), value = String(o[o.index(after: eq)...])
            do { try spec.set(key, value) } catch let e as ParameterError { throw InputError(e.description) }
            params[key] = value
        }
        if let duration {
            guard let d = SimDuration(parsing: duration), d >= .seconds(1), d <= .days(366) else {
                throw InputError("--duration \(duration): not a duration from 1s to 366d (try 90s, 15m, 24h)")
            }
            spec.duration = d
            params["duration"] = duration
        }
        if let seed { spec.seed = seed }
        let problems = spec.validate()
        if !problems.isEmpty { throw InputError(InvalidScenario(scenario: spec.name, problems: problems).description) }
        return (spec, params)
    }
}

/// `--db FILE`: where results go.
struct DatabaseOption: ParsableArguments {
    @Option(help: "Results database (SQLite).")
    var db: String = "results/stormglass.sqlite"
}

extension ResultsStore {
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
