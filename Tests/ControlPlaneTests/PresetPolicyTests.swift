@testable import ControlPlane
import Foundation
import Telemetry
import Testing

/// The provider presets against what their documentation says they do.
@Suite struct PresetPolicyTests {
    /// A daily cycle between 40 and 200 requests/s; a replica serves 20/s; replicas start at once.
    static func rate(_ t: Double) -> Double { 120 - 80 * cos(2 * .pi * t / 86_400) }

    struct Run {
        var decisions: [ScalingDecision] = []
        var replicas: [(time: Double, value: Int)] = []
        var autoscaler: ServiceAutoscaler
    }

    /// Drives an autoscaler every 15 s for `days` with the daily cycle (or `load`).
    static func drive(_ policy: some ScalingPolicy, days: Double, max: Int = 100, load: (Double) -> Double = rate) -> Run {
        var run = Run(autoscaler: ServiceAutoscaler(service: "s", policy: policy.configured(for: PolicyEnvironment(service: "s", startupMean: 60, scrapeInterval: 15)),
                                                    bounds: .init(minReplicas: 1, maxReplicas: max)))
        var desired = 6
        var t = 15.0
        while t <= days * 86_400 {
            let r = load(t)
            let s = sample(time: t, ready: desired, cpu: Swift.min(1, r / (20 * Double(desired))), rate: r, desired: desired)
            for d in run.autoscaler.evaluate(s, predictor: nil) {
                run.decisions.append(d)
                if !d.dryRun && d.final != d.current { _ = run.autoscaler.applied(d); desired = d.final }
            }
            run.replicas.append((t, desired))
            t += 15
        }
        return run
    }

    /// Feeds the policy the daily cycle every 15 s; the first time its proposal used a forecast.
    static func firstForecast(_ config: CloudPredictiveConfig, days: Double) -> Double? {
        var policy = CloudPredictivePolicy(config).configured(for: PolicyEnvironment(service: "s", startupMean: 60, scrapeInterval: 15))
        var t = 15.0
        while t <= days * 86_400 {
            let s = sample(time: t, ready: 10, cpu: min(1, rate(t) / 200), rate: rate(t), desired: 10)
            let p = policy.propose(PolicyContext(sample: s, currentReplicas: 10, bounds: .init(minReplicas: 1, maxReplicas: 100), recent: [s],
                                                 capacityPerReplica: 20, lastChange: 0, predictor: nil, policyName: policy.name))
            if p?.decision.inputs["forecast_rate"] != nil { return t }
            t += 15
        }
        return nil
    }

    @Test(arguments: [(CloudPredictiveConfig.aws(), 86_400.0), (.gcp, 3 * 86_400), (.azure(), 7 * 86_400)])
    func forecastsOnlyAfterTheDocumentedHistory(config: CloudPredictiveConfig, history: Double) throws {
        let first = try #require(Self.firstForecast(config, days: history / 86_400 + 1), "\(config.name) never forecast")
        // The first sample is at 15 s, so the history is complete 15 s after the documented length.
        #expect(first >= history + 15, "\(config.name) forecast at \(first) s, before its \(history) s of history")
        #expect(first <= history + 30, "\(config.name) waited until \(first) s")
    }

    @Test func awsForecastsHourlyAndRefreshesEverySixHours() throws {
        var refreshes: [Double] = []
        var policy = CloudPredictivePolicy(.aws()).configured(for: PolicyEnvironment(service: "s", startupMean: 60, scrapeInterval: 15))
        var t = 15.0
        while t <= 3 * 86_400 {
            let s = sample(time: t, ready: 10, cpu: 0.6, rate: Self.rate(t), desired: 10)
            let before = policy.forecastMadeAt
            _ = policy.propose(PolicyContext(sample: s, currentReplicas: 10, bounds: .init(minReplicas: 1, maxReplicas: 100), recent: [s],
                                             capacityPerReplica: 20, lastChange: 0, predictor: nil, policyName: policy.name))
            if policy.forecastMadeAt != before { refreshes.append(policy.forecastMadeAt) }
            t += 15
        }
        #expect(refreshes.count >= 7)
        for (a, b) in zip(refreshes, refreshes.dropFirst()) { #expect(b - a >= 6 * 3600 - 1e-6 && b - a < 6 * 3600 + 16) }
        // Hourly buckets reaching 48 h ahead.
        let buckets = policy.forecast.keys.sorted()
        #expect(buckets.count >= 48 && buckets.count <= 50, "\(buckets.count) hourly buckets")
        // Capacity is planned for the hour that starts within the 300 s scheduling buffer.
        let now = 3 * 86_400.0 - 200   // 200 s before the hour: the next hour's plan applies
        let plan = try #require(policy.plannedCapacity(at: now, capacityPerReplica: 20))
        #expect(plan.load == policy.forecast[Int(3 * 86_400 / 3600)])
    }

    /// The larger of predictive and reactive capacity: ahead of the morning rise the forecast wins;
    /// when load is far above anything in the history, the reactive HPA wins.
    @Test func takesTheLargerOfPredictiveAndReactiveCapacity() {
        let run = Self.drive(CloudPredictivePolicy(.gcp), days: 4, load: { t in t > 3.7 * 86_400 ? 3 * Self.rate(t) : Self.rate(t) })
        let late = run.decisions.filter { !$0.dryRun && $0.inputs["predictive_proposal"] != nil }
        #expect(!late.isEmpty)
        for d in late {
            #expect(d.proposal == max(Int(d.inputs["reactive_proposal"]!), Int(d.inputs["predictive_proposal"]!)), "\(d.reason)")
        }
        #expect(late.contains { $0.rule == "forecast" }, "the forecast leads on an ordinary day")
        #expect(late.contains { $0.time > 3.7 * 86_400 && $0.rule != "forecast" && $0.final > $0.current }, "the HPA leads past the history")
    }

    /// With the reactive side content (CPU at target), a falling forecast never removes a replica.
    @Test(arguments: [CloudPredictiveConfig.aws(), .gcp, .azure()])
    func neverScalesInOnAForecast(config: CloudPredictiveConfig) {
        var policy = CloudPredictivePolicy(config).configured(for: PolicyEnvironment(service: "s", startupMean: 60, scrapeInterval: 15))
        var t = 15.0
        // History: a daily cycle; then a day on which the load stays at its peak (CPU exactly at target on 17 replicas).
        while t <= (config.minimumHistory / 86_400 + 2) * 86_400 {
            let beyond = t > config.minimumHistory + 86_400
            let r = beyond ? 204 : Self.rate(t)
            let s = sample(time: t, ready: 17, cpu: beyond ? 0.6 : min(1, r / 340), rate: r, desired: 17)
            if let p = policy.propose(PolicyContext(sample: s, currentReplicas: 17, bounds: .init(minReplicas: 1, maxReplicas: 100), recent: [s],
                                                    capacityPerReplica: 20, lastChange: 0, predictor: nil, policyName: policy.name)), beyond {
                #expect(p.decision.final >= 17, "\(config.name) scaled in to \(p.decision.final) on a forecast at \(t)")
            }
            t += 15
        }
    }

    @Test(arguments: [CloudPredictiveConfig.aws(mode: .forecastOnly), .azure(mode: .forecastOnly)])
    func forecastOnlyScalesLikeTheHPAAndRecordsWhatItWouldDo(config: CloudPredictiveConfig) {
        let days = config.minimumHistory / 86_400 + 1
        let dry = Self.drive(CloudPredictivePolicy(config), days: days)
        let hpa = Self.drive(HPAPolicy(config.reactive), days: days)
        #expect(dry.replicas.map(\.value) == hpa.replicas.map(\.value), "forecast-only changes nothing")
        let shadows = dry.decisions.filter(\.dryRun)
        #expect(!shadows.isEmpty && shadows.allSatisfy { $0.policy == config.name })
        #expect(shadows.allSatisfy { $0.time >= config.minimumHistory || $0.inputs["forecast_rate"] == nil })
    }

    @Test func maxCapacityIsHonouredOrRaisedAsConfigured() {
        let honour = Self.drive(CloudPredictivePolicy(.aws()), days: 3, max: 8)
        #expect(honour.replicas.allSatisfy { $0.value <= 8 })
        let raise = Self.drive(CloudPredictivePolicy(.aws(maxCapacityBreach: .increaseMaxCapacity(bufferPercent: 10))), days: 3, max: 8)
        let peakPlan = raise.decisions.compactMap { $0.inputs["predictive_proposal"] }.max() ?? 0
        #expect(peakPlan > 8)
        // The maximum becomes the forecast plus 10 % and stays raised (the largest plan may fall between recorded decisions).
        #expect(raise.autoscaler.bounds.maxReplicas >= Int((peakPlan * 1.1).rounded(.up)))
        #expect(raise.autoscaler.bounds.maxReplicas <= Int(((peakPlan + 2) * 1.1).rounded(.up)))
        #expect(raise.replicas.contains { $0.value > 8 })
    }

    @Test func cranePredictsTheDecayedPercentileOfTheLoad() {
        var h = DecayingHistogram()
        for v in 1...1000 { h.add(Double(v), weight: 1) }
        let p95 = h.quantile(0.95)!
        #expect(abs(p95 - 950) / 950 < 0.025, "p95 of 1…1000 is 950 within a bucket: \(p95)")
        // Samples a half-life newer weigh twice as much: 100 old at 10, 100 new at 1000 weighted 2 ⇒ the median is 1000.
        var d = DecayingHistogram()
        for _ in 0..<100 { d.add(10, weight: 1) }
        for _ in 0..<100 { d.add(1000, weight: 2) }
        #expect(abs(d.quantile(0.4)! - 1000) / 1000 < 0.025)
        let run = Self.drive(CranePercentilePolicy(), days: 3)
        let first = run.decisions.first { $0.inputs["predicted_rate"] != nil }?.time ?? .infinity
        #expect(first >= 86_400 && first < 86_400 + 3600, "predicts after one half-life of history: \(first)")
        // At the trough the p95 of the history keeps capacity for the cycle's high end (≈ 200/s ⇒ 17 replicas at 60 %).
        let trough = run.replicas.filter { $0.time > 2.95 * 86_400 }.map(\.value).min() ?? 0
        #expect(trough >= 15, "\(trough)")
    }
}
