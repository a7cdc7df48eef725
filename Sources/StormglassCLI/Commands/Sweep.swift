import Telemetry
import ArgumentParser
import Foundation
import Lab
import Recorder
import Reports
import ScenarioKit

struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "What-if sweep: the cartesian product of parameter values × seeds, in parallel, resumable.",
        discussion: """
        Example: \(CommandName.current) sweep black-friday --vary surge.multiplier=2,4,8 --vary checkout.minReplicas=2...10:4 --vary policy=hpa,predictive --replications 5
        Re-running the same sweep on the same database skips points already finished. --shard i/N runs one slice \
        (for a CI matrix, a Kubernetes Indexed Job or a Slurm array); `\(CommandName.current) merge` combines the files.
        """)

    @Argument(help: "Scenario name.")
    var scenario: String

    @Option(name: .customLong("vary"), help: "key=v1,v2,… or key=lo...hi[:step] (repeatable).")
    var variations: [String] = []

    @Option(help: "Seeds per point.")
    var replications: Int = 1

    @Option(help: "Run only slice i of N (0-based): i/N, or auto/N to read JOB_COMPLETION_INDEX / SLURM_ARRAY_TASK_ID.")
    var shard: String?

    @Option(help: "Runs at once (default: all cores).")
    var jobs: Int?

    @OptionGroup var options: ScenarioOptions
    @OptionGroup var database: DatabaseOption
    @OptionGroup var charts: ChartOptions

    @OptionGroup var progress: ProgressOptions

    func run() throws {
        let vary = try variations.map { try Variation($0) }
        guard !vary.isEmpty else { throw InputError("give at least one --vary key=values") }
        let slice = try shard.map { try Shard($0) }
        let (base, params) = try options.resolve(scenario)
        let plan = try SweepPlan(base: base, parameters: params, variations: vary, replications: replications)
        let recording = try database.recording(default: .summaries)
        let store = try database.openForRecording()
        let finished = try store.finishedRuns(scenario: base.name)
        let mine = plan.jobs.enumerated().filter { slice?.owns($0.offset) ?? true }.map(\.element)
        let todo = mine.filter { !finished.contains(RunKey(label: $0.label, seed: Int64(bitPattern: $0.seed))) }
        let skipped = mine.count - todo.count
        print("\(base.name): \(plan.labels.count) points × \(replications) seed\(replications == 1 ? "" : "s") = \(plan.jobs.count) runs"
              + (slice.map { "; shard \($0.index)/\($0.count): \(mine.count)" } ?? "")
              + (skipped > 0 ? "; \(skipped) already finished, skipped" : ""))
        var executor = RunExecutor(store: store, progress: progress.line)
        executor.recording = recording
        if let jobs { executor.parallelism = max(1, jobs) }
        _ = try executor.run(todo)
        // The table covers every point of this slice the database has finished runs for.
        let labels = Set(mine.map(\.label))
        let ordered = plan.labels.filter { labels.contains($0) }
        let groups = Dictionary(grouping: try store.runs().filter { $0.scenario == base.name && $0.status == .finished && labels.contains($0.label) }, by: \.label)
        print(try ComparisonReport.table(store, groups: ordered.map { ($0, (groups[$0] ?? []).map(\.id)) }, firstColumn: "point"))
        if charts.plots { charts.drawSweep(database: database.db, scenario: base.name, labels: ordered, keys: vary.map(\.key)) }
        print("\nresults: \(database.db)")
        if Interrupt.isRequested { throw ExitCode.interrupted }
    }
}

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Combine results databases (e.g. the shards of a sweep) into one.")

    @Argument(help: "Databases to merge.")
    var inputs: [String]

    @Option(name: .shortAndLong, help: "The merged database (created if needed; runs are appended).")
    var output: String

    func run() throws {
        guard !inputs.isEmpty else { throw InputError("name the databases to merge") }
        for i in inputs where !FileManager.default.fileExists(atPath: i) { throw InputError("no database at \(i)") }
        // Every input is looked at before the output exists: a refused input leaves no empty file behind.
        for i in inputs { _ = try ResultsStore.open(existing: i) }
        let existed = FileManager.default.fileExists(atPath: output)
        let store = try ResultsStore.forRecording(output)
        var copied = 0, unreadable: [String] = []
        for input in inputs {
            do {
                copied += try store.merge(from: input, shouldStop: { Interrupt.isRequested }, unreadable: { unreadable.append("\(input) run \($0)") })
            } catch is Cancelled {
                printError("interrupted: \(input) was not merged (its copy was rolled back); \(copied) runs from the files before it were")
                throw ExitCode.interrupted
            } catch {
                if !existed && copied == 0 { ResultsStore.remove(output) }
                throw error
            }
        }
        for u in unreadable { printError("note: \(u) could not be read (the file is damaged there) and was left out") }
        print("merged \(copied) runs from \(inputs.count) database\(inputs.count == 1 ? "" : "s") into \(output)"
              + (unreadable.isEmpty ? "" : "; \(unreadable.count) damaged run\(unreadable.count == 1 ? "" : "s") left out"))
    }
}

struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find the smallest setting of a parameter that meets a goal (binary search; assumes more is better).",
        discussion: "Example: \(CommandName.current) plan black-friday --find checkout.minReplicas --meet \"slo-violation <= 5m\" --range 1...40")

    @Argument(help: "Scenario name.")
    var scenario: String

    @Option(help: "The parameter to search (a whole number).")
    var find: String

    @Option(help: "The goal, as a gate expression.")
    var meet: String

    @Option(help: "Search range lo...hi.")
    var range: String = "1...64"

    @Option(help: "Seeds per probe; the goal must hold on their mean.")
    var replications: Int = 3

    @OptionGroup var options: ScenarioOptions
    @OptionGroup var database: DatabaseOption

    @OptionGroup var progress: ProgressOptions

    func run() throws {
        guard (1...1000).contains(replications) else { throw InputError("--replications \(replications): must be in 1…1000") }
        let gate: Gate
        gate = try Gate(meet)
        let parts = range.components(separatedBy: "...")
        guard parts.count == 2, let lo = Int(parts[0]), let hi = Int(parts[1]), lo <= hi else {
            throw InputError("--range \(range): expected lo...hi with whole numbers, lo ≤ hi")
        }
        let (base, params) = try options.resolve(scenario)
        guard base.parameters.contains(where: { $0.key == find }) else { throw InputError("--find \(find): unknown parameter of \(scenario)") }
        // Both ends of the range must make a scenario that can run, before the first run is recorded.
        for v in [lo, hi] {
            var spec = base
            do { try spec.set(find, String(v)) } catch let e as ParameterError { throw InputError("--range \(range): \(e.description)") }
            let problems = spec.validate()
            guard problems.isEmpty else {
                throw InputError("--range \(range): with \(find) = \(v), " + problems.map(\.description).joined(separator: "; "))
            }
        }
        let recording = try database.recording(default: .summaries)
        let store = try database.openForRecording()
        let metric = gate.text.components(separatedBy: gate.comparison.rawValue)[0].trimmingCharacters(in: .whitespaces)
        var cache: [Int: Bool] = [:]
        func probe(_ v: Int) throws -> Bool {
            if let known = cache[v] { return known }
            if Interrupt.isRequested { throw ExitCode.interrupted }
            var spec = base
            try spec.set(find, String(v))
            let label = "plan:\(find)=\(v)"
            let jobs = (0..<replications).map { RunJob(spec: spec, seed: base.seed &+ UInt64($0), label: label, replication: $0, parameters: params.merging([find: String(v)]) { $1 }) }
            var executor = RunExecutor(store: store, progress: progress.line)
            executor.recording = recording
            let done = try executor.run(jobs)
            if Interrupt.isRequested { throw ExitCode.interrupted }
            let outcome = try GateEvaluation.evaluate(gate, scenario: base.name, runs: done, expected: jobs.count, store: store, wallSeconds: 0)
            if case .notEvaluated(let why) = outcome.verdict { throw InputError("\(find) = \(v): \(why)") }
            cache[v] = outcome.passed
            print("  \(find) = \(v): \(metric) = \(outcome.estimate.map { String(format: "%.4g", $0.mean) } ?? "not measured") → \(outcome.passed ? "meets" : "misses")")
            return outcome.passed
        }
        print("searching \(find) in \(lo)…\(hi) for \(gate.text) (\(replications) seeds per probe)")
        guard let answer = try PlanSearch.smallest(in: lo...hi, meets: probe) else {
            print("even \(find) = \(hi) misses the goal")
            throw ExitCode.gateFailed
        }
        print("smallest \(find) that meets \(gate.text): \(answer)")
    }
}
