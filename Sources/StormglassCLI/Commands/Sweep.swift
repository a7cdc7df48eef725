import ArgumentParser
import Foundation
import GRDB
import Recorder
import ScenarioKit

/// `--vary key=a,b,c` or `--vary key=2...10` (step 1) or `key=2...10:2`.
struct Variation {
    var key: String
    var values: [String]

    init(_ text: String) throws {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex else { throw InputError("--vary \(text): expected key=v1,v2 or key=2...10") }
        key = String(text[..<eq])
        let spec = String(text[text.index(after: eq)...])
        if spec.contains("...") {
            let parts = spec.components(separatedBy: "...")
            let hi = parts.count == 2 ? parts[1].split(separator: ":").map(String.init) : []
            guard parts.count == 2, let lo = Int(parts[0]), let top = hi.first.flatMap({ Int($0) }), lo <= top else {
                throw InputError("--vary \(text): a range is lo...hi or lo...hi:step with whole numbers, lo ≤ hi")
            }
            let step = hi.count == 2 ? Int(hi[1]) ?? 0 : 1
            guard step >= 1 else { throw InputError("--vary \(text): the step must be a whole number ≥ 1") }
            values = stride(from: lo, through: top, by: step).map(String.init)
        } else {
            values = spec.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard !values.isEmpty, !values.contains(where: \.isEmpty) else { throw InputError("--vary \(text): no values") }
        }
    }
}

/// Which slice of a sweep this process runs: `--shard i/N` (0-based), or the index of a Kubernetes
/// Indexed Job (JOB_COMPLETION_INDEX) or Slurm array (SLURM_ARRAY_TASK_ID) with `--shard auto/N`.
struct Shard {
    var index: Int
    var count: Int

    init(_ text: String) throws {
        let parts = text.split(separator: "/").map(String.init)
        guard parts.count == 2, let n = Int(parts[1]), n >= 1 else { throw InputError("--shard \(text): expected i/N, e.g. 0/4, or auto/N") }
        var i: Int
        if parts[0] == "auto" {
            let env = ProcessInfo.processInfo.environment
            guard let v = env["JOB_COMPLETION_INDEX"] ?? env["SLURM_ARRAY_TASK_ID"], let x = Int(v) else {
                throw InputError("--shard auto/\(n): neither JOB_COMPLETION_INDEX nor SLURM_ARRAY_TASK_ID is set")
            }
            i = x
        } else {
            guard let x = Int(parts[0]) else { throw InputError("--shard \(text): expected i/N") }
            i = x
        }
        guard (0..<n).contains(i) else { throw InputError("--shard \(text): the index must be in 0…\(n - 1)") }
        index = i; count = n
    }

    func owns(_ job: Int) -> Bool { job % count == index }
}

struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "What-if sweep: the cartesian product of parameter values × seeds, in parallel, resumable.",
        discussion: """
        Example: stormglass sweep black-friday --vary surge.multiplier=2,4,8 --vary checkout.minReplicas=2...10:4 --vary policy=hpa,predictive --replications 5
        Re-running the same sweep on the same database skips points already finished. --shard i/N runs one slice \
        (for a CI matrix, a Kubernetes Indexed Job or a Slurm array); `stormglass merge` combines the files.
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

    @Flag(help: "No progress display.")
    var quiet = false

    func run() throws {
        let vary = try variations.map { try Variation($0) }
        guard !vary.isEmpty else { throw InputError("give at least one --vary key=values") }
        guard replications >= 1 else { throw InputError("--replications must be ≥ 1") }
        let slice = try shard.map { try Shard($0) }
        let (base, params) = try options.resolve(scenario)
        // Every point, validated before anything runs (so a bad value fails fast, with every problem).
        var points: [[(String, String)]] = [[]]
        for v in vary { points = points.flatMap { p in v.values.map { p + [(v.key, $0)] } } }
        var all: [RunJob] = []
        var problems: [String] = []
        for p in points {
            var spec = base
            var ps = params
            do {
                for (k, v) in p { try spec.set(k, v); ps[k] = v }
            } catch let e as ParameterError { throw InputError(e.description) }
            let label = p.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
            let issues = spec.validate()
            if !issues.isEmpty { problems.append("\(label): " + issues.map(\.description).joined(separator: "; ")); continue }
            for r in 0..<replications { all.append(RunJob(spec: spec, seed: base.seed + UInt64(r), label: label, replication: r, parameters: ps)) }
        }
        if !problems.isEmpty { throw InputError("sweep points are invalid:\n  " + problems.joined(separator: "\n  ")) }
        let store = try ResultsStore(path: database.db)
        let finished = try store.finishedRuns(scenario: base.name)
        let mine = all.enumerated().filter { slice?.owns($0.offset) ?? true }.map(\.element)
        let todo = mine.filter { !finished.contains(RunKey(label: $0.label, seed: Int64(bitPattern: $0.seed))) }
        let skipped = mine.count - todo.count
        print("\(base.name): \(points.count) points × \(replications) seed\(replications == 1 ? "" : "s") = \(all.count) runs"
              + (slice.map { "; shard \($0.index)/\($0.count): \(mine.count)" } ?? "")
              + (skipped > 0 ? "; \(skipped) already finished, skipped" : ""))
        var executor = RunExecutor(store: store, progress: ProgressLine(quiet: quiet))
        if let jobs { executor.parallelism = max(1, jobs) }
        _ = try executor.run(todo)
        // The table covers every point this database has finished runs for.
        let groups = try Dictionary(grouping: store.runs().filter { $0.scenario == base.name && $0.status == .finished && mine.map(\.label).contains($0.label) }, by: \.label)
        let ordered = Array(Set(mine.map(\.label))).sorted { a, b in (all.firstIndex { $0.label == a } ?? 0) < (all.firstIndex { $0.label == b } ?? 0) }
        print(try ComparisonReport.table(store, groups: ordered.map { ($0, (groups[$0] ?? []).map(\.id)) }, firstColumn: "point"))
        if charts.plots { charts.drawSweep(database: database.db, scenario: base.name, labels: ordered, keys: vary.map(\.key)) }
        print("\nresults: \(database.db)")
        if Interrupt.isRequested { throw ExitCode(Exit.interrupted) }
    }
}

struct RunKey: Hashable { var label: String; var seed: Int64 }

extension ResultsStore {
    /// (label, seed) of finished runs of a scenario, for resuming sweeps.
    func finishedRuns(scenario: String) throws -> Set<RunKey> {
        Set(try runs().filter { $0.scenario == scenario && $0.status == .finished }.map { RunKey(label: $0.label, seed: $0.seed) })
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
        _ = try ResultsStore(path: output)  // create and migrate
        for i in inputs { _ = try ResultsStore.open(existing: i) }  // migrate each to the current schema
        let db = try DatabaseQueue(path: output)
        var copied = 0
        for input in inputs {
            try db.inDatabase { db in try db.execute(sql: "ATTACH DATABASE ? AS src", arguments: [input]) }
            defer { try? db.inDatabase { db in try db.execute(sql: "DETACH DATABASE src") } }
            try db.inTransaction { db in
                let runColumns = try db.columns(in: "runs").map(\.name).filter { $0 != "id" }
                let ids = try Int64.fetchAll(db, sql: "SELECT id FROM src.runs ORDER BY id")
                let tables = ["services", "pools", "service_samples", "node_samples", "events", "predictions", "latency_histogram",
                              "summaries", "forecast_accuracy", "decisions"]
                for old in ids {
                    let cols = runColumns.joined(separator: ", ")
                    try db.execute(sql: "INSERT INTO main.runs (\(cols)) SELECT \(cols) FROM src.runs WHERE id = ?", arguments: [old])
                    let new = db.lastInsertedRowID
                    for t in tables {
                        let other = try db.columns(in: t).map(\.name).filter { $0 != "run_id" }.joined(separator: ", ")
                        try db.execute(sql: "INSERT INTO main.\(t) (run_id, \(other)) SELECT ?, \(other) FROM src.\(t) WHERE run_id = ? ORDER BY rowid",
                                       arguments: [new, old])
                    }
                    copied += 1
                }
                return .commit
            }
        }
        print("merged \(copied) runs from \(inputs.count) database\(inputs.count == 1 ? "" : "s") into \(output)")
    }
}

struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find the smallest setting of a parameter that meets a goal (binary search; assumes more is better).",
        discussion: "Example: stormglass plan black-friday --find checkout.minReplicas --meet \"slo-violation <= 5m\" --range 1...40")

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

    @Flag(help: "No progress display.")
    var quiet = false

    func run() throws {
        guard replications >= 1 else { throw InputError("--replications \(replications): must be ≥ 1") }
        let gate: Gate
        do { gate = try Gate(meet) } catch let e as GateError { throw InputError(e.description) }
        let values = try Variation("\(find)=\(range)").values.compactMap(Int.init)
        guard let lo0 = values.first, let hi0 = values.last else { throw InputError("--range \(range): empty") }
        let (base, params) = try options.resolve(scenario)
        guard base.parameters.contains(where: { $0.key == find }) else { throw InputError("--find \(find): unknown parameter of \(scenario)") }
        let store = try ResultsStore(path: database.db)
        var cache: [Int: (Bool, Double?)] = [:]
        func probe(_ v: Int) throws -> Bool {
            if let c = cache[v] { return c.0 }
            var spec = base
            do { try spec.set(find, String(v)) } catch let e as ParameterError { throw InputError(e.description) }
            let label = "plan:\(find)=\(v)"
            let jobs = (0..<replications).map { RunJob(spec: spec, seed: base.seed + UInt64($0), label: label, replication: $0, parameters: params.merging([find: String(v)]) { $1 }) }
            let done = try RunExecutor(store: store, progress: ProgressLine(quiet: quiet)).run(jobs)
            let xs = try done.map { try GateMeasure.value(gate.metric, store: store, run: $0.runID) }
            let mean = xs.contains(where: { $0 == nil }) ? nil : xs.compactMap { $0 }.reduce(0, +) / Double(xs.count)
            let ok = gate.passes(mean)
            cache[v] = (ok, mean)
            print("  \(find) = \(v): \(gate.text.components(separatedBy: gate.comparison.rawValue)[0].trimmingCharacters(in: .whitespaces)) = \(mean.map { String(format: "%.4g", $0) } ?? "not measured") → \(ok ? "meets" : "misses")")
            return ok
        }
        print("searching \(find) in \(lo0)…\(hi0) for \(gate.text) (\(replications) seeds per probe)")
        guard try probe(hi0) else { print("even \(find) = \(hi0) misses the goal"); throw ExitCode(Exit.gateFailed) }
        var lo = lo0, hi = hi0
        while lo < hi {
            let mid = (lo + hi) / 2
            if try probe(mid) { hi = mid } else { lo = mid + 1 }
        }
        print("smallest \(find) that meets \(gate.text): \(lo)")
    }
}
