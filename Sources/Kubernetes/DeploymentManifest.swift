/// An `apps/v1` Deployment: what the simulation takes from it.
public struct DeploymentManifest: Sendable, Equatable {
    public var name: String
    public var file: String
    /// `spec.replicas` (default 1).
    public var replicas: Int
    /// Summed over containers: CPU in cores, memory in bytes (nil when no container sets one).
    public var cpuRequest: Double?
    public var memoryRequest: Double?
    public var cpuLimit: Double?
    public var memoryLimit: Double?
    /// Seconds from container start to the first successful readiness probe
    /// (`initialDelaySeconds + (successThreshold − 1) × periodSeconds`, the largest over containers).
    public var readinessDelay: Double?

    init?(_ root: ManifestNode) {
        guard let (name, spec) = readObject(root) else { return nil }
        self.name = name
        file = root.file
        let s = spec.fields(honoured: ["replicas", "template"],
                            noEffect: ["selector", "strategy", "revisionHistoryLimit", "progressDeadlineSeconds", "paused"],
                            notSimulated: ["minReadySeconds": "replicas count as available when ready"])
        replicas = s["replicas"]?.int(in: 0...100_000) ?? 1
        guard let template = s["template"] else { spec.problem("no template"); return nil }
        let t = template.fields(honoured: ["spec"], noEffect: ["metadata"])
        guard let podSpec = t["spec"] else { template.problem("no spec"); return nil }
        let pod = podSpec.fields(
            honoured: ["containers"],
            noEffect: ["volumes", "serviceAccountName", "serviceAccount", "automountServiceAccountToken", "imagePullSecrets", "securityContext",
                       "dnsPolicy", "dnsConfig", "hostname", "subdomain", "enableServiceLinks", "restartPolicy", "schedulerName", "hostAliases",
                       "shareProcessNamespace", "runtimeClassName"],
            notSimulated: ["initContainers": "start-up latency comes from the readiness probe or Startup(…)",
                           "affinity": "placement spreads replicas over nodes and zones", "nodeSelector": "any node pool may host the service",
                           "tolerations": "any node pool may host the service", "topologySpreadConstraints": "placement spreads replicas over zones",
                           "priorityClassName": "no pre-emption", "terminationGracePeriodSeconds": "draining replicas finish their requests",
                           "overhead": "", "hostNetwork": "", "preemptionPolicy": "no pre-emption"])
        guard let containers = pod["containers"]?.items, !containers.isEmpty else { podSpec.problem("no containers"); return nil }
        var cpuR: Double?, memR: Double?, cpuL: Double?, memL: Double?, ready: Double?
        func add(_ a: Double?, _ b: Double?) -> Double? { b.map { (a ?? 0) + $0 } ?? a }
        for c in containers {
            let f = c.fields(honoured: ["resources", "readinessProbe"],
                             noEffect: ["name", "image", "imagePullPolicy", "command", "args", "env", "envFrom", "ports", "volumeMounts",
                                        "workingDir", "securityContext", "terminationMessagePath", "terminationMessagePolicy", "stdin", "tty",
                                        "volumeDevices", "resizePolicy"],
                             notSimulated: ["livenessProbe": "replicas are restarted only by faults and the self-healer",
                                            "startupProbe": "start-up latency comes from the readiness probe or Startup(…)",
                                            "lifecycle": "hooks take no time"])
            if let r = f["resources"] {
                let rf = r.fields(honoured: ["requests", "limits"], noEffect: ["claims"])
                for (key, node) in [("requests", rf["requests"]), ("limits", rf["limits"])] {
                    guard let node else { continue }
                    let q = node.fields(honoured: ["cpu", "memory"], noEffect: ["ephemeral-storage"])
                    let cpu = q["cpu"]?.quantity(atMost: 10_000, "10000 cores"), memory = q["memory"]?.quantity(atMost: 100_000_000 * 1_048_576, "100000000Mi")
                    if key == "requests" { cpuR = add(cpuR, cpu); memR = add(memR, memory) } else { cpuL = add(cpuL, cpu); memL = add(memL, memory) }
                }
            }
            if let probe = f["readinessProbe"] {
                let p = probe.fields(honoured: ["initialDelaySeconds", "periodSeconds", "successThreshold"],
                                     noEffect: ["httpGet", "tcpSocket", "exec", "grpc", "timeoutSeconds", "failureThreshold", "terminationGracePeriodSeconds"])
                let delay = Double(p["initialDelaySeconds"]?.int(in: 0...86_400) ?? 0)
                let period = Double(p["periodSeconds"]?.int(in: 1...86_400) ?? 10)
                let success = Double(p["successThreshold"]?.int(in: 1...1_000) ?? 1)
                ready = max(ready ?? 0, delay + (success - 1) * period)
            }
        }
        // A container with a limit and no request is given the limit as its request (Kubernetes defaulting).
        cpuRequest = cpuR ?? cpuL; memoryRequest = memR ?? memL; cpuLimit = cpuL; memoryLimit = memL; readinessDelay = ready
    }
}
