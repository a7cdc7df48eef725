import Foundation
import Scenarios
import Stormglass
import Testing

/// The worst-case search on a planted weakness whose edge queueing theory gives.
@Suite struct WorstCaseSearchTests {
    /// Four fixed replicas of 4 slots, exponential work of 50 ms: 320 requests/s at most. 100/s of traffic with a
    /// 10-minute surge: an M/M/16 queue saturates at a multiplier of 3.2, and its p95 passes 400 ms a little before
    /// (P(wait > t) = C·e^−(cμ−λ)t: at λ = 300/s, C ≈ 0.7, P(wait > 0.25 s) ≈ 0.5 %; at 315/s, ≈ 20 %).
    static func planted() -> ScenarioSpec {
        Scenario("planted", "") {
            RunFor(.minutes(30))
            NodePool("p", count: 2, cpuMillicores: 8000)
            Service("api") {
                Replicas(4, min: 4, max: 4)
                Concurrency(4)
                ServiceTime(.exponential(mean: 0.05))
                SLO(p95: .milliseconds(400), errorRate: 0.01)
            }
            Traffic(to: "api", rate: 100) { Surge(at: .minutes(10), multiplier: 1.5, rampUp: .minutes(1), hold: .minutes(10), decay: .minutes(1)) }
        }.spec
    }

    static func search(seed: UInt64, budget: Int) throws -> WorstCaseSearch {
        let spec = planted()
        return WorstCaseSearch(dimensions: [try SearchDimension("surge.multiplier=1...6", in: spec), try SearchDimension("surge.start=5m...25m", in: spec)],
                               breakCondition: try Gate("slo-violation > 2m"), budget: budget, batch: 4, seed: seed)
    }

    @Test func dimensionsAreTypedByTheParameterAndRefusedInWords() throws {
        let spec = Self.planted()
        let start = try SearchDimension("surge.start=5m...25m", in: spec)
        #expect(start.unit == .duration && start.low == 300 && start.high == 1500 && start.written == 600)
        #expect(start.value(at: 0.5) == "15m")
        let m = try SearchDimension("surge.multiplier=1...6", in: spec)
        #expect(m.unit == .number && m.written == 1.5 && m.value(at: 0.3) == "2.5")
        #expect(throws: InvalidInput.self) { try SearchDimension("surge.multiplier=6...1", in: spec) }
        #expect(throws: InvalidInput.self) { try SearchDimension("nonsense=1...2", in: spec) }
    }

    /// Five searches of 40 runs each find a breaking case, and shrinking brings it back to the written start and
    /// to a multiplier at the queue's edge (between 2.8 and 3.4).
    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64]) func findsAndShrinksThePlantedWeakness(seed: UInt64) throws {
        let search = try Self.search(seed: seed, budget: 40)
        let evaluate = search.evaluator(for: Self.planted(), seed: 1)
        let cases = try search.run(evaluate: evaluate)
        #expect(cases.count == 40)
        let worst = try #require(cases.first)
        #expect(worst.breaks, "\(search.settings(worst.position))")
        let shrunk = try search.shrink(worst, evaluate: evaluate)
        let settings = Dictionary(uniqueKeysWithValues: search.settings(shrunk.position).map { ($0.key, $0.value) })
        #expect(shrunk.breaks)
        #expect(settings["surge.start"] == "10m", "\(settings)")
        let multiplier = try #require(Double(settings["surge.multiplier"] ?? ""))
        #expect(multiplier >= 2.8 && multiplier <= 3.4, "\(settings)")
    }
}

/// `stormglass search` as a user runs it: what it prints, and that the gate it prints fails as it says.
@Suite struct SearchCommandTests {
    @Test func searchPrintsTheWorstCasesAndAGateThatReproducesTheShrunkOne() throws {
        let out = try stormglassProcess(["search", "node-crash", "--duration", "45m", "--vary", "api.replicas=6...20", "--vary", "general.count=3...6",
                                         "--break", "slo-violation > 1m", "--budget", "8", "--quiet"])
        #expect(out.code == 0, "\(out.stderr)")
        #expect(out.lines.first == "node-crash: searching api.replicas in 6…20, general.count in 3…6 for slo-violation > 1m; 8 runs, seed 1, search seed 1")
        #expect(out.lines.contains { $0.range(of: #"^[0-8] of 8 runs broke it \([0-9.]+ runs/s on [0-9]+ cores\)$"#, options: .regularExpression) != nil },
                "\(out.stdout)")
        let header = try #require(out.lines.firstIndex { $0.hasPrefix("rank") })
        #expect(out.lines[header].contains("api.replicas") && out.lines[header].contains("slo-violation"))
        let gate = try #require(out.lines.first { $0.hasPrefix("  stormglass gate node-crash --replications 1 --seed 1 --set api.replicas=") })
        #expect(gate.hasSuffix("--gate \"slo-violation <= 1m\""), "\(gate)")
        // The printed command, run: it must fail the gate (exit 1), since the case it reproduces breaks it.
        let words = gate.trimmingCharacters(in: .whitespaces).split(separator: " ").dropFirst().map(String.init)
        var arguments: [String] = []
        var i = 0
        while i < words.count {   // the gate expression is one quoted argument
            if words[i].hasPrefix("\"") { arguments.append(words[i...].joined(separator: " ").trimmingCharacters(in: CharacterSet(charactersIn: "\""))); break }
            arguments.append(words[i]); i += 1
        }
        let dir = temporaryDirectory()
        let replay = try stormglassProcess(arguments + ["--duration", "45m", "--db", dir + "/g.sqlite", "--junit", dir + "/g.xml", "--quiet"])
        #expect(replay.code == 1, "\(arguments) \(replay.stdout) \(replay.stderr)")
    }

    @Test func searchRefusesWhatCannotWorkAllAtOnce() throws {
        let bad = try stormglassProcess(["search", "node-crash", "--vary", "api.replicas=9...3", "--vary", "nonsense=1...2", "--budget", "0"])
        #expect(bad.code == 2)
        for part in ["give --break", "--budget 0: must be in 1…100000", "--vary api.replicas=9...3: a search range is lo...hi with lo < hi",
                     "--vary nonsense: unknown parameter"] {
            #expect(bad.stderr.contains(part), "\(part): \(bad.stderr)")
        }
    }
}

/// A fault's timing is a parameter like any other: listed, set, and searched.
@Suite struct FaultTimingParameterTests {
    @Test func aFaultsStartAndDurationAreParameters() throws {
        let listed = try stormglassProcess(["list", "--parameters", "latency-injection"])
        let start = try #require(listed.lines.first { $0.hasPrefix("faults.") && $0.contains(".start ") }, "\(listed.stdout)")
        let name = String(start.dropFirst("faults.".count).prefix { $0 != " " }.dropLast(".start".count))
        var spec = try #require(Scenarios.all.first { $0.name == "latency-injection" }).spec
        let fault = try #require(spec.faults.first { $0.name == name })
        #expect(start.contains(" \(fault.start) "), "\(start)")
        try spec.set("faults.\(name).start", "50m")
        try spec.set("faults.\(name).duration", "7m")
        #expect(spec.faults[0].start == .minutes(50) && spec.faults[0].duration == .minutes(7))
        try spec.set("faults.\(name).duration", "none")
        #expect(spec.faults[0].duration == nil)
        let dimension = try SearchDimension("faults.\(name).start=10m...2h", in: spec)
        #expect(dimension.unit == .duration && dimension.written == 3000)
        #expect(throws: ParameterError.self) { try spec.set("faults.\(name).start", "soon") }
    }
}

/// Commands that write files leave nothing in the temporary directory (Foundation's atomic writes left a
/// `TemporaryDirectory.*` folder per file on Linux), and still write their files whole.
@Suite struct FileWritingHygieneTests {
    @Test func writingReportsChartsExportsAndJUnitLeavesTheTemporaryDirectoryEmpty() throws {
        let dir = temporaryDirectory(), tmp = dir + "/tmp"
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        let env = ["TMPDIR": tmp]
        let db = dir + "/r.sqlite"
        for args in [["run", "node-crash", "--duration", "40m", "--db", db, "--quiet"],
                     ["report", db, "-o", dir + "/reports"],
                     ["export", db, "--table", "events", "-o", dir + "/events.csv"],
                     ["plot", db, "--plots-dir", dir + "/plots"],
                     ["gate", "node-crash", "--duration", "40m", "--replications", "1", "--gate", "recovery <= 1h",
                      "--db", dir + "/g.sqlite", "--junit", dir + "/gates.xml", "--markdown", dir + "/gates.md", "--quiet"]] {
            let out = try stormglassProcess(args, environment: env)
            #expect(out.code == 0, "\(args[0]): \(out.stderr)")
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: tmp)
        #expect(left.isEmpty, "\(left)")
        let reports = try FileManager.default.contentsOfDirectory(atPath: dir + "/reports")
        #expect(!reports.isEmpty && reports.allSatisfy { $0.hasSuffix(".md") }, "\(reports)")
        #expect(try String(contentsOfFile: dir + "/events.csv", encoding: .utf8).hasPrefix("run_id,t,kind,subject,detail\n"))
        #expect(try String(contentsOfFile: dir + "/gates.xml", encoding: .utf8).contains("<testsuites"))
        let hidden = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".") }
        #expect(hidden.isEmpty, "\(hidden)")
    }
}
