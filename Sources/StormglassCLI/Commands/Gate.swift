import Telemetry
import Reports
import Lab
import ArgumentParser
import Foundation
import Recorder
import ScenarioKit
import Statistics

struct GateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gate",
        abstract: "Evaluate resilience gates over N seeds; exit 1 if any fails. Writes JUnit XML and a Markdown summary.",
        discussion: """
        Gates come from the scenario (Gates(...)) and from --gate. Each is evaluated on the mean over the seeds, \
        or with --whole-interval on the pessimistic end of the 95 % confidence interval.
        Example: \(CommandName.current) gate node-crash latency-injection --replications 5 --gate "recovery <= 5m" --junit gates.xml
        With --search N and --vary key=lo...hi, each gate is also searched: N runs hunt for settings in those ranges that \
        break it (`\(CommandName.current) search`), and a case that does fails the gate with its shrunk settings in the \
        JUnit message.
        Example: \(CommandName.current) gate node-crash --search 40 --vary faults.crash.start=10m...3h --vary api.maxReplicas=10...30
        """)

    @Argument(help: "Scenarios to gate.")
    var scenarios: [String]

    @Option(name: .customLong("gate"), help: "A gate expression, e.g. \"recovery <= 3m\", \"availability >= 99.9%\" (repeatable).")
    var gates: [String] = []

    @Option(help: "Seeds per scenario.")
    var replications: Int = 3

    @Flag(help: "Every gate must pass over the whole 95 % confidence interval, not only on the mean.")
    var wholeInterval = false

    @Option(help: "Also search each gate with this many runs over the --vary ranges, for settings that break it.")
    var search: Int?

    @Option(name: .customLong("vary"), help: "key=lo...hi or key=a|b: a range the search may move (repeatable; with --search).")
    var ranges: [String] = []

    @Option(help: "JUnit XML report (one test case per gate per scenario).")
    var junit: String = "results/gates.xml"

    @Option(help: "Also write a Markdown summary to this file (e.g. for a pull-request comment).")
    var markdown: String?

    @OptionGroup var options: ScenarioOptions
    @OptionGroup var database: DatabaseOption

    @OptionGroup var progress: ProgressOptions

    func run() throws {
        guard !scenarios.isEmpty else { throw InputError("name at least one scenario") }
        guard (1...10_000).contains(replications) else { throw InputError("--replications \(replications): must be in 1…10000") }
        var extra: [Gate] = []
        for g in gates {
            extra.append(try Gate(g, wholeInterval: wholeInterval))
        }
        if let search, !(1...100_000).contains(search) { throw InputError("--search \(search): must be in 1…100000 runs") }
        if search != nil && ranges.isEmpty { throw InputError("--search needs at least one --vary key=lo...hi") }
        if search == nil && !ranges.isEmpty { throw InputError("--vary needs --search N (the runs to spend on each gate)") }
        // Every scenario resolved (and every gate known) before anything runs.
        let resolved = try scenarios.map { name in
            let (spec, params) = try options.resolve(name)
            let all = Gate.adding(extra, to: spec.gates.map { var g = $0; g.wholeInterval = g.wholeInterval || wholeInterval; return g })
            if all.isEmpty { throw InputError("\(name) declares no gates; add --gate \"…\"") }
            for g in all {
                if case .p95(let service) = g.metric, spec.serviceIndex(service) == nil {
                    throw InputError("gate \"\(g.text)\": \(name) has no service \"\(service)\"" + suggestion(service, spec.services.map(\.name))
                                     + "; its services: " + spec.services.map(\.name).joined(separator: ", "))
                }
            }
            var problems: [String] = []
            var dimensions: [SearchDimension] = []
            if search != nil {
                for r in ranges {
                    do { dimensions.append(try SearchDimension(r, in: spec)) } catch { problems.append("\(name): \(error)") }
                }
            }
            guard problems.isEmpty else { throw InputError(problems.joined(separator: "\n")) }
            return (name: name, spec: spec, params: params, gates: all, dimensions: dimensions)
        }
        // Until the verdicts are in, the reports say so: an older green report must not survive a run
        // that fails, is interrupted or is killed.
        func unjudged(_ why: String) -> [GateOutcome] {
            resolved.flatMap { s in s.gates.map { GateOutcome.notEvaluated($0, scenario: s.name, because: why) } }
        }
        let recording = try database.recording(default: .all)
        let placeholder = unjudged("the gate run did not finish (stopped, killed or still running)")
        try writeFile(junit, GateReport.junit(placeholder, scenarios: scenarios))
        if let markdown { try writeFile(markdown, GateReport.markdown(placeholder, replications: replications)) }
        var outcomes: [GateOutcome] = []
        var failure: Error?
        do {
            let store = try database.openForRecording()
            for s in resolved {
                let jobs = (0..<replications).map { RunJob(spec: s.spec, seed: s.spec.seed &+ UInt64($0), label: "gate", replication: $0, parameters: s.params) }
                let started = Date()
                var executor = RunExecutor(store: store, progress: progress.line)
                executor.recording = recording
                let done = try executor.run(jobs)
                let wall = Date().timeIntervalSince(started)
                for gate in s.gates {
                    outcomes.append(try GateEvaluation.evaluate(gate, scenario: s.name, runs: done, expected: jobs.count, store: store, wallSeconds: wall))
                }
            }
            if let search {
                for s in resolved {
                    for gate in s.gates where gate.metric.isSearchable {
                        do { outcomes.append(try searched(gate, in: s.spec, dimensions: s.dimensions, budget: search)) } catch {
                            if Interrupt.isRequested { throw error }
                            var o = GateOutcome.notEvaluated(gate, scenario: s.name, because: "its search failed: \(error)")
                            o.search = GateSearch(runs: search, breaking: nil, reproduce: nil)
                            outcomes.append(o)
                        }
                    }
                }
            }
        } catch {
            // Runs that failed judge nothing: every gate not yet judged is reported as not evaluated.
            failure = error
            let judged = outcomes.count
            outcomes += unjudged("its runs failed: \(error)").dropFirst(judged)
        }
        print(GateReport.table(outcomes))
        try writeFile(junit, GateReport.junit(outcomes, scenarios: scenarios))
        if let markdown { try writeFile(markdown, GateReport.markdown(outcomes, replications: replications)) }
        print("\njunit: \(junit)" + (markdown.map { "   summary: \($0)" } ?? "") + "   results: \(database.db)")
        if let failure { printError("error: \(failure)") }
        if Interrupt.isRequested { throw ExitCode.interrupted }
        let unjudged = outcomes.filter { if case .notEvaluated = $0.verdict { return true } else { return false } }
        if !unjudged.isEmpty {
            print("\(unjudged.count) of \(outcomes.count) gates were not evaluated")
            throw ExitCode.gateFailed
        }
        if outcomes.contains(where: { $0.verdict == .failed }) {
            print("\(outcomes.filter { $0.verdict == .failed }.count) of \(outcomes.count) gates failed")
            throw ExitCode.gateFailed
        }
    }

    /// Searches `budget` runs for settings that break `gate`; the shrunk case, if any, fails it.
    func searched(_ gate: Gate, in spec: ScenarioSpec, dimensions: [SearchDimension], budget: Int) throws -> GateOutcome {
        let started = Date()
        let search = WorstCaseSearch(dimensions: dimensions, breakCondition: gate.negated, budget: budget,
                                     batch: max(4, ProcessInfo.processInfo.activeProcessorCount), seed: 1)
        let evaluate = search.evaluator(for: spec, seed: spec.seed)
        let cases = try progress.tracking(budget, evaluate) { try search.run(evaluate: $0) }
        var outcome = GateOutcome.notEvaluated(gate, scenario: spec.name, because: "")
        outcome.verdict = .passed
        outcome.wallSeconds = Date().timeIntervalSince(started) / Double(budget)
        outcome.search = GateSearch(runs: budget, breaking: nil, reproduce: nil)
        guard let worst = cases.first else { return outcome }
        var shown = worst
        if worst.breaks {
            shown = try search.shrink(worst, removable: Removal.candidates(in: spec), evaluate: evaluate)
            let sets = (options.settings + search.changes(shown)).map { "--set \($0.key)=\($0.value)" }
            outcome.verdict = .failed
            outcome.search?.breaking = sets.isEmpty ? ["(the scenario as written)"] : sets
            outcome.search?.reproduce = "\(CommandName.current) gate \(spec.name) --replications 1 --seed \(spec.seed) "
                + sets.joined(separator: " ") + " --gate \"\(gate.text)\""
        }
        outcome.values = [shown.value]
        outcome.estimate = shown.value.flatMap { $0.isNaN ? nil : MeanEstimate([$0]) }
        return outcome
    }

    func writeFile(_ path: String, _ text: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        do { try AtomicWrite.write(text, to: path) } catch { throw InputError("cannot write \(path): \(error.localizedDescription)") }
    }
}
