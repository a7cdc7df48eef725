import Foundation
import Telemetry

/// The predictive autoscalers cloud providers run, each configured from its public documentation.
///
/// All three forecast the load from its daily pattern, scale out ahead of it, never scale in on a
/// forecast (their reactive policy removes capacity), and use the larger of the predicted and the
/// reactive capacity. They differ in the history they need, how often and how coarsely they forecast,
/// how early they act and what they do at the maximum.
public struct CloudPredictiveConfig: Sendable, Equatable {
    public enum Mode: String, Sendable { case forecastAndScale = "forecast-and-scale", forecastOnly = "forecast-only" }
    /// What happens when the forecast capacity exceeds the maximum.
    public enum MaxCapacityBreach: Sendable, Equatable {
        case honorMaxCapacity
        /// Raise the maximum to the forecast capacity plus `bufferPercent` (and keep it raised).
        case increaseMaxCapacity(bufferPercent: Double)
    }

    public var name: String
    /// History the forecaster needs before its first forecast.
    public var minimumHistory: Double
    /// The most history it uses.
    public var historyUsed: Double
    /// Forecast resolution: capacity is planned per bucket of this length (3600 = hourly).
    public var bucket: Double
    /// How often the forecast is recomputed; nil = at every evaluation.
    public var refresh: Double?
    /// How far ahead a forecast reaches.
    public var horizon: Double
    /// How early capacity for a bucket is put in place; nil = the replica start-up time.
    public var schedulingBuffer: Double?
    public var mode: Mode
    public var maxCapacityBreach: MaxCapacityBreach
    /// The reactive policy it runs beside (the larger proposal wins); its utilisation target is the plan's too.
    public var reactive: HPAConfig

    public init(name: String, minimumHistory: Double, historyUsed: Double, bucket: Double, refresh: Double?, horizon: Double,
                schedulingBuffer: Double?, mode: Mode = .forecastAndScale, maxCapacityBreach: MaxCapacityBreach = .honorMaxCapacity,
                reactive: HPAConfig = HPAConfig()) {
        self.name = name; self.minimumHistory = minimumHistory; self.historyUsed = historyUsed; self.bucket = bucket
        self.refresh = refresh; self.horizon = horizon; self.schedulingBuffer = schedulingBuffer; self.mode = mode
        self.maxCapacityBreach = maxCapacityBreach; self.reactive = reactive
    }

    /// Amazon EC2 Auto Scaling predictive scaling
    /// (docs.aws.amazon.com/autoscaling/ec2/userguide/predictive-scaling-policy-overview.html and
    /// API_PredictiveScalingConfiguration): at least 24 hours of metric data, up to the past 14 days
    /// analysed, an hourly forecast of the next 48 hours updated every 6 hours; capacity set at the
    /// start of each hour, advanced by `SchedulingBufferTime` (default 300 s); `ForecastOnly` by
    /// default; it does not scale in when the forecast falls; `HonorMaxCapacity` by default; with
    /// dynamic scaling the group keeps the larger capacity.
    public static func aws(mode: Mode = .forecastAndScale, schedulingBuffer: Double = 300,
                           maxCapacityBreach: MaxCapacityBreach = .honorMaxCapacity) -> CloudPredictiveConfig {
        CloudPredictiveConfig(name: mode == .forecastOnly ? "aws-predictive-dry" : "aws-predictive", minimumHistory: 86_400,
                              historyUsed: 14 * 86_400, bucket: 3600, refresh: 6 * 3600, horizon: 48 * 3600,
                              schedulingBuffer: schedulingBuffer, mode: mode, maxCapacityBreach: maxCapacityBreach)
    }

    /// Google Compute Engine managed instance groups, predictive autoscaling
    /// (cloud.google.com/compute/docs/autoscaler/predictive-autoscaling): needs 3 days of CPU-based
    /// autoscaling history, uses up to 3 weeks; forecasts continuously (here every 5 minutes, in
    /// 5-minute buckets) and scales out ahead by the
    /// initialization period (here the replica start-up time); the group gets the larger of the
    /// predicted and the real-time capacity; scale-in stays with the reactive autoscaler.
    public static let gcp = CloudPredictiveConfig(name: "gcp-predictive", minimumHistory: 3 * 86_400, historyUsed: 21 * 86_400,
                                                  bucket: 300, refresh: 300, horizon: 3600, schedulingBuffer: nil)

    /// Azure Monitor predictive autoscale for virtual machine scale sets
    /// (learn.microsoft.com/azure/azure-monitor/autoscale/autoscale-predictive): needs 7 days of CPU
    /// history and uses up to 15; forecast-only or enabled; scales out ahead by the pre-launch time
    /// (up to 60 minutes; here the replica start-up time), only scales out, and runs beside a reactive
    /// CPU rule (the larger capacity wins). Forecast resolution and refresh are not documented; hourly
    /// buckets refreshed hourly are assumed.
    public static func azure(mode: Mode = .forecastAndScale) -> CloudPredictiveConfig {
        CloudPredictiveConfig(name: mode == .forecastOnly ? "azure-predictive-dry" : "azure-predictive", minimumHistory: 7 * 86_400,
                              historyUsed: 15 * 86_400, bucket: 3600, refresh: 3600, horizon: 48 * 3600, schedulingBuffer: nil, mode: mode)
    }
}

/// A cloud provider's predictive autoscaler (see `CloudPredictiveConfig`) beside a reactive HPA.
///
/// The forecast is the documented "daily pattern": for each future bucket, the mean load of the same
/// bucket of the day over the history used. Capacity for a bucket is its load over a replica's
/// capacity at the reactive target utilisation; it is in place `schedulingBuffer` before the bucket
/// starts and is a floor, never a reason to scale in.
public struct CloudPredictivePolicy: ScalingPolicy, Equatable {
    public var config: CloudPredictiveConfig
    var controller: HPA.Controller
    /// Stabilises the forecast-only shadow (see `ForecastPlanning.forecastOnly`).
    var shadowController: HPA.Controller
    var lastEvaluation = -Double.infinity
    /// Load history: the sum and count of arrival rates per bucket index since time 0, from `oldestBucket` on.
    var history: [Int: (sum: Double, count: Int)] = [:]
    var oldestBucket: Int?
    var firstSample: Double?
    /// The latest forecast: load per future bucket index, and when it was made.
    var forecast: [Int: Double] = [:]
    var forecastMadeAt = -Double.infinity
    var startup: Double = 60

    public init(_ config: CloudPredictiveConfig) {
        self.config = config
        controller = HPA.Controller(behavior: config.reactive.behavior)
        shadowController = HPA.Controller(behavior: config.reactive.behavior)
    }
    public var name: String { config.name }

    public func configured(for service: PolicyEnvironment) -> CloudPredictivePolicy {
        var p = self
        p.startup = service.startupMean
        return p
    }

    var buffer: Double { config.schedulingBuffer ?? startup }

    /// Whether enough history has been seen to forecast.
    public func hasEnoughHistory(at now: Double) -> Bool { firstSample.map { now - $0 >= config.minimumHistory } ?? false }

    mutating func learn(_ s: ServiceSample) {
        if firstSample == nil { firstSample = s.time }
        let k = Int((s.time / config.bucket).rounded(.down))
        if history[k] == nil {
            // A new bucket: forget the ones older than the history used (amortised O(1) per sample).
            let keep = Int(((s.time - config.historyUsed) / config.bucket).rounded(.down))
            var o = oldestBucket ?? k
            while o < keep { history[o] = nil; o += 1 }
            oldestBucket = max(o, oldestBucket ?? k)
        }
        let old = history[k] ?? (0, 0)
        history[k] = (old.sum + s.arrivalRate, old.count + 1)
    }

    /// Forecasts every bucket from now to the horizon as the mean of the same bucket of the day in the history.
    mutating func refreshForecast(at now: Double) {
        let perDay = max(1, Int((86_400 / config.bucket).rounded()))
        var profile: [Int: (sum: Double, count: Int)] = [:]
        for (k, v) in history where v.count > 0 {
            let slot = ((k % perDay) + perDay) % perDay
            let old = profile[slot] ?? (0, 0)
            profile[slot] = (old.sum + v.sum / Double(v.count), old.count + 1)
        }
        let first = Int((now / config.bucket).rounded(.down)), last = Int(((now + config.horizon) / config.bucket).rounded(.down))
        forecast = [:]
        for k in first...max(first, last) {
            if let p = profile[((k % perDay) + perDay) % perDay], p.count > 0 { forecast[k] = p.sum / Double(p.count) }
        }
        forecastMadeAt = now
    }

    /// The forecast capacity for the bucket that starts within the scheduling buffer (or is under way).
    func plannedCapacity(at now: Double, capacityPerReplica cap: Double) -> (replicas: Int, load: Double)? {
        let k = Int(((now + buffer) / config.bucket).rounded(.down))
        guard let load = forecast[k] else { return nil }
        return (Int((load / (cap * config.reactive.plannedUtilization)).rounded(.up)), load)
    }

    public mutating func propose(_ c: PolicyContext) -> ScalingProposal? {
        let s = c.sample, current = c.currentReplicas
        if s.metricsAvailable { learn(s) }
        guard c.now - lastEvaluation >= config.reactive.syncPeriod - 1e-9 else { return nil }
        lastEvaluation = c.now
        let (reactive, rule) = config.reactive.proposal(s, current: current)
        var inputs: [String: Double] = ["reactive_proposal": Double(reactive)]
        var planned: Int?
        if hasEnoughHistory(at: c.now) {
            if c.now - forecastMadeAt >= (config.refresh ?? 0) || forecast.isEmpty { refreshForecast(at: c.now) }
            if let cap = c.capacityPerReplica, cap > 0, let plan = plannedCapacity(at: c.now, capacityPerReplica: cap) {
                planned = plan.replicas
                inputs["forecast_rate"] = plan.load
                inputs["predictive_proposal"] = Double(plan.replicas)
            }
        }
        // The forecast is a floor: it raises capacity, the reactive policy alone lowers it.
        let combined = max(reactive, planned ?? reactive)
        var maximum = c.bounds.maxReplicas
        // IncreaseMaxCapacity: a forecast that approaches or exceeds the maximum raises it to the forecast plus the buffer.
        if case .increaseMaxCapacity(let pct) = config.maxCapacityBreach, let planned {
            maximum = max(maximum, Int((Double(planned) * (1 + pct / 100)).rounded(.up)))
        }
        let why = planned.map { "max(reactive \(reactive), forecast for the next \(Int(config.bucket / 60)) min ⇒ \($0))" }
            ?? (hasEnoughHistory(at: c.now) ? "reactive only (no forecast for this time)" : "reactive only (less than \(Int(config.minimumHistory / 3600)) h of history)")
        if config.mode == .forecastOnly {
            return ForecastPlanning.forecastOnly(c, reactive: reactive, rule: rule, combined: combined, maximum: maximum, why: why,
                                                 inputs: inputs, policy: config.name, controller: &controller, shadowController: &shadowController)
        }
        let n = controller.normalize(proposal: combined, current: current, min: c.bounds.minReplicas, max: maximum, now: c.now)
        var proposal = ScalingProposal(c.proposal(combined, final: n.replicas, rule: (planned ?? 0) > reactive ? "forecast" : rule,
                                                  reason: why, limitedBy: n.limitedBy, inputs: inputs))
        if maximum > c.bounds.maxReplicas { proposal.raisedMaximum = maximum }
        return proposal
    }

    public mutating func applied(from old: Int, to new: Int, at time: Double) { controller.record(from: old, to: new, now: time) }

    public static func == (a: CloudPredictivePolicy, b: CloudPredictivePolicy) -> Bool { a.config == b.config }
}

extension ScalingPolicy where Self == CloudPredictivePolicy {
    /// A cloud provider's predictive autoscaler: `.cloudPredictive(.aws())`, `.cloudPredictive(.gcp)`, `.cloudPredictive(.azure())`.
    public static func cloudPredictive(_ config: CloudPredictiveConfig) -> CloudPredictivePolicy { CloudPredictivePolicy(config) }
}

extension HPAConfig {
    /// The utilisation a forecast is planned at: the CPU target (60 % when it has none).
    var plannedUtilization: Double { (metrics.first { $0.kind == .cpu }?.target ?? 60) / 100 }
}
