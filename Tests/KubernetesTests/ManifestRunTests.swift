import Foundation
import Testing
import ClusterModel
import ControlPlane
import Lab
import ScenarioKit
import SimulationKernel
import Telemetry
import Kubernetes

final class DecisionCollector: RunObserver {
    var decisions: [ScalingDecision] = []
    var samples: [ServiceSample] = []
    func observe(_ decisions: [ScalingDecision]) throws { self.decisions += decisions }
    func observe(_ scrape: Scrape) throws { samples += scrape.services }
}

/// A service described by manifests runs exactly as the same service written in the DSL.
@Suite struct ManifestRunTests {
    func scenario(@ServiceBuilder _ body: () -> [any ServiceComponent]) -> Scenario {
        Scenario("manifest", "") {
            RunFor(.hours(2))
            NodePool("p", count: 6)
            Service("php-apache", body)
            Traffic(to: "php-apache", rate: 30) { Surge(at: .minutes(30), multiplier: 4, rampUp: .minutes(5), hold: .minutes(30), decay: .minutes(10)) }
        }
    }

    @Test func anHPAFromManifestsDecidesAsTheDSLDoes() throws {
        let fromManifests = scenario {
            Kubernetes(deployment: fixture("php-apache.yaml"), autoscaler: fixture("hpa-behavior.yaml"))
            Concurrency(4)
            ServiceTime(.lognormal(median: 0.02, p99: 0.1))
        }
        var behavior = HPA.Behavior()
        behavior.scaleUp.tolerance = 0.05
        let written = scenario {
            Replicas(1, min: 1, max: 10)
            Resources(cpuMillicores: 200)
            Concurrency(4)
            ServiceTime(.lognormal(median: 0.02, p99: 0.1))
            Autoscale(.hpa(HPAConfig(metrics: [.cpu(50)], behavior: behavior)))
        }
        #expect(fromManifests.spec.validate().isEmpty)
        #expect(fromManifests.spec == written.spec)
        let a = DecisionCollector(), b = DecisionCollector()
        _ = try ScenarioRunner(spec: fromManifests.spec).run(observer: a)
        _ = try ScenarioRunner(spec: written.spec).run(observer: b)
        #expect(a.decisions.count > 3, "the surge makes the HPA act")
        #expect(a.decisions.map(\.final) == b.decisions.map(\.final) && a.decisions.map(\.time) == b.decisions.map(\.time))
        #expect(a.samples == b.samples)
    }

    @Test func kedaActivatesFromIdleAndCoolsDown() throws {
        // Traffic only in the middle hour: KEDA activates on the request rate and returns to idle
        // after its cooldown once the queue and rate are below the activation thresholds.
        let s = Scenario("keda", "") {
            RunFor(.hours(3))
            NodePool("p", count: 6)
            Service("php-apache") {
                Kubernetes(deployment: fixture("php-apache.yaml"), autoscaler: fixture("scaledobject.yaml"))
                Concurrency(8)
                ServiceTime(.constant(0.02))
                Startup(.constant(10))
            }
            Traffic(to: "php-apache", rate: 50) { Shape(Window(from: 3600, to: 7200)) }
        }
        #expect(s.spec.validate().isEmpty, "\(s.spec.validate())")
        let obs = DecisionCollector()
        _ = try ScenarioRunner(spec: s.spec).run(observer: obs)
        let ready = { (t: Double) in obs.samples.first { $0.time >= t }?.readyReplicas ?? -1 }
        #expect(ready(3000) == 0, "idle before the traffic")
        #expect(ready(4000) >= 1, "activated by the traffic")
        #expect(ready(10_000) == 0, "back to idle after the cooldown")
        let deactivation = try #require(obs.decisions.first { $0.final == 0 && $0.time > 7200 })
        #expect(deactivation.time >= 7200 + 300 - 30, "not before the 300 s cooldown (less one polling interval)")
    }
}

/// 1 inside [from, to), 0 outside.
struct Window: TrafficShape {
    var from: Double, to: Double
    var name: String { "window" }
    func factor(at t: Double) -> Double { t >= from && t < to ? 1 : 0 }
}
