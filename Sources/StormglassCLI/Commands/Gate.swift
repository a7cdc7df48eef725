import Telemetry
import Reports
import Lab
import ArgumentParser
import Foundation
import Recorder
import ScenarioKit

struct GateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gate",
        abstract: "Evaluate resilience gates over N seeds; exit 1 if any fails. Writes JUnit XML and a Markdown summary.",
        discussion: """
        Gates come from the scenario (Gates(...)) and from --gate. Each is evaluated on the mean over the seeds, \
        or with --whole-interval on the pessimistic end of the 95 % confidence interval.
        Example: \(CommandName.current) gate node-crash latency-injection --replications 5 --gate "recovery <= 5m" --junit gates.xml
        """)

    @Argument(help: "Scenarios to gate.")
    var scenarios: [String]

    @Option(name: .customLong("gate"), help: "A gate expression, e.g. \"recovery <= 3m\", \"availability >= 99.9%\" (repeatable).")
    var gates: [String] = []

    @Option(help: "Seeds per scenario.")
    var replications: Int = 3

    @Flag(help: "Every gate must pass over the whole 95 % confidence interval, not only on the mean.")
    var wholeInterval = false

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
            return (name: name, spec: spec, params: params, gates: all)
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

    func writeFile(_ path: String, _ text: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        do { try AtomicWrite.write(text, to: path) } catch { throw InputError("cannot write \(path): \(error.localizedDescription)") }
    }
}
