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
        let gate = try #require(out.lines.first { $0.hasPrefix("  stormglass gate node-crash --replications 1 --seed 1 --set duration=45m --set api.replicas=") })
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
        let replay = try stormglassProcess(arguments + ["--db", dir + "/g.sqlite", "--junit", dir + "/g.xml", "--quiet"])
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

/// Where a fault hits, whether it happens and how big it is are parameters too, and a search can move between
/// listed values (a fault's target, a policy, a fault switched off).
@Suite struct FaultChoiceParameterTests {
    static func value(_ spec: ScenarioSpec, _ key: String) -> String? { spec.parameters.first { $0.key == key }?.value(in: spec) }

    @Test func aFaultsTargetTakesEveryFormAndRefusesTheRest() throws {
        var spec = try #require(Scenarios.named("node-crash")).spec
        #expect(Self.value(spec, "faults.crash.target") == "random:1")
        for text in ["node:general-1", "random:2,pool=general", "percent:50.0,zone=a", "zone:a", "pool:general", "service:api", "call:api>db"] {
            try spec.set("faults.crash.target", text)
            #expect(Self.value(spec, "faults.crash.target") == text)
        }
        try spec.set("faults.crash.target", "random:2,pool=general")
        #expect(spec.faults[0].target == .randomNodes(count: 2, pool: "general", zone: nil))
        for bad in ["random:x", "nowhere:1", "node:", "random:2,colour=red", "call:api", "service"] {
            #expect(throws: ParameterError.self, "\(bad)") { try spec.set("faults.crash.target", bad) }
        }
        // Whether the node exists is validation's to say, by path.
        try spec.set("faults.crash.target", "node:general-99")
        #expect(spec.validate().contains { $0.path == "faults.crash" && $0.message.contains("unknown node \"general-99\"") })
    }

    @Test func aFaultSwitchedOffLeavesTheRunAndComesBack() throws {
        var spec = try #require(Scenarios.named("retry-storm")).spec
        try spec.set("faults.latency.fixed", "250ms")
        #expect((spec.faults[0].kind as? LatencyInjection)?.fixed == .milliseconds(250))
        #expect(throws: ParameterError.self) { try spec.set("faults.latency.fixed", "-1s") }
        try spec.set("faults.latency.enabled", "false")
        #expect(spec.faults.isEmpty && Self.value(spec, "faults.latency.enabled") == "false")
        #expect(throws: ParameterError.self) { try spec.set("faults.latency.enabled", "maybe") }
        try spec.set("faults.latency.enabled", "true")
        #expect(spec.faults.map(\.name) == ["latency"] && (spec.faults[0].kind as? LatencyInjection)?.fixed == .milliseconds(250))
    }

    @Test func aListOfValuesIsADimensionAndEachValueIsCheckedFirst() throws {
        let spec = try #require(Scenarios.named("node-crash")).spec
        let d = try SearchDimension("faults.crash.enabled=true|false", in: spec)
        #expect(d.unit == .choice(["true", "false"]) && d.value(at: 0) == "true" && d.value(at: 1) == "false" && d.asWritten == "true")
        let targets = try SearchDimension("faults.crash.target=random:1|random:2|random:3", in: spec)
        #expect(targets.value(at: 0.5) == "random:2" && targets.rangeText == "random:1|random:2|random:3")
        #expect(throws: InvalidInput.self) { try SearchDimension("faults.crash.enabled=true|maybe", in: spec) }
        #expect(throws: InvalidInput.self) { try SearchDimension("faults.crash.enabled=true|true", in: spec) }
    }

    /// The HPA's stabilization windows are parameters, and a changed window reaches the controller (the trap of
    /// TimingWeaknessSearchTests holds with the default window and breaks with 30 s).
    @Test func theHPAWindowsAreParameters() throws {
        var spec = try #require(Scenarios.named("black-friday")).spec
        let service = try #require(spec.services.first { $0.policy is HPAPolicy }).name
        #expect(Self.value(spec, "\(service).hpa.scaleDown.window") == "5m")
        try spec.set("\(service).hpa.scaleDown.window", "30s")
        #expect(Self.value(spec, "\(service).hpa.scaleDown.window") == "30s")
        #expect(throws: ParameterError.self) { try spec.set("\(service).hpa.scaleUp.window", "2h") }
    }
}

/// `search --swift` and `gate --search`: a found case becomes a regression test in one step.
@Suite struct SearchRegressionCommandTests {
    @Test func searchWritesTheShrunkCaseAsASwiftScenarioMatchingItsGateCommand() throws {
        let dir = temporaryDirectory()
        let out = try stormglassProcess(["search", "node-crash", "--duration", "45m", "--vary", "api.replicas=2...8", "--vary", "faults.crash.start=10m...40m",
                                         "--break", "slo-violation > 1m", "--budget", "8", "--swift", dir + "/Regression.swift", "--quiet"])
        #expect(out.code == 0, "\(out.stderr)")
        let gate = try #require(out.lines.first { $0.hasPrefix("  stormglass gate node-crash") }, "\(out.stdout)")
        let swift = try String(contentsOfFile: dir + "/Regression.swift", encoding: .utf8)
        #expect(swift.contains("public static let nodeCrashRegression = Scenario(\"node-crash-regression\"") && swift.contains("BasedOn(.nodeCrash)"))
        #expect(swift.contains("Gates(\"slo-violation <= 1m\")") && swift.contains("Override(\"duration\", \"45m\")"))
        // The same overrides as the gate command, in the same order.
        let sets = gate.components(separatedBy: "--set ").dropFirst().map { $0.split(separator: " ")[0] }
        let overrides = swift.split(separator: "\n").filter { $0.contains("Override(") }.map { line -> String in
            let parts = line.components(separatedBy: "\"")
            return "\(parts[1])=\(parts[3])"
        }
        #expect(sets.map(String.init) == overrides, "\(gate)\n\(swift)")
        #expect(out.lines.contains("as a Swift scenario: \(dir)/Regression.swift"))
    }

    @Test func theSwiftScenarioKeepsEveryTextAsText() throws {
        let spec = try #require(Scenarios.named("node-crash")).spec
        let search = WorstCaseSearch(dimensions: [try SearchDimension("api.replicas=2...8", in: spec)], breakCondition: try Gate("slo-violation > 1m"),
                                     budget: 1, batch: 1, seed: 1)
        let text = search.swiftScenario(SearchCase(position: [0], value: 2, badness: 1), base: "odd \"name\"\\", baseExpression: ".x",
                                        provenance: "line one\rpublic func evil() {}\u{2028}more\nline two")
        for line in text.split(separator: "\n") where line.contains("evil") || line.contains("line two") {
            #expect(line.trimmingCharacters(in: .whitespaces).hasPrefix("///"), "\(line)")
        }
        #expect(text.contains("Scenario(\"odd \\\"name\\\"\\\\-regression\""), "\(text)")
        #expect(text.contains("public static let oddNameRegression"), "\(text)")
    }

    @Test func gateSearchFailsWithTheShrunkCaseInTheJUnitMessage() throws {
        let dir = temporaryDirectory()
        let failing = try stormglassProcess(["gate", "node-crash", "--duration", "45m", "--replications", "1", "--gate", "slo-violation <= 1m",
                                             "--search", "8", "--vary", "api.replicas=2...4", "--db", dir + "/g.sqlite", "--junit", dir + "/g.xml",
                                             "--markdown", dir + "/g.md", "--quiet"])
        #expect(failing.code == 1, "\(failing.stdout) \(failing.stderr)")
        let junit = try String(contentsOfFile: dir + "/g.xml", encoding: .utf8)
        #expect(junit.contains("name=\"slo-violation &lt;= 1m, searched over 8 runs\""), "\(junit)")
        #expect(junit.contains("<failure message=\"a search of 8 runs broke it: --set duration=45m --set api.replicas="), "\(junit)")
        #expect(junit.contains("reproduce: stormglass gate node-crash --replications 1 --seed 1 --set duration=45m --set api.replicas="), "\(junit)")
        #expect(try String(contentsOfFile: dir + "/g.md", encoding: .utf8).contains("searched over 8 runs"))

        let holding = try stormglassProcess(["gate", "node-crash", "--duration", "45m", "--replications", "1", "--gate", "slo-violation <= 45m",
                                             "--search", "4", "--vary", "api.replicas=6...8", "--db", dir + "/h.sqlite", "--junit", dir + "/h.xml", "--quiet"])
        #expect(holding.code == 0, "\(holding.stdout) \(holding.stderr)")
        #expect(holding.stdout.contains("slo-violation <= 45m, searched over 4 runs"), "\(holding.stdout)")

        let refused = try stormglassProcess(["gate", "node-crash", "--search", "4"])
        #expect(refused.code == 2 && refused.stderr.contains("--search needs at least one --vary"), "\(refused.stderr)")
    }
}

/// A sharded search: each shard an independent search of its share of the budget, combined with --merge.
@Suite struct SearchShardingTests {
    @Test func shardsSearchIndependentlyAndMergeToTheWorst() throws {
        let dir = temporaryDirectory()
        let common = ["search", "node-crash", "--duration", "45m", "--vary", "api.replicas=2...8", "--break", "slo-violation > 1m", "--budget", "9", "--quiet"]
        var seeds: [String] = []
        for i in 0..<2 {
            let out = try stormglassProcess(common + ["--shard", "\(i)/2", "--json", dir + "/s\(i).json"])
            #expect(out.code == 0, "\(out.stderr)")
            let line = try #require(out.lines.first { $0.hasPrefix("shard \(i)/2: an independent search of ") }, "\(out.stdout)")
            #expect(line.contains("of \(i == 0 ? 5 : 4) runs"), "\(line)")   // 9 runs: 5 and 4
            seeds.append(String(line.split(separator: " ").last!))
        }
        #expect(seeds[0] != seeds[1])
        let merged = try stormglassProcess(["search", "--merge", dir + "/s0.json", "--merge", dir + "/s1.json"])
        #expect(merged.code == 0, "\(merged.stderr)")
        #expect(merged.lines.first?.hasPrefix("node-crash: 2 shards, 9 runs, ") == true, "\(merged.stdout)")
        let worst = try #require(merged.lines.first { $0.hasPrefix("worst: duration=45m api.replicas=") }, "\(merged.stdout)")
        // The worst of the two shards' shrunk cases is the one merge names.
        let results = try (0..<2).map { i -> [String: Any] in
            try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/s\(i).json"))) as? [String: Any])
        }
        let shrunk = results.compactMap { $0["shrunk"] as? [String: Any] }
        let best = try #require(shrunk.max { ($0["badness"] as? Double ?? 0) < ($1["badness"] as? Double ?? 0) })
        #expect(worst.hasPrefix("worst: " + ((best["settings"] as? [String]) ?? []).joined(separator: " ")), "\(worst) \(best)")

        let wrong = try stormglassProcess(["search", "--merge", dir + "/nothing.json", "--merge", dir])
        #expect(wrong.code == 2 && wrong.stderr.contains("nothing.json: cannot be read"), "\(wrong.stderr)")
    }

    @Test func aShardedBoundaryMapsEveryNthPoint() throws {
        let args = ["search", "retry-storm", "--duration", "35m", "--set", "faults.latency.start=10m", "--boundary", "faults.latency.fixed=0ms...1s",
                    "--over", "checkout.rate=300,400,500", "--break", "recovery-after-end > 5m", "--steps", "1", "--quiet"]
        let one = try stormglassProcess(args + ["--shard", "1/2"])
        #expect(one.code == 0, "\(one.stderr)")
        let rows = MetastabilityBoundaryTests.rows(one)
        #expect(rows.map { $0[0] } == ["400"], "\(one.stdout)")
    }
}
