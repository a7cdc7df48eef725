import Calibration
import ClusterModel
import ControlPlane
import ScenarioKit
import SimulationKernel

/// A scenario built from Kubernetes manifests and production traces: "what would my autoscaler
/// have done on this traffic?" without writing Swift.
///
/// Each traced service is a Deployment of the manifests with its HPA or ScaledObject; its traffic is
/// the trace. The per-request CPU (given, or derived from a CPU-usage trace) makes the CPU
/// utilization the HPA sees match production's: work done ÷ the ready pods' CPU requests.
public struct ReplayScenario: Sendable {
    public struct TracedService: Sendable {
        public var deployment: String
        public var trace: String
        /// The traffic itself, when it is not read from `trace` (`validate` replays a history's rate column).
        public var series: MetricSeries?
        public init(deployment: String, trace: String) { self.deployment = deployment; self.trace = trace }
        public init(deployment: String, series: MetricSeries) { self.deployment = deployment; trace = series.origin; self.series = series }
    }
    /// How to measure the CPU one request uses.
    public enum CPUWork: Sendable {
        case perRequest(SimDuration)
        /// A trace of CPU cores in use by the service (e.g. `sum(rate(container_cpu_usage_seconds_total[5m]))`).
        case usageTrace(String)
    }

    public var services: [TracedService]
    public var replay = ReplaySettings()
    public var cpu: [String: CPUWork] = [:]
    /// Median own work per request; p99 is five times it. Default: the per-request CPU, else 50 ms.
    public var serviceTime: SimDuration?
    public var startup: SimDuration?
    public var slo = SLO()
    public var duration: SimDuration?
    public var seed: UInt64 = 1
    public var metrics: [String: SimulatedMetric] = [:]
    /// Calibrated service models (`--model`), by Deployment: they replace the assumed work, slots and start-up.
    public var models: [String: CalibratedModel] = [:]

    public init(services: [TracedService]) { self.services = services }

    /// The scenario, the notes worth printing (assumptions and what is not simulated), or every problem at once.
    public func build(manifests paths: [String]) throws -> (spec: ScenarioSpec, notes: [String]) {
        let manifests = Manifests.read(paths, metrics: metrics)
        var problems: [String] = manifests.problems.map(\.description)
        var notes = manifests.warnings.map(\.description)
        var spec = ScenarioSpec(name: "replay", summary: "Traces replayed onto the Deployments and autoscalers of \(paths.joined(separator: ", "))")
        spec.seed = seed
        var longest = 0.0
        var cpuNeeded = 0.0
        for traced in services {
            let workload: KubernetesWorkload
            do { workload = try KubernetesWorkload.resolve(manifests, deployment: traced.deployment) } catch let e as ManifestError {
                problems += e.problems.map(\.description).filter { !problems.contains($0) }
                continue
            }
            let series: MetricSeries, source: TraceReplay
            do {
                series = try traced.series ?? MetricSeries.load(traced.trace, options: TraceReadOptions(nonNegative: true))
                source = try TraceReplay(checking: series, settings: replay)
            } catch {
                problems.append("\(error)"); continue
            }
            longest = max(longest, source.period - source.start)
            var def = ServiceDefinition(name: traced.deployment)
            workload.apply(to: &def)
            var work: Double?
            switch cpu[traced.deployment] {
            case .perRequest(let d)?: work = d.seconds
            case .usageTrace(let path)?:
                do { work = try ReplayScenario.cpuPerRequest(usage: MetricSeries.load(path, options: TraceReadOptions(nonNegative: true)), requests: series, settings: replay) } catch {
                    problems.append("\(error)")
                }
                if let w = work { notes.append("\(traced.deployment): \(String(format: "%.1f", w * 1000)) ms of CPU per request, from \(path)") }
            case nil:
                notes.append("\(traced.deployment): no --cpu-per-request or --cpu-trace, so CPU utilization is the busy fraction of the worker slots")
            }
            def.model.cpuSecondsPerRequest = work
            let median = serviceTime?.seconds ?? work ?? 0.05
            def.model.serviceTime = .lognormal(median: median, p99: median * 5)
            // A CPU-bound replica serves about as many requests at once as it has cores requested.
            def.model.concurrency = max(1, Int((Double(def.model.cpuMillicores) / 1000).rounded(.up)))
            if let startup { def.model.startup = .constant(startup.seconds) }
            else if workload.deployment.readinessDelay == nil { def.model.startup = .lognormal(median: 30, p99: 90) }
            if let model = models[traced.deployment] {
                model.apply(to: &def.model, cpuPerRequest: false)
                notes.append("\(traced.deployment): the calibrated model \(model.summary)")
            }
            def.slo = slo
            cpuNeeded += Double(def.maxReplicas * def.model.cpuMillicores)
            spec.services.append(def)
            spec.traffic.append(TrafficDefinition(service: traced.deployment, source: .trace(source)))
        }
        guard problems.isEmpty else { throw ReplayProblems(problems: problems) }
        // Nodes enough for every service at its maximum: the question is the pods, not the nodes.
        spec.pools = [NodePoolSpec(name: "nodes", count: max(1, Int((cpuNeeded / 8000 * 1.1).rounded(.up))), cpuMillicores: 8000, memoryMiB: 65_536)]
        spec.duration = duration ?? .seconds(min(max(longest, 60), 366 * 86_400))
        return (spec, notes)
    }

    /// CPU seconds per request: total CPU over total requests, at the CPU trace's timestamps.
    static func cpuPerRequest(usage: MetricSeries, requests: MetricSeries, settings: ReplaySettings) throws -> Double {
        let rate = TraceReplay(series: requests, valuesAre: settings.valuesAre)
        let t0 = requests.points.first?.time ?? 0, t1 = requests.points.last?.time ?? 0
        var cpu = 0.0, req = 0.0
        for p in usage.points where p.time >= t0 && p.time <= t1 {
            cpu += p.value
            req += rate.rate(at: p.time - t0)
        }
        guard req > 0 else {
            throw ReplayProblems(problems: ["\(usage.origin): no sample overlaps the request trace \(requests.origin) in time (or no requests in the overlap)"])
        }
        return cpu / req
    }
}

/// Everything wrong with a replay's inputs, listed at once.
public struct ReplayProblems: Error, CustomStringConvertible {
    public var problems: [String]
    public var description: String { problems.joined(separator: "\n") }
}
