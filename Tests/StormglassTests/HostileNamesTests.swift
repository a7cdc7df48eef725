@testable import Lab
import Foundation
import GRDB
import Testing
@testable import Charts
import Recorder
import ScenarioKit
import Scenarios
import Telemetry
@testable import StormglassCLI

/// Text from a results file or the command line reaches gnuplot and file names as data, never as code.
@Suite(.serialized) struct HostileNamesTests {
    /// Each payload would create `marker` if gnuplot ran it as a command.
    static func payloads(_ marker: String) -> [String] {
        ["a`touch \(marker)-1`b", "x\n!touch \(marker)-2\n", "q\"; system('touch \(marker)-3'); \"",
         "$(touch \(marker)-4)", "@m`touch \(marker)-5`", "'`touch \(marker)-6`'", "../../escape", "q''x''''y'"]
    }

    @Test func chartsOfARunWithHostileNamesExecuteNothingAndStayInTheirFolder() async throws {
        guard (try? Gnuplot()) != nil else { return }   // no gnuplot, no charts: nothing to attack
        let dir = temporaryDirectory()
        let marker = dir + "/PWNED"
        let path = dir + "/h.sqlite"
        var spec = Scenarios.named("node-crash")!.spec
        try spec.set("duration", "45m")
        let store = try ResultsStore(path: path)
        let run = try RunExecutor(store: store, progress: ProgressLine(quiet: true))
            .runOne(RunJob(spec: spec, seed: 1, label: "", replication: 0, parameters: [:]), showRunProgress: false)
        let p = Self.payloads(marker)
        try await DatabaseQueue(path: path).write { db in
            try db.execute(sql: "UPDATE runs SET scenario = ?", arguments: [p.joined()])
            try db.execute(sql: "UPDATE services SET service = ? || service", arguments: [p[0] + p[6] + p[7]])
            try db.execute(sql: "UPDATE service_samples SET service = ? || service", arguments: [p[0] + p[6] + p[7]])
            try db.execute(sql: "UPDATE predictions SET service = ? || service", arguments: [p[0] + p[6] + p[7]])
            try db.execute(sql: "UPDATE events SET subject = ?", arguments: [p[1] + p[2] + p[3]])
            try db.execute(sql: "UPDATE forecast_accuracy SET model = ? || model", arguments: [p[4] + p[5] + p[7]])
        }
        let out = dir + "/plots"
        let files = try await RunCharts(databasePath: path, outputDirectory: out, format: .png).render(run: run.runID, prefix: p[5] + p[6])
        #expect(files.count >= 4)
        let made = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(!made.contains { $0.hasPrefix("PWNED") }, "a payload ran: \(made)")
        for f in files {
            #expect(URL(fileURLWithPath: f).deletingLastPathComponent().standardized.path == URL(fileURLWithPath: out).standardized.path, "\(f) is outside \(out)")
            #expect(((try? FileManager.default.attributesOfItem(atPath: f)[.size] as? Int) ?? 0) > 1000, "\(f) is empty")
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/escape"))
    }

    @Test func gnuplotLiteralsHoldNoCode() {
        #expect(GnuplotScript.literal("a'b") == "'a'.\"'\".'b'")
        #expect(GnuplotScript.literal("''x''") == "\"''\".'x'.\"''\"")
        #expect(GnuplotScript.literal("x\n!rm -rf /\r\u{2028}") == "'x !rm -rf /  '")
        #expect(GnuplotScript.literal("`id`") == "'`id`'")   // single quotes: gnuplot substitutes nothing
        #expect(FileName.component("../a b/`c`") == "_._a_b__c_")
        #expect(FileName.component("") == "_")
        #expect(FileName.component(".hidden") == "_hidden")
        #expect(throws: ChartError.self) { try GnuplotScript.outputPath(directory: "plots\n!x", name: "a.png") }
    }
}
