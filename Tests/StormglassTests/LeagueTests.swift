import Foundation
@testable import Lab
import Testing

@Suite struct LeagueTests {
    static let traces = repositoryRoot.appendingPathComponent("traces/nab")

    func entry(_ slo: Double, _ cost: Double) -> PolicyLeague.Entry {
        PolicyLeague.Entry(trace: "t", policy: "p", sloMinutes: slo, cost: cost, scalingActions: 0, oscillations: 0)
    }

    /// The verdict rule as the README states it.
    @Test func verdictsFollowTheStatedRule() {
        let hpa = entry(20, 100)
        #expect(PolicyLeague.verdict(entry(5, 109), against: hpa) == .win, "fewer minutes at ≤ +10 % cost")
        #expect(PolicyLeague.verdict(entry(5, 111), against: hpa) == .loss, "fewer minutes at > +10 % cost")
        #expect(PolicyLeague.verdict(entry(21, 100), against: hpa) == .tie, "within 5 % of the HPA's minutes is equal")
        #expect(PolicyLeague.verdict(entry(22, 90), against: hpa) == .loss, "more minutes lose, however cheap")
        let clean = entry(0, 100)
        #expect(PolicyLeague.verdict(entry(0.25, 98), against: clean) == .win, "equal (within half a minute) and ≥ 1 % cheaper")
        #expect(PolicyLeague.verdict(entry(0, 102.9), against: clean) == .tie)
        #expect(PolicyLeague.verdict(entry(0, 103.5), against: clean) == .loss, "equal minutes at more than +3 % cost")
    }

    @Test func leaguePrintsARowPerTraceAndPolicyAndTheSummary() throws {
        let dir = temporaryDirectory()
        let trace = dir + "/traces"
        try FileManager.default.createDirectory(atPath: trace, withIntermediateDirectories: true)
        for f in ["art_daily_jumpsup.csv", "ec2_cpu_utilization_825cc2.csv"] {
            try FileManager.default.copyItem(atPath: Self.traces.appendingPathComponent(f).path, toPath: trace + "/" + f)
        }
        let out = try stormglassProcess(["league", "--traces", trace, "--policy", "hpa", "--policy", "predictive", "--replications", "1",
                                         "--longest", "3h", "--db", dir + "/l.sqlite", "--quiet"])
        #expect(out.code == 0, "\(out.stderr)")
        for t in ["art_daily_jumpsup", "ec2_cpu_utilization_825cc2"] {
            let rows = out.lines.filter { $0.hasPrefix(t + " ") }
            #expect(rows.count == 2, "\(t): \(out.stdout)")
            #expect(rows.contains { $0.contains(" hpa ") })
            let predictive = try #require(rows.first { $0.contains(" predictive ") })
            #expect(["win", "tie", "loss"].contains(predictive.split(separator: " ").last.map(String.init) ?? ""), "\(predictive)")
        }
        let summary = try #require(out.lines.first { $0.hasPrefix("predictive ") })
        let counts = summary.split(separator: " ").dropFirst().prefix(3).compactMap { Int($0) }
        #expect(counts.reduce(0, +) == 2, "wins + ties + losses = traces: \(summary)")
    }

    @Test func badLeagueInputIsRefusedWithEveryProblem() throws {
        let out = try stormglassProcess(["league", "--traces", "/nonexistent", "--policy", "nosuch", "--replications", "0", "--peak=-1"])
        #expect(out.code == 2)
        for needle in ["--traces /nonexistent: no such file or folder", "--policy nosuch: no such policy", "--replications 0", "--peak -1"] {
            #expect(out.stderr.contains(needle), "\(needle): \(out.stderr)")
        }
    }
}
