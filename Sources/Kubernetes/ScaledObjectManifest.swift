import ControlPlane

/// A KEDA `ScaledObject` (`keda.sh/v1alpha1`).
public struct ScaledObjectManifest: Sendable, Equatable {
    public var name: String
    public var file: String
    public var targetName: String
    public var targetLine: Int
    public var config: KEDAConfig

    /// Queue-like scalers: the metadata key of the target, its KEDA default, and the activation key.
    static let queueScalers: [String: (threshold: String, defaultValue: Double, activation: String)] = [
        "rabbitmq": ("value", 20, "activationValue"),
        "aws-sqs-queue": ("queueLength", 5, "activationQueueLength"),
        "azure-queue": ("queueLength", 5, "activationQueueLength"),
        "azure-servicebus": ("messageCount", 5, "activationMessageCount"),
        "kafka": ("lagThreshold", 10, "activationLagThreshold"),
        "redis": ("listLength", 5, "activationListLength"),
        "gcp-pubsub": ("value", 10, "activationValue"),
        "nats-jetstream": ("lagThreshold", 10, "activationLagThreshold"),
    ]

    init?(_ root: ManifestNode) {
        guard let (name, spec) = readObject(root) else { return nil }
        self.name = name; file = root.file
        let s = spec.fields(honoured: ["scaleTargetRef", "pollingInterval", "cooldownPeriod", "idleReplicaCount", "minReplicaCount",
                                       "maxReplicaCount", "fallback", "advanced", "triggers"],
                            notSimulated: ["initialCooldownPeriod": "the cooldown applies from the start"])
        guard let ref = s["scaleTargetRef"] else { spec.problem("no scaleTargetRef"); return nil }
        let r = ref.fields(honoured: ["name", "kind"], noEffect: ["apiVersion", "envSourceContainerName"])
        if let kind = r["kind"]?.string, kind != "Deployment" { r["kind"]?.problem("only Deployments are simulated (found \(kind))") }
        guard let target = r["name"]?.string else { ref.problem("no name"); return nil }
        targetName = target
        targetLine = ref.line
        var c = KEDAConfig(triggers: [])
        if let v = s["pollingInterval"]?.int(in: 1...86_400) { c.pollingInterval = Double(v) }
        if let v = s["cooldownPeriod"]?.int(in: 0...86_400) { c.cooldownPeriod = Double(v) }
        if let v = s["minReplicaCount"]?.int(in: 0...100_000) { c.minReplicaCount = v }
        if let v = s["maxReplicaCount"]?.int(in: 1...100_000) { c.maxReplicaCount = v }
        if let node = s["idleReplicaCount"], let v = node.int(in: 0...100_000) {
            if v >= c.minReplicaCount { node.problem("idleReplicaCount \(v) must be below minReplicaCount \(c.minReplicaCount)") }
            c.idleReplicaCount = v
        }
        if c.minReplicaCount > c.maxReplicaCount { spec.problem("minReplicaCount \(c.minReplicaCount) is above maxReplicaCount \(c.maxReplicaCount)") }
        if let f = s["fallback"] {
            let ff = f.fields(honoured: ["failureThreshold", "replicas", "behavior"])
            if let b = ff["behavior"], let text = b.string, text != "static" { b.problem("fallback behavior \(text) is not simulated (static)") }
            if let t = ff["failureThreshold"]?.int(in: 1...1000), let n = ff["replicas"]?.int(in: 0...100_000) {
                c.fallback = KEDAConfig.Fallback(failureThreshold: t, replicas: n)
                f.warning("kept, but nothing in this model makes the scaler's metric source fail, so the fallback never applies")
            } else if ff["failureThreshold"] == nil || ff["replicas"] == nil {
                f.problem("fallback needs failureThreshold and replicas")
            }
        }
        if let a = s["advanced"] {
            let af = a.fields(honoured: ["horizontalPodAutoscalerConfig"], noEffect: ["restoreToOriginalReplicaCount"])
            if let h = af["horizontalPodAutoscalerConfig"] {
                let hf = h.fields(honoured: ["behavior"], noEffect: ["name"])
                if let b = hf["behavior"] { c.behavior = readBehavior(b) }
            }
        }
        guard let triggers = s["triggers"]?.items, !triggers.isEmpty else { spec.problem("no triggers"); return nil }
        c.triggers = triggers.compactMap(ScaledObjectManifest.trigger)
        config = c
    }

    static func trigger(_ node: ManifestNode) -> KEDAConfig.Trigger? {
        let f = node.fields(honoured: ["type", "metadata", "metricType"], noEffect: ["name", "authenticationRef", "useCachedMetrics"])
        guard let type = f["type"]?.string else { node.problem("no type"); return nil }
        let metricTypeText = f["metricType"]?.string
        guard let metadata = f["metadata"] else { node.problem("no metadata"); return nil }
        func number(_ m: [String: ManifestNode], _ key: String) -> Double? {
            guard let n = m[key], let text = n.string else { return nil }
            guard let v = Double(text), v.isFinite, v >= 0 else { n.problem("\(text) is not a non-negative number"); return nil }
            return v
        }
        switch type {
        case "cpu", "memory":
            let m = metadata.fields(honoured: ["value", "type"], noEffect: ["containerName"])
            let targetType = metricTypeText ?? m["type"]?.string ?? "Utilization"
            guard let v = number(m, "value"), v > 0 else { metadata.problem("\(type) trigger needs a positive value"); return nil }
            guard targetType == "Utilization" else {
                (f["metricType"] ?? metadata).problem("\(type) trigger with metricType \(targetType) is not simulated (Utilization)"); return nil
            }
            return .init(type == "cpu" ? .cpu : .memory, threshold: v, targetType: .utilization)
        case "prometheus":
            let m = metadata.fields(honoured: ["query", "threshold", "activationThreshold"],
                                    noEffect: ["serverAddress", "namespace", "customHeaders", "ignoreNullValues", "unsafeSsl", "authModes",
                                               "queryParameters", "cortexOrgID", "timeout"])
            guard let query = m["query"]?.string else { metadata.problem("prometheus trigger needs query"); return nil }
            guard let metric = node.log.metrics.resolve(query, at: m["query"]!) else { return nil }
            guard let threshold = number(m, "threshold"), threshold > 0 else { metadata.problem("prometheus trigger needs a positive threshold"); return nil }
            return trigger(metric.kedaMetric, threshold: threshold, activation: number(m, "activationThreshold") ?? 0, metricType: metricTypeText, at: f["metricType"])
        default:
            guard let scaler = queueScalers[type] else {
                f["type"]?.problem("scaler \(type) is not simulated (cpu, memory, prometheus, \(queueScalers.keys.sorted().joined(separator: ", ")))")
                return nil
            }
            guard case .mapping(let mapping) = metadata.node else { metadata.problem("expected a mapping"); return nil }
            let honoured: Set<String> = [scaler.threshold, scaler.activation, "mode"]
            // Connection and naming details of the queue change nothing in the simulation.
            let connection = Set(mapping.keys.compactMap(\.string)).subtracting(honoured)
            let m = metadata.fields(honoured: honoured, noEffect: connection)
            if let mode = m["mode"]?.string, mode != "QueueLength" { m["mode"]?.problem("mode \(mode) is not simulated (QueueLength)"); return nil }
            let threshold = number(m, scaler.threshold) ?? scaler.defaultValue
            guard threshold > 0 else { metadata.problem("\(scaler.threshold) must be positive"); return nil }
            return trigger(.queueLength, threshold: threshold, activation: number(m, scaler.activation) ?? 0, metricType: metricTypeText, at: f["metricType"])
        }
    }

    static func trigger(_ metric: KEDAConfig.Trigger.Metric, threshold: Double, activation: Double, metricType: String?, at node: ManifestNode?) -> KEDAConfig.Trigger? {
        switch metricType ?? "AverageValue" {
        case "AverageValue": return .init(metric, threshold: threshold, activationThreshold: activation, targetType: .averageValue)
        case "Value": return .init(metric, threshold: threshold, activationThreshold: activation, targetType: .value)
        case let other: node?.problem("metricType \(other) is not valid here (AverageValue or Value)"); return nil
        }
    }
}

extension SimulatedMetric {
    var kedaMetric: KEDAConfig.Trigger.Metric { self == .requestRate ? .requestRate : .queueLength }
}
