import Foundation
import Lab
import ScenarioKit
import Scenarios
import Stormglass
import Testing

/// `GateCheck`, the one call a user's test makes, judges as `stormglass gate` does: the same seeds,
/// the same values, the same verdicts, the same table.
@Suite struct GateCheckTests {
    @Test func itJudgesTheScenariosGatesAsTheCommandDoes() throws {
        let db = temporaryDirectory() + "/command.sqlite"
        let command = try stormglassProcess(["gate", "metrics-outage", "--replications", "2", "--db", db,
                                             "--junit", temporaryDirectory() + "/g.xml", "--quiet"])
        #expect(command.code == 1, "the HPA's p95 gate fails on this scenario: \(command.stdout)")

        let before = Set(try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()))
        let check = try GateCheck(Scenarios.metricsOutage, replications: 2)
        #expect(!check.passed)
        #expect(check.outcomes.map(\.gate.text) == ["p95:orders <= 500ms", "p95:orders-keda <= 500ms"])
        #expect(check.outcomes.map(\.verdict) == [.failed, .passed])
        #expect(check.outcomes.allSatisfy { $0.values.count == 2 })
        // The command's table is the same, value for value, from its own runs in its own process.
        let table = command.stdout.components(separatedBy: "\n\n").first ?? ""
        #expect(check.description == table, "\(check)\nvs\n\(table)")
        let after = Set(try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()))
        #expect(after.subtracting(before).filter { $0.hasPrefix("stormglass-gatecheck-") }.isEmpty, "its temporary database is removed")
    }

    @Test func addedGatesJoinTheScenariosOwnOnce() throws {
        let db = temporaryDirectory() + "/added.sqlite"
        let check = try GateCheck(Scenarios.metricsOutage, replications: 1,
                                  adding: ["p95:orders-keda <= 500ms", "availability >= 50%"], database: db)
        #expect(check.outcomes.map(\.gate.text) == ["p95:orders <= 500ms", "p95:orders-keda <= 500ms", "availability >= 50%"])
        #expect(check.outcomes.last?.verdict == .passed)
        #expect(FileManager.default.fileExists(atPath: db), "a database it was given is kept")
    }

    @Test func whatCannotBeJudgedIsSaidBeforeAnythingRuns() {
        #expect(throws: GateError.self) { try GateCheck(Scenarios.metricsOutage, adding: ["recovery 10m"]) }
        let noGates = Scenario("no-gates", "nothing to judge") {
            RunFor(.minutes(1))
            NodePool("general", count: 1)
            Service("api") { Replicas(1) }
            Traffic(to: "api", rate: 1)
        }
        #expect(throws: GateCheckError.self) { try GateCheck(noGates) }
        #expect(throws: GateCheckError.self) { try GateCheck(noGates, adding: ["p95:nosuch <= 1s"]) }
        #expect(throws: GateCheckError.self) { try GateCheck(noGates, replications: 0, adding: ["availability >= 99%"]) }
    }
}
