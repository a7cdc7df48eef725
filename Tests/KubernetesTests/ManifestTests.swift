import Foundation
import Testing
import ControlPlane
import ScenarioKit
import ClusterModel
@testable import Kubernetes

let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
func fixture(_ name: String) -> String { fixtures + "/" + name }

/// The upstream documentation's examples read into the exact policy values.
@Suite struct ManifestTests {
    @Test func theWalkthroughsDeploymentAndHPA() throws {
        let m = Manifests.read([fixture("php-apache.yaml"), fixture("php-apache-hpa.yaml")])
        #expect(m.problems.isEmpty, "\(m.problems)")
        // The Service in the same file is listed and skipped.
        #expect(m.warnings.map(\.message) == ["skipped Service (v1) \"php-apache\": not a Deployment, HorizontalPodAutoscaler or ScaledObject"])
        #expect(m.warnings.first?.line == 25)
        let d = try #require(m.deployment(named: "php-apache"))
        #expect(d.replicas == 1 && d.cpuRequest == 0.2 && d.cpuLimit == 0.5 && d.memoryRequest == nil && d.readinessDelay == nil)
        let w = try KubernetesWorkload.resolve(m)
        #expect(w.minReplicas == 1 && w.maxReplicas == 10 && w.initialReplicas == 1)
        let hpa = try #require(w.policy as? HPAPolicy)
        #expect(hpa.config == HPAConfig(metrics: [.cpu(50)], behavior: HPA.Behavior(), tolerance: 0.1))
    }

    @Test func multipleAndCustomMetrics() throws {
        // packets-per-second names nothing the simulation supplies: a problem until it is mapped.
        let unmapped = Manifests.read([fixture("php-apache.yaml"), fixture("php-apache-hpa-multiple-metrics.yaml")])
        let p = try #require(unmapped.problems.first)
        #expect(unmapped.problems.count == 1 && p.path == "spec.metrics[1].pods.metric" && p.line == 22)
        #expect(p.message.contains("\"packets-per-second\" is not one the simulation supplies"))
        let m = Manifests.read([fixture("php-apache.yaml"), fixture("php-apache-hpa-multiple-metrics.yaml")],
                               metrics: ["packets-per-second": .requestRate])
        #expect(m.problems.isEmpty)
        // requests-per-second is read as the request rate, and the user is told so.
        #expect(m.warnings.contains { $0.path == "spec.metrics[2].object.metric" && $0.message.contains("read as the service's request rate") })
        let hpa = try #require(try KubernetesWorkload.resolve(m).policy as? HPAPolicy)
        #expect(hpa.config.metrics == [.cpu(50), .requestsPerPod(1000), .init(.requestsValue, target: 10_000)])
    }

    @Test func behaviorAndConfigurableTolerance() throws {
        let m = Manifests.read([fixture("php-apache.yaml"), fixture("hpa-behavior.yaml")])
        #expect(m.problems.isEmpty)
        let hpa = try #require(try KubernetesWorkload.resolve(m).policy as? HPAPolicy)
        var expected = HPA.Behavior()  // the documented block is Kubernetes' default behavior …
        expected.scaleUp.tolerance = 0.05  // … plus a 5 % scale-up tolerance
        #expect(hpa.config.behavior == expected)
        #expect(hpa.config.behavior.scaleDown.tolerance == nil)
    }

    @Test func kedaScaledObjectSpecification() throws {
        let m = Manifests.read([fixture("php-apache.yaml"), fixture("scaledobject.yaml")])
        #expect(m.problems.isEmpty, "\(m.problems)")
        #expect(m.warnings.contains { $0.path == "spec.fallback" && $0.message.contains("never applies") })
        #expect(m.warnings.contains { $0.path == "spec.triggers[1].metadata.query" && $0.message.contains("request rate") })
        let w = try KubernetesWorkload.resolve(m)
        let keda = try #require(w.policy as? KEDAPolicy)
        let c = keda.config
        #expect(c.pollingInterval == 30 && c.cooldownPeriod == 300 && c.idleReplicaCount == 0 && c.minReplicaCount == 1 && c.maxReplicaCount == 100)
        #expect(c.fallback?.failureThreshold == 3 && c.fallback?.replicas == 6)
        #expect(c.triggers == [.init(.queueLength, threshold: 100.5, activationThreshold: 10.5),
                               .init(.requestRate, threshold: 100.5, activationThreshold: 5.5)])
        #expect(c.behavior == HPA.Behavior())
        // Idle at 0, so the service may go down to 0 replicas.
        #expect(w.minReplicas == 0 && w.maxReplicas == 100)
    }

    @Test func everyUnsupportedFieldIsListedWithItsPath() throws {
        let m = Manifests.read([fixture("unsupported.yaml")])
        let found = Set(m.problems.map { "\($0.line) \($0.path)" })
        #expect(found == ["15 spec.template.spec.containers[0].resources.requests.nvidia.com/gpu",
                          "33 spec.metrics[0]", "40 spec.behavior.scaleUp.stabilizationWindow"], "\(m.problems)")
        #expect(m.problems.first { $0.path == "spec.metrics[0]" }?.message.contains("ContainerResource") == true)
        #expect(m.warnings.contains { $0.path == "spec.template.spec.containers[0].livenessProbe" && $0.message.contains("not simulated") })
        #expect(m.warnings.contains { $0.message.contains("skipped ConfigMap") })
        #expect(throws: ManifestError.self) { try KubernetesWorkload.resolve(m) }
        // Readiness timing: 20 s initial delay + 2 more successes 5 s apart.
        #expect(m.deployment(named: "web")?.readinessDelay == 30)
    }

    @Test func badManifestsAreErrorsNamingTheFileAndPlace() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("k8s-\(getpid())-\(UUID().uuidString.prefix(6))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: a\n spec: [\n".write(toFile: dir + "/broken.yaml", atomically: false, encoding: .utf8)
        let broken = Manifests.read([dir + "/broken.yaml"])
        #expect(broken.problems.count == 1 && broken.problems[0].message.hasPrefix("not valid YAML") && broken.problems[0].line > 0)
        // An autoscaler for a deployment that is not there.
        let orphan = Manifests.read([fixture("php-apache-hpa.yaml")])
        #expect(throws: ManifestError.self) { try KubernetesWorkload.resolve(orphan) }
        do { _ = try KubernetesWorkload.resolve(orphan) } catch let e as ManifestError {
            #expect(e.description.contains("php-apache-hpa.yaml:7: spec.scaleTargetRef: HorizontalPodAutoscaler php-apache targets deployment php-apache, which is not in the manifests"))
        }
        #expect(Manifests.read([dir + "/nope.yaml"]).problems.first?.message == "no such file or folder")
        // A folder is read file by file.
        try FileManager.default.copyItem(atPath: fixture("php-apache.yaml"), toPath: dir + "/d.yaml")
        try FileManager.default.copyItem(atPath: fixture("php-apache-hpa.yaml"), toPath: dir + "/h.yml")
        try FileManager.default.removeItem(atPath: dir + "/broken.yaml")
        let folder = Manifests.read([dir])
        #expect(folder.problems.isEmpty && folder.deployments.count == 1 && folder.autoscalers.count == 1)
    }

    @Test func quantities() {
        #expect(Quantity.parse("250m") == 0.25 && Quantity.parse("2") == 2 && Quantity.parse("1.5") == 1.5)
        #expect(Quantity.parse("512Mi") == 536_870_912 && Quantity.parse("1G") == 1e9 && Quantity.parse("1k") == 1000 && Quantity.parse("1e3") == 1000)
        #expect(Quantity.parse("-1") == nil && Quantity.parse("abc") == nil && Quantity.parse("") == nil && Quantity.parse("m") == nil)
    }
}

@Suite struct ReplayScenarioTests {
    @Test func cpuPerRequestIsTotalCPUOverTotalRequests() throws {
        // 20 requests/s and then 40, using 0.5 and then 1 core: 25 ms of CPU per request throughout.
        let requests = MetricSeries(points: (0..<20).map { .init(time: Double($0) * 60, value: $0 < 10 ? 20 : 40) })
        let cpu = MetricSeries(points: (0..<20).map { .init(time: Double($0) * 60, value: $0 < 10 ? 0.5 : 1) })
        let work = try ReplayScenario.cpuPerRequest(usage: cpu, requests: requests, settings: ReplaySettings(valuesAre: .perSecond))
        #expect(abs(work - 0.025) < 1e-12)
        // No overlap in time is an error naming the file.
        let later = MetricSeries(points: [.init(time: 1e6, value: 1)], origin: "cpu.json")
        #expect(throws: ReplayProblems.self) { try ReplayScenario.cpuPerRequest(usage: later, requests: requests, settings: .init()) }
    }

    @Test func aScenarioFromManifestsAndATrace() throws {
        var study = ReplayScenario(services: [.init(deployment: "php-apache", trace: fixtures + "/../../../Examples/Replay/checkout-requests.csv")])
        study.replay = ReplaySettings(valuesAre: .perSecond)
        study.cpu["php-apache"] = .perRequest(.milliseconds(25))
        let (spec, _) = try study.build(manifests: [fixture("php-apache.yaml"), fixture("php-apache-hpa.yaml")])
        #expect(spec.validate().isEmpty)
        let s = try #require(spec.services.first)
        #expect(s.minReplicas == 1 && s.maxReplicas == 10 && s.model.cpuMillicores == 200 && s.model.cpuSecondsPerRequest == 0.025)
        #expect(spec.duration == .days(7), "the trace's week")
        #expect(spec.pools.first.map { $0.count * $0.cpuMillicores } ?? 0 >= 10 * 200, "room for every replica")
    }
}
