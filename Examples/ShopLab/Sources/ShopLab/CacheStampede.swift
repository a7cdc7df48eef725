import Stormglass

/// The shop's own fault: the catalogue's cache is flushed, so every request goes to the database
/// (slower), and a small share of requests time out against it (errors) until the cache warms up.
struct CacheStampede: ServiceFault, Equatable {
    var slowdown: Double
    var missFraction: Double

    var name: String { "cache-stampede" }

    func problems(duration: SimDuration?) -> [String] {
        (slowdown >= 1 ? [] : ["slowdown must be ≥ 1"]) + ((0...1).contains(missFraction) ? [] : ["missFraction must be in [0, 1]"])
    }

    func contribute(to effects: inout ServiceEffects) {
        effects.slowdown *= slowdown
        effects.fail(fraction: missFraction)
    }
}
