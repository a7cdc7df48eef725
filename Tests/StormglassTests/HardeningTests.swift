import Foundation
import GRDB
import Testing
@testable import Recorder

/// Bad input gets a clear error and exit 2, and nothing is lost or misread (the reliability issue's
/// reproductions, run as a user runs them).
@Suite(.serialized) struct HardeningTests {
    func recordedRun() throws -> (dir: String, db: String) {
        let dir = temporaryDirectory("hardening")
        let db = dir + "/r.sqlite"
        #expect(try stormglassProcess(["run", "node-crash", "--duration", "35m", "--db", db, "--quiet"]).code == 0)
        return (dir, db)
    }

    @Test func anUnknownRunIsAnErrorForEveryReadingVerb() throws {
        let (dir, db) = try recordedRun()
        for verb in [["show", db], ["report", db], ["export", db, "--csv"], ["plot", db, "--plots-dir", dir + "/p"]] {
            let out = try stormglassProcess(verb + ["--run", "99"])
            #expect(out.code == 2, "\(verb[0]) --run 99 exited \(out.code)")
            #expect(out.stderr.contains("no run 99 in \(db) (runs 1…1)"), "\(verb[0]): \(out.stderr)")
        }
    }

    @Test func mergingAFileIntoItselfIsRefusedInWords() throws {
        let (_, db) = try recordedRun()
        let out = try stormglassProcess(["merge", db, "-o", db])
        #expect(out.code == 2 && out.stderr.contains("cannot merge \(db) into itself"))
        #expect(try ResultsStore(path: db).runs().count == 1, "nothing was copied")
    }

    @Test func csvExportNeutralisesSpreadsheetFormulas() throws {
        let (dir, db) = try recordedRun()
        try DatabaseQueue(path: db).write { try $0.execute(sql: "UPDATE runs SET label = '=HYPERLINK(\"http://x\")', scenario = '@SUM(1)'") }
        let out = try stormglassProcess(["export", db, "--csv", "--table", "runs", "-o", dir + "/runs.csv"])
        #expect(out.code == 0)
        let csv = try String(contentsOfFile: dir + "/runs.csv", encoding: .utf8)
        #expect(csv.contains("\"'=HYPERLINK(\"\"http://x\"\")\"") && csv.contains(",'@SUM(1),"))
        #expect(!csv.contains(",=") && !csv.contains(",@"))
        // Numbers stay numbers: a negative value is not text.
        #expect(ResultsStore.neutralised("-3") == "'-3" && ResultsStore.neutralised("abc") == "abc")
    }

    @Test func faultsAreRecordedSoReportsNeedNoEventText() throws {
        let (_, db) = try recordedRun()
        let faults = try ResultsStore(path: db).faults(run: 1)
        #expect(faults.count == 1)
        let f = try #require(faults.first)
        #expect(f.name == "crash" && f.kind == "node-crash" && f.targetService == nil && f.start == 1800 && f.duration == nil)
        #expect(f.target == "1 random node")
    }
}
