import Foundation
import GRDB
import Testing
@testable import Recorder
import ClusterModel
import ScenarioKit
import Scenarios

/// `--replay` and `stormglass replay`, run as a user runs them.
@Suite(.serialized) struct ReplayCommandTests {
    let example = repositoryRoot.appendingPathComponent("Examples/Replay").path

    func samples(_ db: String) throws -> [String] {
        try DatabaseQueue(path: db).read { try String.fetchAll($0, sql: "SELECT service || '|' || t || '|' || arrivals || '|' || completed || '|' || p95 || '|' || desired FROM service_samples ORDER BY rowid") }
    }

    @Test func theSameTraceAsCSVOrPrometheusJSONGivesIdenticalRuns() throws {
        let dir = temporaryDirectory("replay-formats")
        var results: [[String]] = []
        for file in ["checkout-requests.csv", "checkout-requests.json"] {
            let db = dir + "/\(file).sqlite"
            let out = try stormglassProcess(["run", "black-friday", "--replay", "checkout=\(example)/\(file)", "--replay-values", "per-second",
                                             "--replay-scale", "100", "--duration", "3h", "--db", db, "--quiet"])
            #expect(out.code == 0, "\(out.stderr)")
            results.append(try samples(db))
        }
        #expect(results[0].count > 700 && results[0] == results[1])
        // The replay is recorded with the run.
        let runs = try ResultsStore(path: dir + "/checkout-requests.json.sqlite").runs()
        #expect(runs.first?.parameters.contains("replay.checkout") == true)
    }

    @Test func aReplayKeepsTheServicesShapesSoParametersStillApply() throws {
        var spec = Scenarios.blackFriday.spec
        let shapes = spec.traffic[0].shapes
        guard case .success(let source) = RateSource.replaying(example + "/checkout-requests.csv", settings: ReplaySettings(valuesAre: .perSecond)) else {
            Issue.record("the example trace reads"); return
        }
        spec.replaceTraffic(of: "checkout", with: source)
        #expect(spec.traffic.count == 1 && spec.traffic[0].source == source && spec.traffic[0].shapes == shapes)
        try spec.set("surge.multiplier", "2")
        guard case .surge(_, _, _, _, let multiplier)? = spec.traffic[0].shapes.first(where: { $0.name == "surge" })?.shape else {
            Issue.record("the surge is still there"); return
        }
        #expect(multiplier == 2)
    }

    @Test func badReplaysListEveryProblemAndRecordNothing() throws {
        let dir = temporaryDirectory("replay-bad")
        try #"{"status":"success","data":{"resultType":"vector","result":[]}}"#.write(toFile: dir + "/v.json", atomically: false, encoding: .utf8)
        let db = dir + "/r.sqlite"
        let out = try stormglassProcess(["run", "black-friday", "--replay", "nope=x.csv", "--replay", "checkout=\(dir)/v.json",
                                         "--replay-scale=-1", "--db", db])
        #expect(out.code == 2)
        for message in ["--replay: scale -1.0 must be in 0…1000000", "black-friday has no service \"nope\" (services: checkout, payments)",
                        "v.json: at data.resultType: is \"vector\", expected \"matrix\""] {
            #expect(out.stderr.contains(message), "\(out.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: db))
        let empty = try stormglassProcess(["run", "black-friday", "--replay", "checkout=\(dir)/none.csv", "--db", db])
        #expect(empty.code == 2 && empty.stderr.contains("none.csv: no such file"))
    }

    @Test func replayShowsWhatTheManifestsHPAWouldHaveDone() throws {
        let dir = temporaryDirectory("replay-cmd")
        let db = dir + "/r.sqlite"
        let out = try stormglassProcess(["replay", "--manifests", example + "/k8s", "--trace", "checkout=\(example)/checkout-requests.json",
                                         "--replay-values", "per-second", "--replay-scale", "60", "--cpu-per-request", "25ms",
                                         "--duration", "6h", "--vs", "fixed", "--db", db, "--quiet"])
        #expect(out.code == 0, "\(out.stderr)")
        #expect(out.stdout.contains("replay: checkout (hpa, 2…30 replicas) over 6h of traffic, seed 1"), "\(out.stdout)")
        let rows = out.stdout.split(separator: "\n")
        #expect(rows.contains { $0.hasPrefix("hpa ") } && rows.contains { $0.hasPrefix("fixed ") })
        // The fixed baseline holds the Deployment's 3 replicas; the HPA moves within its bounds.
        #expect(out.stdout.contains("fixed: checkout replicas 3…3, 0 changes"))
        let hpa = try #require(rows.first { $0.hasPrefix("hpa: checkout replicas") })
        #expect(!hpa.hasSuffix(" 0 changes"))
        let decisions = try DatabaseQueue(path: db).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM decisions WHERE policy = 'hpa'") }
        #expect((decisions ?? 0) > 0)
    }

    @Test func badManifestsAreExit2WithFileLineAndPath() throws {
        let dir = temporaryDirectory("replay-manifests")
        try "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\nspec:\n  scaleTargetRef:\n    kind: Deployment\n    name: web\n  maxReplicas: 5\n"
            .write(toFile: dir + "/hpa.yaml", atomically: false, encoding: .utf8)
        try "timestamp,value\n".write(toFile: dir + "/empty.csv", atomically: false, encoding: .utf8)
        let db = dir + "/r.sqlite"
        let orphan = try stormglassProcess(["replay", "--manifests", dir + "/hpa.yaml", "--trace", "web=\(example)/checkout-requests.csv", "--db", db])
        #expect(orphan.code == 2 && orphan.stderr.contains("hpa.yaml:7: spec.scaleTargetRef: HorizontalPodAutoscaler web targets deployment web, which is not in the manifests"), "\(orphan.stderr)")
        let empty = try stormglassProcess(["replay", "--manifests", example + "/k8s", "--trace", "checkout=\(dir)/empty.csv", "--db", db])
        #expect(empty.code == 2 && empty.stderr.contains("empty.csv: no data rows"), "\(empty.stderr)")
        let unknown = try stormglassProcess(["replay", "--manifests", example + "/k8s", "--trace", "cart=\(dir)/empty.csv", "--vs", "nope", "--db", db])
        #expect(unknown.code == 2 && unknown.stderr.contains("--vs nope: no such policy"), "\(unknown.stderr)")
        #expect(!FileManager.default.fileExists(atPath: db), "nothing recorded")
    }
}
