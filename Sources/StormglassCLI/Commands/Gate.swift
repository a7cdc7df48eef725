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
        Example: stormglass gate node-crash latency-injection --replications 5 --gate "recovery <= 5m" --junit gates.xml
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

    @Option(help: "Markdown summary.")
    var markdown: String = "results/gates.md"

    @OptionGroup var options: ScenarioOptions
    @OptionGroup var database: DatabaseOption

    @Flag(help: "No progress display.")
    var quiet = false

    struct Outcome { var scenario: String; var gate: Gate; var values: [Double?]; var mean: Double?; var halfWidth: Double; var passed: Bool; var wall: Double }

    func run() throws {
        guard !scenarios.isEmpty else { throw InputError("name at least one scenario") }
        guard replications >= 1 else { throw InputError("--replications must be ≥ 1") }
        var extra: [Gate] = []
        for g in gates {
            do { extra.append(try Gate(g, wholeInterval: wholeInterval)) } catch let e as GateError { throw InputError(e.description) }
        }
        let store = try ResultsStore(path: database.db)
        var outcomes: [Outcome] = []
        for name in scenarios {
            let (spec, params) = try options.resolve(name)
            let all = (spec.gates.map { var g = $0; g.wholeInterval = g.wholeInterval || wholeInterval; return g }) + extra
            if all.isEmpty { throw InputError("\(name) declares no gates; add --gate \"…\"") }
            let jobs = (0..<replications).map { RunJob(spec: spec, seed: spec.seed + UInt64($0), label: "gate", replication: $0, parameters: params) }
            let started = Date()
            let done = try RunExecutor(store: store, progress: ProgressLine(quiet: quiet)).run(jobs)
            let wall = Date().timeIntervalSince(started)
            for gate in all {
                let values = try done.map { try GateMeasure.value(gate.metric, store: store, run: $0.runID) }
                let finite = values.compactMap { $0 }
                let (mean, half) = finite.count == values.count && !finite.isEmpty ? Statistics.meanAndHalfWidth95(finite) : (Double.nan, 0)
                let measured: Double? = finite.count == values.count ? (gate.wholeInterval ? gate.worstEnd(mean: mean, halfWidth: half) : mean) : nil
                outcomes.append(Outcome(scenario: name, gate: gate, values: values, mean: finite.count == values.count ? mean : nil,
                                        halfWidth: half, passed: gate.passes(measured), wall: wall / Double(all.count)))
            }
        }
        var t = TextTable(["scenario", "gate", "measured (mean ± 95% CI)", "result"])
        for o in outcomes { t.add([o.scenario, o.gate.description, GateMeasure.format(o), o.passed ? "pass" : "FAIL"]) }
        print(t.rendered)
        try write(junit: outcomes)
        try write(markdown: outcomes)
        print("\njunit: \(junit)   summary: \(markdown)   results: \(database.db)")
        if outcomes.contains(where: { !$0.passed }) {
            print("\(outcomes.filter { !$0.passed }.count) of \(outcomes.count) gates failed")
            throw ExitCode(Exit.gateFailed)
        }
    }

    func writeFile(_ path: String, _ text: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch { throw InputError("cannot write \(path): \(error.localizedDescription)") }
    }

    func write(junit outcomes: [Outcome]) throws {
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<testsuites name=\"stormglass gates\" tests=\"\(outcomes.count)\" failures=\"\(outcomes.filter { !$0.passed }.count)\">\n"
        for name in scenarios {
            let mine = outcomes.filter { $0.scenario == name }
            xml += "  <testsuite name=\"\(esc(name))\" tests=\"\(mine.count)\" failures=\"\(mine.filter { !$0.passed }.count)\">\n"
            for o in mine {
                xml += "    <testcase classname=\"stormglass.\(esc(name))\" name=\"\(esc(o.gate.description))\" time=\"\(String(format: "%.3f", o.wall))\">\n"
                if !o.passed {
                    xml += "      <failure message=\"measured \(esc(GateMeasure.format(o))), required \(esc(o.gate.text))\">"
                    xml += esc("per seed: " + o.values.map { $0.map { String(format: "%.6g", $0) } ?? "not measured" }.joined(separator: ", "))
                    xml += "</failure>\n"
                }
                xml += "      <system-out>\(esc("measured " + GateMeasure.format(o)))</system-out>\n    </testcase>\n"
            }
            xml += "  </testsuite>\n"
        }
        xml += "</testsuites>\n"
        try writeFile(junit, xml)
    }

    func write(markdown outcomes: [Outcome]) throws {
        var md = "# Resilience gates\n\n\(replications) seed\(replications == 1 ? "" : "s") per scenario.\n\n| scenario | gate | measured (mean ± 95% CI) | result |\n|---|---|---|---|\n"
        for o in outcomes { md += "| \(o.scenario) | `\(o.gate.description)` | \(GateMeasure.format(o)) | \(o.passed ? "✅ pass" : "❌ FAIL") |\n" }
        try writeFile(markdown, md)
    }
}

/// Reads a gate's metric for one run from the database.
enum GateMeasure {
    static func value(_ m: Gate.Metric, store: ResultsStore, run: Int64) throws -> Double? {
        let f = try store.summary(run: run)
        let faults = f.filter { $0.key.hasPrefix("fault:") }
        func worst(_ key: String) -> Double? {
            if faults.isEmpty { return 0 }
            var w = 0.0
            for x in faults.values { guard let v = x[key] else { return nil }; w = max(w, v) }
            return w
        }
        switch m {
        case .recovery: return worst("recovery_s")
        case .detect: return worst("detect_s")
        case .mitigate: return worst("mitigate_s")
        case .sloViolation: return f["*"]?["slo_violation_minutes"]
        case .availability: return f["*"]?["availability"]
        case .cost: return f["*"]?["cost"]
        case .resilience: return f["*"]?["resilience_score"]
        case .p95(let s): return f[s]?["p95_s"]
        case .accuracy(let h):
            let xs = try store.accuracy(run: run).filter { $0.model == "auto" && abs($0.horizon - h) < 1e-6 }.map(\.accuracy)
            return xs.isEmpty ? nil : xs.min()
        }
    }

    static func format(_ o: GateCommand.Outcome) -> String {
        guard let mean = o.mean else { return "not measured (e.g. not recovered)" }
        func f(_ x: Double) -> String {
            switch o.gate.metric {
            case .recovery, .detect, .mitigate: return String(format: "%.0f s", x)
            case .p95: return String(format: "%.0f ms", x * 1000)
            case .sloViolation: return String(format: "%.2f min", x)
            case .availability, .accuracy, .resilience: return String(format: "%.3f%%", x * 100)
            case .cost: return String(format: "$%.2f", x)
            }
        }
        return o.values.count > 1 ? "\(f(mean)) ± \(f(o.halfWidth))" : f(mean)
    }
}
