import ControlPlane

/// What a metric name in a manifest means in the simulated system.
public enum SimulatedMetric: String, Sendable, CaseIterable {
    /// Requests per second arriving at the service.
    case requestRate = "request-rate"
    /// Requests waiting in the service's queue.
    case queueLength = "queue-length"

    /// The default reading of a metric name: names about requests are the request rate; names about
    /// queues, messages, lag or backlog are the queue length. Anything else must be mapped explicitly.
    public static func guess(_ name: String) -> SimulatedMetric? {
        let n = name.lowercased()
        if ["queue", "messages", "lag", "backlog", "pending", "depth", "length"].contains(where: n.contains) { return .queueLength }
        if ["request", "rps", "qps", "http", "throughput"].contains(where: n.contains) { return .requestRate }
        return nil
    }
}

/// Reads a metric the scenario must supply, and says how it was read.
struct MetricMapping {
    var explicit: [String: SimulatedMetric]
    func resolve(_ name: String, at node: ManifestNode) -> SimulatedMetric? {
        if let m = explicit[name] { return m }
        if let m = SimulatedMetric.guess(name) {
            node.warning("metric \"\(name)\" is read as the service's \(m == .requestRate ? "request rate (requests/s)" : "queue length") (map it with metrics: [\"\(name)\": …] or --metric \(name)=…)")
            return m
        }
        node.problem("metric \"\(name)\" is not one the simulation supplies: map it to request-rate or queue-length (metrics: [\"\(name)\": .requestRate] or --metric \(name)=request-rate)")
        return nil
    }
}

/// An `autoscaling/v2` HorizontalPodAutoscaler. Metrics stay as written until ``config(for:)``
/// resolves `AverageValue` resource targets against the Deployment's requests.
public struct HorizontalPodAutoscalerManifest: Sendable {
    public enum Metric: Sendable, Equatable {
        /// `Resource` cpu/memory with `Utilization` (percent).
        case utilization(resource: String, percent: Double)
        /// `Resource` cpu (cores) / memory (bytes) with `AverageValue`.
        case averageResource(resource: String, value: Double)
        /// `Pods`, `External` or `Object` on a named metric, read as `metric`.
        case named(source: String, name: String, metric: SimulatedMetric, targetType: String, value: Double)
    }
    public var name: String
    public var file: String
    public var line: Int
    public var targetKind: String
    public var targetName: String
    /// The line of `scaleTargetRef`, for messages about it.
    public var targetLine: Int
    public var minReplicas: Int
    public var maxReplicas: Int
    public var metrics: [Metric]
    public var behavior: HPA.Behavior

    init?(_ root: ManifestNode) {
        guard let (name, spec) = readObject(root) else { return nil }
        self.name = name; file = root.file; line = root.line
        let s = spec.fields(honoured: ["scaleTargetRef", "minReplicas", "maxReplicas", "metrics", "behavior"])
        guard let ref = s["scaleTargetRef"] else { spec.problem("no scaleTargetRef"); return nil }
        let r = ref.fields(honoured: ["kind", "name"], noEffect: ["apiVersion"])
        targetKind = r["kind"]?.string ?? "Deployment"
        guard let target = r["name"]?.string else { ref.problem("no name"); return nil }
        targetName = target
        targetLine = ref.line
        minReplicas = s["minReplicas"]?.int(in: 0...100_000) ?? 1
        guard let maxNode = s["maxReplicas"], let maxValue = maxNode.int(in: 1...100_000) else {
            if s["maxReplicas"] == nil { spec.problem("no maxReplicas (it is required)") }
            return nil
        }
        maxReplicas = maxValue
        if minReplicas > maxReplicas { spec.problem("minReplicas \(minReplicas) is above maxReplicas \(maxReplicas)") }
        let metricNodes = s["metrics"]?.items ?? []
        // Without metrics the HPA scales on 80 % CPU (the autoscaling/v2 default).
        metrics = metricNodes.isEmpty ? [.utilization(resource: "cpu", percent: 80)] : metricNodes.compactMap(HorizontalPodAutoscalerManifest.metric)
        behavior = s["behavior"].map(readBehavior) ?? HPA.Behavior()
    }

    static func metric(_ node: ManifestNode) -> Metric? {
        let f = node.fields(honoured: ["type", "resource", "pods", "external", "object"], noEffect: ["containerResource"])
        guard let type = f["type"]?.string else { node.problem("no type"); return nil }
        switch type {
        case "Resource":
            guard let r = f["resource"] else { node.problem("type Resource needs resource"); return nil }
            let rf = r.fields(honoured: ["name", "target"])
            guard let resource = rf["name"]?.string, let target = rf["target"] else { r.problem("needs name and target"); return nil }
            guard resource == "cpu" || resource == "memory" else { rf["name"]?.problem("resource \"\(resource)\" is not simulated (cpu or memory)"); return nil }
            let t = target.fields(honoured: ["type", "averageUtilization", "averageValue"], noEffect: [])
            switch t["type"]?.string {
            case "Utilization":
                guard let p = t["averageUtilization"]?.int(in: 1...100_000) else { if t["averageUtilization"] == nil { target.problem("Utilization needs averageUtilization") }; return nil }
                return .utilization(resource: resource, percent: Double(p))
            case "AverageValue":
                guard let v = t["averageValue"]?.quantity(atMost: 1e15, "1P") else { if t["averageValue"] == nil { target.problem("AverageValue needs averageValue") }; return nil }
                return .averageResource(resource: resource, value: v)
            case let other:
                (t["type"] ?? target).problem("target type \(other ?? "missing") is not valid for a Resource metric (Utilization or AverageValue)")
                return nil
            }
        case "Pods", "External", "Object":
            let key = type.lowercased()
            guard let source = f[key] else { node.problem("type \(type) needs \(key)"); return nil }
            let sf = source.fields(honoured: ["metric", "target"], noEffect: ["describedObject"])
            guard let metric = sf["metric"], let target = sf["target"] else { source.problem("needs metric and target"); return nil }
            let mf = metric.fields(honoured: ["name"], notSimulated: ["selector": "the metric is the service's own"])
            guard let name = mf["name"]?.string else { metric.problem("no name"); return nil }
            guard let simulated = node.log.metrics.resolve(name, at: metric) else { return nil }
            let t = target.fields(honoured: ["type", "averageValue", "value"])
            let targetType = t["type"]?.string ?? ""
            let allowed = type == "Pods" ? ["AverageValue"] : ["AverageValue", "Value"]
            guard allowed.contains(targetType) else {
                (t["type"] ?? target).problem("target type \(targetType.isEmpty ? "missing" : targetType) is not valid for a \(type) metric (\(allowed.joined(separator: " or ")))")
                return nil
            }
            guard let v = t[targetType == "Value" ? "value" : "averageValue"]?.quantity(atMost: 1e15, "1P"), v > 0 else {
                target.problem("\(targetType) needs a positive \(targetType == "Value" ? "value" : "averageValue")"); return nil
            }
            if type == "Pods" && simulated == .queueLength {
                metric.problem("a Pods metric on the queue length is not simulated (use an External metric with AverageValue)"); return nil
            }
            return .named(source: type, name: name, metric: simulated, targetType: targetType, value: v)
        case "ContainerResource":
            node.problem("ContainerResource metrics are not simulated (one container's usage is not modelled): use Resource")
            return nil
        default:
            node.problem("metric type \(type) is not one of Resource, Pods, External, Object")
            return nil
        }
    }
}

/// `behavior` (scaleUp / scaleDown) into the HPA's rules; absent parts keep Kubernetes' defaults.
func readBehavior(_ node: ManifestNode) -> HPA.Behavior {
    let f = node.fields(honoured: ["scaleUp", "scaleDown"])
    var b = HPA.Behavior()
    if let up = f["scaleUp"] { b.scaleUp = readRules(up, defaults: HPA.Behavior.defaultScaleUp) }
    if let down = f["scaleDown"] { b.scaleDown = readRules(down, defaults: HPA.Behavior.defaultScaleDown) }
    return b
}

func readRules(_ node: ManifestNode, defaults: HPA.ScalingRules) -> HPA.ScalingRules {
    let f = node.fields(honoured: ["stabilizationWindowSeconds", "selectPolicy", "policies", "tolerance"])
    var rules = defaults
    if let w = f["stabilizationWindowSeconds"]?.int(in: 0...3600) { rules.stabilizationWindowSeconds = Double(w) }
    if let sp = f["selectPolicy"], let text = sp.string {
        if let p = HPA.SelectPolicy(rawValue: text) { rules.selectPolicy = p } else { sp.problem("selectPolicy \(text) is not Max, Min or Disabled") }
    }
    if let t = f["tolerance"] {
        if let text = t.string, let v = Quantity.parse(text), v <= 1 { rules.tolerance = v } else { t.problem("tolerance must be a quantity in 0…1, e.g. 0.05 or 50m") }
    }
    if let policies = f["policies"] {
        rules.policies = policies.items.compactMap { p in
            let pf = p.fields(honoured: ["type", "value", "periodSeconds"])
            guard let typeText = pf["type"]?.string, let kind = HPA.ScalingPolicy.Kind(rawValue: typeText) else {
                p.problem("policy type must be Pods or Percent"); return nil
            }
            guard let value = pf["value"]?.int(in: 1...100_000), let period = pf["periodSeconds"]?.int(in: 1...1800) else {
                if pf["value"] == nil || pf["periodSeconds"] == nil { p.problem("a policy needs value and periodSeconds") }
                return nil
            }
            return HPA.ScalingPolicy(kind, value: value, periodSeconds: Double(period))
        }
    }
    return rules
}

extension HorizontalPodAutoscalerManifest.Metric {
    /// The simulated HPA's metric; resource AverageValue targets become utilization of the request.
    func target(deployment d: DeploymentManifest) -> Result<HPA.MetricTarget, MappingProblem> {
        switch self {
        case .utilization(let resource, let percent):
            return .success(resource == "cpu" ? .cpu(percent) : .memory(percent))
        case .averageResource(let resource, let value):
            guard let request = resource == "cpu" ? d.cpuRequest : d.memoryRequest, request > 0 else {
                return .failure(MappingProblem(message: "an AverageValue \(resource) target needs the Deployment's \(resource) request (\(d.file), deployment \(d.name))"))
            }
            let percent = value / request * 100
            return .success(resource == "cpu" ? .cpu(percent) : .memory(percent))
        case .named(let source, _, let metric, let targetType, let value):
            switch (source, metric, targetType) {
            case ("Pods", .requestRate, _): return .success(.requestsPerPod(value))
            case (_, .requestRate, "Value"): return .success(.init(.requestsValue, target: value))
            case (_, .requestRate, _): return .success(.init(.requestsAverageValue, target: value))
            case (_, .queueLength, "Value"): return .success(.init(.queueValue, target: value))
            case (_, .queueLength, _): return .success(.queuePerPod(value))
            }
        }
    }
}

/// Why a manifest's setting cannot become part of the simulated service.
struct MappingProblem: Error { var message: String }
