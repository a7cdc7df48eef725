import ArgumentParser
import Charts
import Foundation
import Lab
import Reports
import ScenarioKit
import SimulationKernel
import Telemetry

struct Search: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Hunt for the settings that break a gate: a guided search over ranges, the worst case shrunk towards the scenario as written.",
        discussion: """
        Each --vary is a parameter (`\(CommandName.current) list --parameters SCENARIO`) and a range; --break is the \
        condition a broken run meets, written as a gate. The search spends --budget runs (an evolution strategy, a \
        batch at a time on all cores, every run with the scenario's seed), then shrinks the worst case one parameter \
        at a time towards its written value while it still breaks, and prints the command that reproduces it as a \
        failing gate.
        Example: \(CommandName.current) search black-friday --vary surge.multiplier=2...10 --vary surge.start=1h...5h --break "slo-violation > 5m" --budget 200
        With --boundary key=lo...hi instead of --vary, it maps where the system tips over: for every combination of the \
        --over values, the smallest value of key that breaks the condition (bisection, --steps halvings), as a table and \
        with --chart FILE a chart (the first --over along x, a line per value of the rest): a metastability phase diagram.
        Example: \(CommandName.current) search retry-storm --boundary faults.latency.fixed=0ms...500ms --over faults.latency.duration=1m,2m,5m --over checkout.rate=600,800,1000 --break "recovery-after-end > 5m" --chart boundary.png
        """)

    @Argument(help: "Scenario name (none with --merge).")
    var scenario: String?

    @Option(name: .customLong("vary"), help: "key=lo...hi: a parameter and the range to search (repeatable), e.g. surge.start=10m...2h.")
    var ranges: [String] = []

    @Option(name: .customLong("break"), help: "What a broken run meets, as a gate: \"slo-violation > 5m\", \"recovery > 3m\", \"availability < 99.9%\", \"p95:checkout > 300ms\".")
    var breakCondition: String?

    @Option(help: "Runs the search may spend (the shrinking spends a few dozen more).")
    var budget: Int = 200

    @Option(help: "The search's own random seed (the runs use the scenario's, or --seed).")
    var searchSeed: UInt64 = 1

    @Option(help: "Worst cases to list.")
    var top: Int = 5

    @Option(help: "key=lo...hi: map the smallest value of key that breaks the condition, instead of searching (with --over).")
    var boundary: String?

    @Option(name: .customLong("over"), help: "key=v1,v2,…: the values the boundary is mapped over (repeatable; with --boundary).")
    var grid: [String] = []

    @Option(help: "Halvings of the --boundary range per point (with --boundary).")
    var steps: Int = 6

    @Option(help: "Draw the boundary to this file (.png or .svg; with --boundary).")
    var chart: String?

    @Option(help: "Write the shrunk case as a Swift scenario to this file (BasedOn the scenario, its overrides, the gate it fails), to commit as a regression test.")
    var swift: String?

    @Option(help: "Run only shard i of N (0-based; auto/N reads JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID): a search is N independent searches of budget/N runs each (islands, each with its own search seed); a --boundary map, every N-th point.")
    var shard: String?

    @Option(help: "Also write the result as JSON to this file (the shrunk case, its settings and value; one file per shard for --merge).")
    var json: String?

    @Option(name: .customLong("merge"), help: "Combine the --json files of a sharded search: the worst shrunk case over the shards (no runs).")
    var merged: [String] = []

    @OptionGroup var options: ScenarioOptions
    @OptionGroup var progress: ProgressOptions

    func run() throws {
        if !merged.isEmpty { return try merge() }
        if boundary != nil { return try mapBoundary() }
        var problems: [String] = []
        if !grid.isEmpty || chart != nil { problems.append("--over and --chart go with --boundary") }
        if ranges.isEmpty { problems.append("give at least one --vary key=lo...hi") }
        if breakCondition == nil { problems.append("give --break \"CONDITION\", e.g. --break \"slo-violation > 5m\"") }
        if !(1...100_000).contains(budget) { problems.append("--budget \(budget): must be in 1…100000 runs") }
        if !(1...1_000).contains(top) { problems.append("--top \(top): must be in 1…1000") }
        let condition: Gate?
        do { condition = try breakCondition.map { try Gate($0) } } catch { problems.append("--break: \(error)"); condition = nil }
        if case .accuracy? = condition?.metric { problems.append("--break: accuracy is read from recorded predictions, which a search does not keep") }
        guard let scenario else { throw InputError("name the scenario to search") }
        let (spec, _) = try options.resolve(scenario)
        var dimensions: [SearchDimension] = []
        for r in ranges {
            do { dimensions.append(try SearchDimension(r, in: spec)) } catch { problems.append("\(error)") }
        }
        if Set(dimensions.map(\.key)).count < dimensions.count { problems.append("--vary: a parameter is given twice") }
        guard problems.isEmpty, let condition else { throw InputError(problems.joined(separator: "\n")) }

        let slice = try shard.map { try Shard($0) }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        // A shard is an island: its own seed, its share of the budget.
        let myBudget = slice.map { budget / $0.count + ($0.index < budget % $0.count ? 1 : 0) } ?? budget
        let mySeed = slice.map { searchSeed &+ UInt64($0.index) &* 0x9E37_79B9_7F4A_7C15 } ?? searchSeed
        guard myBudget >= 1 else { throw InputError("--shard \(shard ?? ""): a budget of \(budget) leaves this shard no runs") }
        let search = WorstCaseSearch(dimensions: dimensions, breakCondition: condition, budget: myBudget, batch: max(4, cores), seed: mySeed)
        if let slice { print("shard \(slice.index)/\(slice.count): an independent search of \(myBudget) runs, search seed \(mySeed)") }
        let evaluate = search.evaluator(for: spec, seed: spec.seed)
        print("\(spec.name): searching " + dimensions.map { "\($0.key) in \($0.rangeText)" }.joined(separator: ", ")
              + " for \(condition.text); \(budget) runs, seed \(spec.seed), search seed \(searchSeed)")
        let started = Date()
        let cases = try progress.tracking(myBudget, evaluate) { try search.run(evaluate: $0) }
        let broken = cases.filter(\.breaks)
        let seconds = Date().timeIntervalSince(started)
        print("\(broken.count) of \(cases.count) runs broke it (\(String(format: "%.1f", Double(cases.count) / max(seconds, 1e-9))) runs/s on \(cores) cores)")
        var table = TextTable(["rank"] + dimensions.map(\.key) + [condition.metricName])
        // Distinct settings only: whole-number parameters make neighbouring positions the same run.
        var listed: Set<[String]> = []
        for c in cases where listed.count < top {
            let values = search.settings(c.position).map(\.value)
            guard listed.insert(values).inserted else { continue }
            table.add(["\(listed.count)"] + values + [describe(c, condition)])
        }
        print(table.rendered)
        guard let worst = broken.first else {
            print("nothing broke it: widen the ranges, or raise --budget")
            if let json { try write(SearchResult(scenario: spec.name, seed: spec.seed, condition: condition.text, runs: cases.count, broke: 0, shrunk: nil), to: json) }
            return
        }
        let shrunk = try search.shrink(worst, removable: Removal.candidates(in: spec), evaluate: evaluate)
        let changes = search.changes(shrunk), sets = options.settings + changes
        print("\nshrunk towards the scenario as written: "
              + (changes.isEmpty ? "every value as written (the scenario itself breaks it)" : changes.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
              + ": \(condition.metricName) \(describe(shrunk, condition))")
        if !shrunk.removed.isEmpty {
            print("not needed to break it: " + shrunk.removed.map(\.what).joined(separator: ", "))
        }
        if let swift {
            let command = ([CommandName.current, "search", spec.name] + ranges.flatMap { ["--vary", $0] }
                           + ["--break", "\"\(condition.text)\"", "--budget", "\(budget)", "--search-seed", "\(searchSeed)"]).joined(separator: " ")
            let found = "Found by `\(command)`: \(condition.metricName) \(describe(shrunk, condition)), shrunk towards the scenario as written."
            let text = search.swiftScenario(shrunk, base: spec.name, baseExpression: "." + WorstCaseSearch.identifier(spec.name), also: options.settings,
                                            provenance: found
                                            + (shrunk.removed.isEmpty ? "" : "\nNot needed to break it: " + shrunk.removed.map(\.what).joined(separator: ", ") + ".")
                                            + (options.replaysTraffic ? "\nThe search replayed traffic (--replay): replay the same trace into this scenario." : ""))
            do { try AtomicWrite.write(text, to: swift) } catch { throw InputError("cannot write \(swift): \(error.localizedDescription)") }
            print("as a Swift scenario: \(swift)")
        }
        let quoted = sets.map { "--set \($0.key)=\($0.value)" }.joined(separator: " ")
        print("as a regression gate (fails until it is fixed):\n  \(CommandName.current) gate \(spec.name) --replications 1 --seed \(spec.seed) \(quoted) --gate \"\(condition.negated.text)\""
              + (options.replaysTraffic ? " (with the same --replay options)" : ""))
        if let json {
            let found = SearchResult.Case(settings: sets.map { "\($0.key)=\($0.value)" }, removed: shrunk.removed.map(\.what),
                                          value: shrunk.value.map { $0.isFinite ? $0 : nil } ?? nil, neverRecovered: shrunk.value == nil,
                                          badness: shrunk.badness.isFinite ? shrunk.badness : Double.greatestFiniteMagnitude, shown: describe(shrunk, condition))
            try write(SearchResult(scenario: spec.name, seed: spec.seed, condition: condition.text, runs: cases.count, broke: broken.count, shrunk: found), to: json)
        }
        if Interrupt.isRequested { throw ExitCode.interrupted }
    }

    /// What `--json` writes: enough to combine shards and reproduce the worst case.
    struct SearchResult: Codable {
        struct Case: Codable {
            var settings: [String]
            var removed: [String]
            var value: Double?
            var neverRecovered: Bool
            /// How far past the break condition; the largest finite number for a run that never recovered.
            var badness: Double
            var shown: String
        }
        var scenario: String
        var seed: UInt64
        var condition: String
        var runs: Int
        var broke: Int
        var shrunk: Case?
    }

    func write(_ result: SearchResult, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let text = String(decoding: try encoder.encode(result), as: UTF8.self) + "\n"
        do { try AtomicWrite.write(text, to: path) } catch { throw InputError("cannot write \(path): \(error.localizedDescription)") }
    }

    /// `--merge`: the shards' results together; the worst shrunk case is the answer.
    func merge() throws {
        if scenario != nil || !ranges.isEmpty || boundary != nil { throw InputError("--merge combines results already written: no scenario, --vary or --boundary") }
        var results: [(file: String, result: SearchResult)] = []
        var problems: [String] = []
        for file in merged {
            guard let handle = FileHandle(forReadingAtPath: file) else { problems.append("\(file): cannot be read"); continue }
            defer { try? handle.close() }
            // Bounded before it is decoded: a search's result is a few kilobytes.
            let data = (try? handle.read(upToCount: 1 << 20)) ?? Data()
            if data.count >= 1 << 20 { problems.append("\(file): over 1 MiB, not a search result"); continue }
            do { results.append((file, try JSONDecoder().decode(SearchResult.self, from: data))) } catch {
                problems.append("\(file): not a search result written by --json")
            }
        }
        let kinds = Set(results.map { "\($0.result.scenario) \($0.result.seed) \($0.result.condition)" })
        if kinds.count > 1 { problems.append("the files are of different searches: " + kinds.sorted().joined(separator: "; ")) }
        guard problems.isEmpty, let first = results.first?.result else { throw InputError(problems.joined(separator: "\n")) }
        print("\(first.scenario): \(results.count) shards, \(results.reduce(0) { $0 + $1.result.runs }) runs, "
              + "\(results.reduce(0) { $0 + $1.result.broke }) broke \(first.condition)")
        var table = TextTable(["file", "runs", "broke", "shrunk case", first.condition.split(separator: " ").first.map(String.init) ?? "value"])
        for (file, r) in results {
            table.add([file, "\(r.runs)", "\(r.broke)", r.shrunk.map { $0.settings.joined(separator: " ") } ?? "nothing broke it", r.shrunk?.shown ?? ""])
        }
        print(table.rendered)
        guard let worst = results.compactMap(\.result.shrunk).max(by: { $0.badness < $1.badness }) else {
            print("nothing broke it in any shard")
            return
        }
        let quoted = worst.settings.map { "--set \($0)" }.joined(separator: " ")
        let negated = (try? Gate(first.condition).negated.text) ?? first.condition
        print("\nworst: \(worst.settings.joined(separator: " ")): \(worst.shown)")
        print("as a regression gate (fails until it is fixed):\n  \(CommandName.current) gate \(first.scenario) --replications 1 --seed \(first.seed) \(quoted) --gate \"\(negated)\"")
    }

    /// `--boundary`: the bisections over the grid, their table and chart.
    func mapBoundary() throws {
        var problems: [String] = []
        if !ranges.isEmpty { problems.append("--vary goes with a search; --boundary maps with --over instead") }
        if grid.isEmpty { problems.append("give at least one --over key=v1,v2,…") }
        if breakCondition == nil { problems.append("give --break \"CONDITION\", e.g. --break \"recovery-after-end > 5m\"") }
        if !(1...30).contains(steps) { problems.append("--steps \(steps): must be in 1…30") }
        if shard != nil && chart != nil { problems.append("--chart draws the whole map: not with --shard") }
        if json != nil || swift != nil { problems.append("--json and --swift go with a search, not --boundary") }
        let condition: Gate?
        do { condition = try breakCondition.map { try Gate($0) } } catch { problems.append("--break: \(error)"); condition = nil }
        if let m = condition?.metric, !m.isSearchable { problems.append("--break: accuracy is read from recorded predictions, which a search does not keep") }
        guard let scenario else { throw InputError("name the scenario to search") }
        let (spec, _) = try options.resolve(scenario)
        var axis: SearchDimension?
        do { axis = try boundary.map { try SearchDimension($0, in: spec) } } catch { problems.append("--boundary: \(error)") }
        if case .choice? = axis?.unit { problems.append("--boundary needs a range lo...hi, not a list of values") }
        var over: [(key: String, values: [String])] = []
        for g in grid {
            guard let eq = g.firstIndex(of: "="), eq != g.startIndex else { problems.append("--over \(g): expected key=v1,v2,…"); continue }
            let key = String(g[..<eq]), values = g[g.index(after: eq)...].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard !values.isEmpty, !values.contains(""), values.count <= 100 else { problems.append("--over \(g): 1 to 100 values, none empty"); continue }
            for v in values {
                var trial = spec
                do { try trial.set(key, v) } catch let e as ParameterError { problems.append("--over \(key): \(e.message)") } catch { problems.append("--over \(key): \(error)") }
            }
            over.append((key, values))
        }
        let combinations = over.reduce(1) { $0 * $1.values.count }
        if combinations > 10_000 { problems.append("--over: \(combinations) combinations; at most 10000") }
        guard problems.isEmpty, let condition, let axis else { throw InputError(problems.joined(separator: "\n")) }

        let slice = try shard.map { try Shard($0) }
        var map = BoundarySearch(axis: axis, grid: over, breakCondition: condition, steps: steps)
        map.owns = { k in slice?.owns(k) ?? true }
        let runs = (slice.map { (combinations + $0.count - 1 - $0.index) / $0.count } ?? combinations) * (2 + steps)
        print("\(spec.name): the smallest \(axis.key) in \(axis.rangeText) for which \(condition.text), over "
              + over.map { "\($0.key) = \($0.values.joined(separator: ", "))" }.joined(separator: "; ") + "; up to \(runs) runs, seed \(spec.seed)")
        let evaluate = WorstCaseSearch.evaluator(for: spec, seed: spec.seed, metric: condition.metric)
        let points = try progress.tracking(runs, evaluate) { try map.run(evaluate: $0) }
        var table = TextTable(over.map(\.key) + ["\(axis.key) that breaks it", "\(condition.metricName) just below", "at it"])
        func metric(_ v: Double??) -> String {
            guard let v else { return "" }
            guard let x = v else { return "never recovered" }
            return x.isNaN ? "refused" : GateReport.format(x, condition.metric)
        }
        for p in points {
            let threshold: String
            switch p.threshold {
            case .at(let x): threshold = axis.format(x)
            case .belowRange: threshold = "≤ \(axis.format(axis.low)) (breaks at the low end)"
            case .aboveRange: threshold = "> \(axis.format(axis.high)) (holds over the range)"
            }
            table.add(p.values + [threshold, metric(p.held.map(\.value)), metric(p.broke.map(\.value))])
        }
        print(table.rendered)
        print("resolution: \(axis.format((axis.high - axis.low) / Double(1 << steps))) (\(steps) halvings)")
        if let chart { try drawBoundary(points, axis: axis, over: over, condition: condition, spec: spec, to: chart) }
        if Interrupt.isRequested { throw ExitCode.interrupted }
    }

    func drawBoundary(_ points: [BoundarySearch.Point], axis: SearchDimension, over: [(key: String, values: [String])], condition: Gate,
                      spec: ScenarioSpec, to file: String) throws {
        // x: the first --over (numbers, or durations in minutes); a line per combination of the others.
        let first = over[0]
        let xsSeconds = first.values.map { SimDuration(parsing: $0).map(\.seconds) ?? Double($0) }
        guard xsSeconds.allSatisfy({ $0 != nil }) else { print("chart: \(first.key) is not numeric, so no chart"); return }
        let durations = first.values.allSatisfy { Double($0) == nil }
        let xs = xsSeconds.map { durations ? $0! / 60 : $0! }
        // The grid's first key varies slowest: point a·rest + r is the a-th x of line r.
        let rest = points.count / first.values.count
        let lines: [(title: String, ys: [Double])] = (0..<rest).map { r in
            let title = zip(over.dropFirst().map(\.key), points[r].values.dropFirst()).map { "\($0)=\($1)" }.joined(separator: ", ")
            let ys = (0..<first.values.count).map { a -> Double in
                switch points[a * rest + r].threshold {
                case .at(let x): return x
                case .belowRange: return axis.low
                case .aboveRange: return .nan
                }
            }
            return (title.isEmpty ? axis.key : title, ys)
        }
        let chart = BoundaryChart(title: "\(spec.name): where \(condition.text)", xLabel: first.key + (durations ? " (minutes)" : ""),
                                  yLabel: "smallest \(axis.key) that breaks it" + (axis.unit == .duration ? " (seconds)" : ""),
                                  xs: xs, lines: lines, yRange: axis.low...axis.high)
        do {
            try waitFor { try await chart.render(to: file) }
            print("chart: \(file)")
        } catch {
            FileHandle.standardError.write(Data("warning: \(error)\n".utf8))
        }
    }

    func describe(_ c: SearchCase, _ condition: Gate) -> String {
        guard let v = c.value else { return "not measured (never recovered)" }
        return v.isNaN ? "refused by the scenario" : GateReport.format(v, condition.metric)
    }
}
