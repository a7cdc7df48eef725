import Stormglass

/// The shop's own fault: the catalogue's cache is flushed, so every request goes to the database
/// (slower), and a small share of requests time out against it (errors) until the cache warms up.
public struct CacheStampede: ServiceFault, Equatable {
    public var slowdown: Double
    public var missFraction: Double

    public init(slowdown: Double, missFraction: Double) {
        self.slowdown = slowdown; self.missFraction = missFraction
    }

    public var name: String { "cache-stampede" }                     // in events, summaries, reports

    public func problems(duration: SimDuration?) -> [String] {       // validation, with the fault's path
        (slowdown >= 1 ? [] : ["slowdown must be ≥ 1"]) + ((0...1).contains(missFraction) ? [] : ["missFraction must be in [0, 1]"])
    }

    public func contribute(to effects: inout ServiceEffects) {
        effects.slowdown *= slowdown
        effects.fail(fraction: missFraction)
    }
}
