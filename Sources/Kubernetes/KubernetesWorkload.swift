import ClusterModel
import ControlPlane
import ScenarioKit
import SimulationKernel

/// One Deployment with the autoscaler that targets it (an HPA, a ScaledObject, or none), ready to
/// become a simulated service.
public struct KubernetesWorkload: Sendable {
    public var deployment: DeploymentManifest
    /// `hpa`, `keda`, or `fixed` when nothing scales the Deployment.
    public var policy: any ScalingPolicy
    public var minReplicas: Int
    public var maxReplicas: Int
    /// What was read with an assumption or not simulated (printed, never fatal).
    public var warnings: [ManifestProblem]

    /// The Deployment named `deployment` (or the only one) and its autoscaler; every problem at once.
    public static func resolve(_ manifests: Manifests, deployment name: String? = nil) throws -> KubernetesWorkload {
        var problems = manifests.problems
        // Every autoscaler must point at a Deployment the manifests hold.
        let names = Set(manifests.deployments.map(\.name))
        for h in manifests.autoscalers where !names.contains(h.targetName) || h.targetKind != "Deployment" {
            problems.append(ManifestProblem(file: h.file, line: h.targetLine, path: "spec.scaleTargetRef",
                                            message: h.targetKind != "Deployment" ? "only Deployments are simulated (found \(h.targetKind))"
                                                : "HorizontalPodAutoscaler \(h.name) targets deployment \(h.targetName), which is not in the manifests (deployments: \(names.isEmpty ? "none" : names.sorted().joined(separator: ", ")))"))
        }
        for s in manifests.scaledObjects where !names.contains(s.targetName) {
            problems.append(ManifestProblem(file: s.file, line: s.targetLine, path: "spec.scaleTargetRef",
                                            message: "ScaledObject \(s.name) targets deployment \(s.targetName), which is not in the manifests (deployments: \(names.sorted().joined(separator: ", ")))"))
        }
        let chosen: DeploymentManifest?
        if let name {
            chosen = manifests.deployment(named: name)
            if chosen == nil {
                problems.append(ManifestProblem(file: manifests.deployments.first?.file ?? "manifests", line: 0, path: "",
                                                message: "no Deployment \(name) (found: \(names.isEmpty ? "none" : names.sorted().joined(separator: ", ")))"))
            }
        } else if manifests.deployments.count == 1 {
            chosen = manifests.deployments[0]
        } else {
            chosen = nil
            if problems.isEmpty {
                problems.append(ManifestProblem(file: "manifests", line: 0, path: "",
                                                message: manifests.deployments.isEmpty ? "no Deployment found" : "several Deployments (\(names.sorted().joined(separator: ", "))): name one"))
            }
        }
        guard let d = chosen, problems.isEmpty else { throw ManifestError(problems) }

        let hpas = manifests.autoscalers.filter { $0.targetName == d.name }
        let keda = manifests.scaledObjects.filter { $0.targetName == d.name }
        guard hpas.count + keda.count <= 1 else {
            throw ManifestError([ManifestProblem(file: d.file, line: 0, path: "", message: "deployment \(d.name) is targeted by \(hpas.count + keda.count) autoscalers (\((hpas.map(\.name) + keda.map(\.name)).joined(separator: ", "))); Kubernetes allows one")])
        }
        var workload = KubernetesWorkload(deployment: d, policy: FixedReplicas(), minReplicas: d.replicas, maxReplicas: d.replicas, warnings: manifests.warnings)
        if let h = hpas.first {
            var targets: [HPA.MetricTarget] = []
            for (i, m) in h.metrics.enumerated() {
                switch m.target(deployment: d) {
                case .success(let t): targets.append(t)
                case .failure(let e): problems.append(ManifestProblem(file: h.file, line: h.line, path: "spec.metrics[\(i)]", message: e.message))
                }
            }
            guard problems.isEmpty else { throw ManifestError(problems) }
            workload.policy = HPAPolicy(HPAConfig(metrics: targets, behavior: h.behavior))
            workload.minReplicas = h.minReplicas
            workload.maxReplicas = h.maxReplicas
        } else if let k = keda.first {
            let c = k.config
            if c.triggers.contains(where: { $0.metric == .cpu || $0.metric == .memory }) && d.cpuRequest == nil {
                throw ManifestError([ManifestProblem(file: d.file, line: 0, path: "spec.template.spec.containers", message: "a cpu or memory trigger needs the Deployment's resource requests")])
            }
            workload.policy = KEDAPolicy(c)
            workload.minReplicas = c.idleReplicas ?? c.minReplicaCount
            workload.maxReplicas = c.maxReplicaCount
        }
        return workload
    }

    /// The Deployment's replicas, clamped into the autoscaler's bounds (as the HPA does on its first sync).
    public var initialReplicas: Int { min(max(deployment.replicas, minReplicas), maxReplicas) }
}

/// A service's replicas, resources, start-up and autoscaling read from Kubernetes manifests:
///
/// ```swift
/// Service("checkout") {
///     Kubernetes(deployment: "k8s/checkout.yaml", autoscaler: "k8s/checkout-hpa.yaml")
///     ServiceTime(.lognormal(median: 0.040, p99: 0.200))
/// }
/// ```
///
/// Paths are files or folders (relative to the working directory). Problems (a malformed file, an
/// unsupported field, an autoscaler for a deployment that is not there) make the scenario invalid
/// with file, line and YAML path; settings after this one in the block override it.
public struct Kubernetes: ServiceComponent {
    let result: Result<KubernetesWorkload, ManifestError>

    /// - Parameters:
    ///   - deployment: the name of the Deployment when the files hold several.
    ///   - metrics: what custom metric names (Pods, External, Object, Prometheus queries) mean.
    public init(deployment path: String, autoscaler: String? = nil, named deployment: String? = nil,
                metrics: [String: SimulatedMetric] = [:]) {
        let manifests = Manifests.read([path] + (autoscaler.map { [$0] } ?? []), metrics: metrics)
        result = Result { try KubernetesWorkload.resolve(manifests, deployment: deployment) }.mapError { $0 as? ManifestError ?? ManifestError([]) }
    }

    public func apply(to s: inout ServiceDefinition) {
        switch result {
        case .failure(let e):
            s.buildProblems += e.problems.map { ValidationProblem(path: "kubernetes", message: $0.description) }
        case .success(let w):
            w.apply(to: &s)
        }
    }
}

extension KubernetesWorkload {
    /// Replicas and bounds, requests, start-up hint and policy onto a service definition.
    public func apply(to s: inout ServiceDefinition) {
        s.minReplicas = minReplicas
        s.maxReplicas = maxReplicas
        s.model.replicas = initialReplicas
        if let cpu = deployment.cpuRequest { s.model.cpuMillicores = max(1, Int((cpu * 1000).rounded())) }
        if let memory = deployment.memoryRequest { s.model.memoryMiB = max(1, Int((memory / 1_048_576).rounded())) }
        // The readiness probe's timing is the start-up hint where no Startup(…) was given.
        if let ready = deployment.readinessDelay, s.model.startup == ServiceSpec(name: s.name).startup {
            s.model.startup = .constant(max(1, ready))
        }
        s.policy = policy
    }
}
