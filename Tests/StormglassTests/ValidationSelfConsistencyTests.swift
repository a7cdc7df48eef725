import Calibration
import ClusterModel
import ControlPlane
import Foundation
import Kubernetes
import Lab
import Telemetry
import Testing

/// `validate` held to a truth it cannot argue with: the simulator's own run. A known model under the
/// testbed's HPA is simulated through a surge; its scrapes are written as a history (rows at Unix times, as
/// Prometheus records them) and its scale decisions as an event log (a moment after the scrape they read, as
/// `control` logs them). Validated with the same model, the replicas must come back scrape for scrape and
/// every scale-up at its own scrape: an error in how validate lines the replay or the HPA's syncs up with
/// wall time shows as scale-ups one or two steps early or late.
@Suite struct ValidationSelfConsistencyTests {
    static let model = """
        {"service": "worker", "work": {"family": "gamma", "mean": {"value": 0.1}, "cv": {"value": 1}, "requests": 1000, "loadPerReplica": [1, 2]},
         "concurrency": {"value": 4}, "startup": {"family": "constant", "mean": {"value": 2}, "sd": 0, "observations": 3},
         "queueLimit": {"value": 64}, "refusals": [], "data": {}}
        """

    final class Recorder: RunObserver {
        var samples: [ServiceSample] = []
        var changes: [(time: Double, from: Int, to: Int)] = []
        func observe(_ scrape: Scrape) throws { samples += scrape.services }
        func observe(_ decisions: [ScalingDecision]) throws {
            changes += decisions.filter { $0.final != $0.current }.map { ($0.time, $0.current, $0.final) }
        }
    }

    /// Runs the model on a rate series (requests/s per 5 s row, from `origin`) and returns what it recorded.
    static func simulate(rates: [Double], origin: Double, model: CalibratedModel, reading: HPAConfig.WindowReading) throws -> Recorder {
        let series = MetricSeries(points: rates.enumerated().flatMap { k, r in
            [MetricSeries.Point(time: origin + Double(k) * 5, value: r), MetricSeries.Point(time: origin + Double(k) * 5 + 4.999, value: r)]
        }, origin: "surge")
        var study = ReplayScenario(services: [.init(deployment: "worker", series: series)])
        study.replay = ReplaySettings(valuesAre: .perSecond)
        study.models["worker"] = model
        study.seed = 11
        study.duration = .seconds(Double(rates.count) * 5)
        var spec = try study.build(manifests: [TestbedCalibrationTests.manifests]).spec
        spec.scrapeInterval = .seconds(5)
        var hpa = try #require(spec.services[0].policy as? HPAPolicy)
        hpa.config.metricWindow = 15
        hpa.config.windowReading = reading
        spec.services[0].policy = hpa
        let recorder = Recorder()
        _ = try ScenarioRunner(spec: spec, seed: 11).run(observer: recorder, shouldStop: { false })
        return recorder
    }

    @Test(arguments: HPAConfig.WindowReading.allCases)
    func theSimulatorsOwnRunIsFoundAgainScrapeForScrape(reading: HPAConfig.WindowReading) throws {
        let dir = temporaryDirectory()
        try Self.model.write(toFile: dir + "/model.json", atomically: false, encoding: .utf8)
        let model = try CalibratedModel.load(dir + "/model.json")
        // Quiet, a surge past three replicas' worth, quiet again: 5 s rows. The wall clock starts 7 s past a
        // multiple of 15 s so that the HPA's phase is not the trivial one.
        let rates = [Double](repeating: 8, count: 24) + [Double](repeating: 95, count: 24) + [Double](repeating: 8, count: 12)
        let wall = 1_800_000_007.0
        let run = try Self.simulate(rates: rates, origin: 0, model: model, reading: reading)
        #expect(run.changes.count >= 2, "\(run.changes)")
        // The history, as Prometheus would hold it: each row counts the step before its time.
        var columns: [ServiceHistory.Column: [Double]] = [:]
        for s in run.samples {
            let perSecond = { (x: Int) in Double(x) / s.interval }
            columns[.rate, default: []].append(perSecond(s.arrivals))
            columns[.served, default: []].append(perSecond(s.completed))
            columns[.errors, default: []].append(perSecond(s.failed + s.rejected + s.timedOut))
            columns[.latencyCount, default: []].append(perSecond(s.completed))
            columns[.latencySum, default: []].append(perSecond(s.completed) * (0.1 + s.meanQueueWait))
            columns[.p95, default: []].append(s.p95)
            columns[.busy, default: []].append(s.cpuUtilization)
            columns[.ready, default: []].append(Double(s.readyReplicas))
        }
        let history = ServiceHistory(times: run.samples.map { wall + $0.time }, columns: columns, origin: "self")
        try history.csv.write(toFile: dir + "/history.csv", atomically: false, encoding: .utf8)
        // The event log: each change a moment after the scrape its sync read.
        let events = "time,event,worker,detail\n" + run.changes.map { String(format: "%.3f,desired,,\"%d → %d\"", wall + $0.time + 0.3, $0.from, $0.to) }
            .joined(separator: "\n") + "\n"
        try events.write(toFile: dir + "/events.csv", atomically: false, encoding: .utf8)

        let r = try stormglassProcess(["validate", "--model", dir + "/model.json", "--history", dir + "/history.csv", "--events", dir + "/events.csv",
                                       "--manifests", TestbedCalibrationTests.manifests, "--window-reading", reading.rawValue, "--json", dir + "/v.json"])
        #expect(r.code == 0 || r.code == 1, "\(r.stdout)\(r.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: dir + "/v.json"))) as? [String: Any])
        let rows = try #require(doc["rows"] as? [[String: Any]])
        let replicas = try #require(rows.first { $0["metric"] as? String == "replicas" })
        // The replay draws its own arrivals from the recorded rates, so a decision near the tolerance may
        // go the other way; the count stays within a few percent.
        #expect(try #require(replicas["mape"] as? Double) <= 0.05, "\(r.stdout)")
        let scaleUps = try #require(doc["timings"] as? [[String: Any]]).filter { ($0["event"] as? String ?? "").hasPrefix("scale-up") }
        let errors = scaleUps.map { $0["error"] as? Double ?? .infinity }
        #expect(errors.count >= 2 && errors.allSatisfy { $0 == 0 }, "\(r.stdout)")
        let served = try #require(rows.first { ($0["metric"] as? String ?? "").hasPrefix("served total") })
        #expect(served["passed"] as? Bool == true, "\(r.stdout)")
    }
}
