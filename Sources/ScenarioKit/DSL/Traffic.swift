import ClusterModel
import SimulationKernel

/// A shape inside a `Traffic { … }` block. Its `name` addresses it in parameters (`surge.multiplier`).
public protocol TrafficComponent: Sendable {
    /// The name that addresses the shape in parameters and sweeps (`surge.multiplier`).
    var name: String { get }
    /// The multiplier this shape applies to the stream's base rate over time.
    var shape: LoadShape { get }
}

/// The result builder of a `Traffic { … }` block: its settings, in order, with `if`, `if`/`else`, `for` and
/// optionals allowed. Its functions are the compiler's: you never call them.
@resultBuilder
public enum TrafficBuilder {
    public static func buildExpression(_ c: some TrafficComponent) -> [any TrafficComponent] { [c] }
    public static func buildBlock(_ parts: [any TrafficComponent]...) -> [any TrafficComponent] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [any TrafficComponent]?) -> [any TrafficComponent] { part ?? [] }
    public static func buildEither(first: [any TrafficComponent]) -> [any TrafficComponent] { first }
    public static func buildEither(second: [any TrafficComponent]) -> [any TrafficComponent] { second }
    public static func buildArray(_ parts: [[any TrafficComponent]]) -> [any TrafficComponent] { parts.flatMap { $0 } }
}

/// External requests arriving at a service: a base rate (or a replayed trace) times its shapes.
public struct Traffic: ScenarioComponent {
    let service: String
    let source: Result<RateSource, TraceError>
    let batch: Distribution
    let retry: RetryPolicy
    let shapes: [any TrafficComponent]

    /// Poisson arrivals at `rate` requests per second, shaped; the clients retry as `retry` says.
    public init(to service: String, rate: Double, batchSize: Distribution = .constant(1), retry: RetryPolicy = .none,
                @TrafficBuilder _ body: () -> [any TrafficComponent] = { [] }) {
        self.service = service; self.source = .success(.constant(rate)); self.batch = batchSize; self.retry = retry; self.shapes = body()
    }

    /// Replays a trace file as the base rate: a `timestamp,value` CSV or a Prometheus range-query
    /// JSON export (see `MetricSeries` for the formats and `ReplaySettings` for the options).
    public init(to service: String, replaying path: String, valuesAre: TraceReplay.ValueMeaning = .countPerRow,
                scale: Double = 1, peak: Double? = nil, timeScale: Double = 1, start: SimDuration = .zero,
                batchSize: Distribution = .constant(1), retry: RetryPolicy = .none,
                @TrafficBuilder _ body: () -> [any TrafficComponent] = { [] }) {
        self.retry = retry
        self.service = service
        self.source = RateSource.replaying(path, settings: ReplaySettings(valuesAre: valuesAre, scale: scale, peak: peak,
                                                                         timeScale: timeScale, start: start.seconds))
        self.batch = batchSize
        self.shapes = body()
    }

    /// Adds the stream; a trace that cannot be read is reported when the scenario is validated.
    public func apply(to spec: inout ScenarioSpec) {
        switch source {
        case .success(let s):
            spec.traffic.append(TrafficDefinition(service: service, source: s,
                                                  shapes: shapes.map { .init(name: $0.name, shape: $0.shape) },
                                                  batchSize: batch, retry: retry))
        case .failure(let e):
            spec.buildProblems.append(ValidationProblem(path: "traffic.\(service)", message: e.description))
        }
    }
}

/// 1 + amplitude·cos(2π(t − peakAt)/24h).
public struct DailyCycle: TrafficComponent {
    public let name: String
    public let shape: LoadShape
    /// A daily cycle between 1 − `amplitude` and 1 + `amplitude` times the base rate, highest at `peakAt` past midnight.
    public init(amplitude: Double = 0.5, peakAt: SimDuration = .hours(14), name: String = "daily") {
        self.name = name
        shape = .cycle(period: .hours(24), amplitude: amplitude, peakAt: peakAt)
    }
}

/// 1 + amplitude·cos(2π(t − peakAt)/7d).
public struct WeeklyCycle: TrafficComponent {
    public let name: String
    public let shape: LoadShape
    /// A weekly cycle between 1 − `amplitude` and 1 + `amplitude`, highest `peakAt` into the week.
    public init(amplitude: Double = 0.2, peakAt: SimDuration = .days(2), name: String = "weekly") {
        self.name = name
        shape = .cycle(period: .days(7), amplitude: amplitude, peakAt: peakAt)
    }
}

/// A linear change of load from `from`× to `to`× between two instants.
public struct Ramp: TrafficComponent {
    public let name: String
    public let shape: LoadShape
    /// From `from`× the base rate at `start` to `to`× at `end`, linearly; `to`× after.
    public init(from: Double = 1, to: Double, start: SimDuration, end: SimDuration, name: String = "ramp") {
        self.name = name
        shape = .ramp(start: start, end: end, from: from, to: to)
    }
}

/// Ramp up to `multiplier`×, hold, decay back: a Black Friday peak.
public struct Surge: TrafficComponent {
    public let name: String
    public let shape: LoadShape
    /// From 1× at `start` up to `multiplier`× over `rampUp`, held for `hold`, back to 1× over `decay`.
    public init(at start: SimDuration, multiplier: Double, rampUp: SimDuration = .minutes(30),
                hold: SimDuration = .hours(2), decay: SimDuration = .hours(1), name: String = "surge") {
        self.name = name
        shape = .surge(start: start, rampUp: rampUp, hold: hold, decay: decay, multiplier: multiplier)
    }
}

/// A sudden jump to `multiplier`× decaying with a half-life: a link on a front page.
public struct FlashCrowd: TrafficComponent {
    public let name: String
    public let shape: LoadShape
    /// `multiplier`× at once at `start`, the excess halving every `halfLife`.
    public init(at start: SimDuration, multiplier: Double, halfLife: SimDuration = .minutes(10), name: String = "flash") {
        self.name = name
        shape = .flashCrowd(start: start, multiplier: multiplier, halfLife: halfLife)
    }
}

/// Multiplicative log-normal noise, constant per bucket.
public struct Noise: TrafficComponent {
    public let name: String
    public let shape: LoadShape
    /// A log-normal factor of median 1 and log-standard-deviation `sigma`, drawn afresh `every` interval.
    public init(sigma: Double = 0.1, every: SimDuration = .minutes(1), name: String = "noise") {
        self.name = name
        shape = .noise(sigma: sigma, every: every)
    }
}

/// A traffic shape of your own: `Shape(LunchPeak(), name: "lunch")` (named after the shape by default).
public struct Shape: TrafficComponent {
    public let name: String
    public let shape: LoadShape
    /// Your `TrafficShape`, addressed in parameters by `name` (default: the shape's own name).
    public init(_ shape: some TrafficShape, name: String? = nil) {
        self.name = name ?? shape.name
        self.shape = .custom(CustomShape(shape))
    }
}
