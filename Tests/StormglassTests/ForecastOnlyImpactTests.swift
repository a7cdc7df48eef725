import Foundation
@testable import Reports
import Telemetry
import Testing

@Suite struct ForecastOnlyImpactTests {
    /// 15 s scrapes of one service; `desired`/`ready` per scrape; CPU and p95 as given.
    func samples(_ rows: [(desired: Int, ready: Int, cpu: Double, p95: Double)]) -> [ServiceSample] {
        rows.enumerated().map { i, r in
            var s = ServiceSample(time: Double(i + 1) * 15, interval: 15, service: "s")
            s.desiredReplicas = r.desired; s.readyReplicas = r.ready; s.cpuUtilization = r.cpu; s.p95 = r.p95
            s.arrivals = 100; s.completed = 100
            s.replicaSeconds = Double(r.ready) * 15
            return s
        }
    }

    @Test func extraReplicasReadyInTimeAvoidABreachAndCostFromLaunch() {
        // The run's own scale-up (4 → 6 at scrape 2, ready at scrape 4) measures a 30 s start-up delay.
        var rows: [(desired: Int, ready: Int, cpu: Double, p95: Double)] = [(4, 4, 0.5, 0.1), (6, 4, 0.5, 0.1), (6, 4, 0.5, 0.1), (6, 6, 0.5, 0.1)]
        // Then a breach on 6 ready replicas at 95 % CPU; the policy had wanted 10 from scrape 5 on.
        rows += [(6, 6, 0.5, 0.1), (6, 6, 0.5, 0.1), (6, 6, 0.95, 2.0)]
        let s = samples(rows)
        #expect(ForecastOnlyImpact.medianStartupDelay(s) == 30)
        let wanted: [Double: Int] = [75: 10, 90: 10, 105: 10]
        let impact = ForecastOnlyImpact.estimate(s, wanted: wanted, slo: SLOTarget(p95: 1, errorRate: 0.01), price: 3.6,
                                                 service: "s", policy: "p")
        #expect(impact.sloMinutes == 0.25)
        // At scrape 7 (105 s) the 4 extra replicas wanted at 75 s are ready: 6 × 0.95 / 10 = 57 % ≤ 80 % ⇒ avoided.
        #expect(impact.estimatedSLOMinutes == 0)
        // Cost: 4 more replicas for three 15 s scrapes at $3.60 an hour = 4 × 45 s × $0.001.
        #expect(abs(impact.estimatedCost - impact.cost - 0.18) < 1e-9, "\(impact)")
    }

    @Test func fewerReplicasThatWouldOverloadCountAsBreaches() {
        let s = samples([(6, 6, 0.7, 0.1), (6, 6, 0.7, 0.1)])
        let impact = ForecastOnlyImpact.estimate(s, wanted: [30: 4], slo: SLOTarget(p95: 1, errorRate: 0.01), price: 1, service: "s", policy: "p")
        // 6 × 0.7 / 4 = 105 % > 90 % on the second scrape.
        #expect(impact.sloMinutes == 0 && impact.estimatedSLOMinutes == 0.25)
    }

    @Test func showSaysWhatEnablingAForecastOnlyPolicyWouldHaveChanged() throws {
        let dir = temporaryDirectory()
        let run = try stormglassProcess(["run", "black-friday", "--set", "policy=predictive-dry", "--duration", "20h", "--db", dir + "/r.sqlite", "--quiet"])
        #expect(run.code == 0, "\(run.stderr)")
        let show = try stormglassProcess(["show", dir + "/r.sqlite"])
        let line = try #require(show.lines.first { $0.hasPrefix("forecast-only predictive on checkout: enabled, it would have changed SLO-violation minutes") })
        #expect(line.contains("estimated from this run"))
        let plain = try stormglassProcess(["run", "black-friday", "--duration", "1h", "--db", dir + "/h.sqlite", "--quiet"])
        #expect(plain.code == 0)
        #expect(!(try stormglassProcess(["show", dir + "/h.sqlite"])).stdout.contains("forecast-only"))
    }
}
