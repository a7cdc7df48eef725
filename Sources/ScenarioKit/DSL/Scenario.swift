import ClusterModel

/// A piece of a scenario: a node pool, a service, a traffic stream, a setting …
///
/// Every DSL node is a small value that knows how to apply itself to the spec being built, the way
/// each RegexBuilder component contributes to a regex.
public protocol ScenarioComponent: Sendable {
    /// Adds this piece to the scenario being built (a pool, a service, a setting). A problem it finds goes into
    /// `spec.buildProblems`, reported with every other when the scenario is validated.
    func apply(to spec: inout ScenarioSpec)
}

/// The result builder of a `Scenario { … }` block: its settings, in order, with `if`, `if`/`else`, `for` and
/// optionals allowed. Its functions are the compiler's: you never call them.
@resultBuilder
public enum ScenarioBuilder {
    public static func buildExpression(_ c: some ScenarioComponent) -> [any ScenarioComponent] { [c] }
    public static func buildExpression(_ cs: [any ScenarioComponent]) -> [any ScenarioComponent] { cs }
    public static func buildBlock(_ parts: [any ScenarioComponent]...) -> [any ScenarioComponent] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [any ScenarioComponent]?) -> [any ScenarioComponent] { part ?? [] }
    public static func buildEither(first: [any ScenarioComponent]) -> [any ScenarioComponent] { first }
    public static func buildEither(second: [any ScenarioComponent]) -> [any ScenarioComponent] { second }
    public static func buildArray(_ parts: [[any ScenarioComponent]]) -> [any ScenarioComponent] { parts.flatMap { $0 } }
}

/// A named, described scenario written in Swift.
///
/// ```swift
/// let scenario = Scenario("black-friday", "A daily cycle with an 8× evening surge") {
///     RunFor(.hours(24))
///     NodePool("general", count: 8)
///     Service("checkout") { Replicas(6, min: 2, max: 40); SLO(p95: .milliseconds(300)) }
///     Traffic(to: "checkout", rate: 120) { DailyCycle(amplitude: 0.6, peakAt: .hours(20)) }
/// }
/// ```
public struct Scenario: Sendable {
    /// The name `run`, `list` and the results database know it by (`black-friday`).
    public let name: String
    /// One line saying what the scenario exercises (shown by `list`).
    public let summary: String
    private let components: [any ScenarioComponent]

    /// A scenario named `name`, described by `summary`, built from the pieces in `body`; every setting left out
    /// has its default (the WritingAScenario article's table).
    public init(_ name: String, _ summary: String, @ScenarioBuilder _ body: () -> [any ScenarioComponent]) {
        self.name = name
        self.summary = summary
        self.components = body()
    }

    /// The resolved spec with every default filled in.
    public var spec: ScenarioSpec {
        var spec = ScenarioSpec(name: name, summary: summary)
        for c in components { c.apply(to: &spec) }
        return spec
    }
}

/// Run settings.
public struct RunFor: ScenarioComponent {
    let duration: SimDuration
    /// Runs for `duration` of simulated time (default 24 h); `--duration` overrides it.
    public init(_ duration: SimDuration) { self.duration = duration }
    public func apply(to spec: inout ScenarioSpec) { spec.duration = duration }
}

/// The seed of the run's random streams (default 1); `--seed` overrides it.
public struct Seed: ScenarioComponent {
    let seed: UInt64
    /// The seed; the same scenario and seed give identical results.
    public init(_ seed: UInt64) { self.seed = seed }
    public func apply(to spec: inout ScenarioSpec) { spec.seed = seed }
}

/// The scrape interval: how often the control plane observes, and the recorded samples' step (default 15 s).
public struct ScrapeEvery: ScenarioComponent {
    let interval: SimDuration
    /// Scrapes every `interval`.
    public init(_ interval: SimDuration) { self.interval = interval }
    public func apply(to spec: inout ScenarioSpec) { spec.scrapeInterval = interval }
}

/// `Fidelity(.fluid)`: the scenario's requests as flows (see `Fidelity`); request level otherwise.
extension Fidelity: ScenarioComponent {
    /// `.request` (every request simulated, the default) or `.fluid` (requests as flows).
    public init(_ fidelity: Fidelity) { self = fidelity }
    public func apply(to spec: inout ScenarioSpec) { spec.fidelity = self }
}

/// How long the SLO must hold continuously after a fault to count as recovered (default 2 minutes).
public struct StabilityWindow: ScenarioComponent {
    let window: SimDuration
    /// The SLO must hold for `window` without a break to count as recovered.
    public init(_ window: SimDuration) { self.window = window }
    public func apply(to spec: inout ScenarioSpec) { spec.stabilityWindow = window }
}

import SimulationKernel

/// What the predictor forecasts during the run (arrival rate per service) and how far ahead.
public struct Predict: ScenarioComponent {
    let settings: PredictorSettings
    /// - Parameter models: forecasters of your own, run and scored beside the built-in ones.
    public init(horizons: [SimDuration] = [.minutes(1), .minutes(5), .minutes(15)], enabled: Bool = true, models: [ForecasterModel] = []) {
        settings = PredictorSettings(horizons: horizons.map(\.seconds), enabled: enabled, extraModels: models)
    }
    public func apply(to spec: inout ScenarioSpec) { spec.predictor = settings }
}

import ControlPlane

/// Limits over all services: a total-replica cap, an hourly budget, dry-run.
public struct ScalingLimits: ScenarioComponent {
    let limits: GlobalLimits
    /// - Parameters:
    ///   - maxTotalReplicas: replicas over all services at most; scale-ups beyond it are cut (nil: no cap).
    ///   - budgetPerHour: replica cost per hour at most, in the services' prices (nil: no budget).
    ///   - dryRun: decide and record, but apply nothing.
    public init(maxTotalReplicas: Int? = nil, budgetPerHour: Double? = nil, dryRun: Bool = false) {
        limits = GlobalLimits(maxTotalReplicas: maxTotalReplicas, budgetPerHour: budgetPerHour, dryRun: dryRun)
    }
    public func apply(to spec: inout ScenarioSpec) { spec.limits = limits }
}

/// Cluster autoscaling for a node pool: nodes are added while replicas are pending.
public struct ClusterAutoscaling: ScenarioComponent {
    let config: ClusterAutoscalerConfig
    /// - Parameters:
    ///   - pool: the node pool it scales.
    ///   - minNodes, maxNodes: the pool's bounds.
    ///   - scaleDownUnneeded: how long a node must be unneeded before it is removed.
    public init(pool: String, minNodes: Int = 1, maxNodes: Int = 100, scaleDownUnneeded: SimDuration = .minutes(10)) {
        config = ClusterAutoscalerConfig(pool: pool, minNodes: minNodes, maxNodes: maxNodes, scaleDownUnneeded: scaleDownUnneeded.seconds)
    }
    public func apply(to spec: inout ScenarioSpec) { spec.clusterAutoscaler = config }
}

/// Everything another scenario has (pools, services, traffic, faults, gates, settings), to change with
/// `Override` and add to: how a case found by `stormglass search` becomes a regression scenario. Put it first:
/// it replaces whatever came before it, except this scenario's name and summary.
public struct BasedOn: ScenarioComponent {
    let base: Scenario
    public init(_ base: Scenario) { self.base = base }
    public func apply(to spec: inout ScenarioSpec) {
        let (name, summary) = (spec.name, spec.summary)
        spec = base.spec
        spec.name = name; spec.summary = summary
    }
}

/// One `--set key=value` inside a scenario: `Override("faults.crash.start", "1h10m")`. A key or value the
/// scenario refuses is a problem validation reports, as `--set` would.
public struct Override: ScenarioComponent {
    let key: String, value: String
    public init(_ key: String, _ value: String) { self.key = key; self.value = value }
    public func apply(to spec: inout ScenarioSpec) {
        do { try spec.set(key, value) } catch {
            spec.buildProblems.append(ValidationProblem(path: key, message: "\(error)"))
        }
    }
}
