import ArgumentParser
import Foundation
import Lab
import Reports
import ScenarioKit
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
        """)

    @Argument(help: "Scenario name.")
    var scenario: String

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

    @OptionGroup var options: ScenarioOptions
    @OptionGroup var progress: ProgressOptions

    func run() throws {
        var problems: [String] = []
        if ranges.isEmpty { problems.append("give at least one --vary key=lo...hi") }
        if breakCondition == nil { problems.append("give --break \"CONDITION\", e.g. --break \"slo-violation > 5m\"") }
        if !(1...100_000).contains(budget) { problems.append("--budget \(budget): must be in 1…100000 runs") }
        if !(1...1_000).contains(top) { problems.append("--top \(top): must be in 1…1000") }
        let condition: Gate?
        do { condition = try breakCondition.map { try Gate($0) } } catch { problems.append("--break: \(error)"); condition = nil }
        if case .accuracy? = condition?.metric { problems.append("--break: accuracy is read from recorded predictions, which a search does not keep") }
        let (spec, _) = try options.resolve(scenario)
        var dimensions: [SearchDimension] = []
        for r in ranges {
            do { dimensions.append(try SearchDimension(r, in: spec)) } catch { problems.append("\(error)") }
        }
        if Set(dimensions.map(\.key)).count < dimensions.count { problems.append("--vary: a parameter is given twice") }
        guard problems.isEmpty, let condition else { throw InputError(problems.joined(separator: "\n")) }

        let cores = ProcessInfo.processInfo.activeProcessorCount
        let search = WorstCaseSearch(dimensions: dimensions, breakCondition: condition, budget: budget, batch: max(4, cores), seed: searchSeed)
        let evaluate = search.evaluator(for: spec, seed: spec.seed)
        print("\(spec.name): searching " + dimensions.map { "\($0.key) in \($0.format($0.low))…\($0.format($0.high))" }.joined(separator: ", ")
              + " for \(condition.text); \(budget) runs, seed \(spec.seed), search seed \(searchSeed)")
        let line = progress.line
        let started = Date()
        var done = 0
        let cases = try search.run { positions in
            let values = try evaluate(positions)
            done += positions.count
            line.update(done: done, of: budget, started: started)
            return values
        }
        line.finish()
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
            return
        }
        let shrunk = try search.shrink(worst, evaluate: evaluate)
        let sets = search.settings(shrunk.position)
        let asWritten = zip(dimensions, sets).allSatisfy { $0.format($0.written) == $1.value }
        print("\nshrunk towards the scenario as written: " + sets.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
              + ": \(condition.metricName) \(describe(shrunk, condition))"
              + (asWritten ? " (every value as written: the scenario itself breaks it)" : ""))
        let quoted = sets.map { "--set \($0.key)=\($0.value)" }.joined(separator: " ")
        print("as a regression gate (fails until it is fixed):\n  \(CommandName.current) gate \(spec.name) --replications 1 --seed \(spec.seed) \(quoted) --gate \"\(condition.negated.text)\"")
        if Interrupt.isRequested { throw ExitCode.interrupted }
    }

    func describe(_ c: SearchCase, _ condition: Gate) -> String {
        guard let v = c.value else { return "not measured (never recovered)" }
        return v.isNaN ? "refused by the scenario" : GateReport.format(v, condition.metric)
    }
}
