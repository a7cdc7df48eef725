import Foundation
import SimulationKernel

/// A multiplicative factor on a service's arrival rate over time.
///
/// Each case can bound itself over an interval (`factorRange`), which lets the arrival process thin
/// against a tight local bound instead of the run-wide peak: a Black Friday 8× surge does not make
/// the quiet night eight times more expensive to simulate.
public enum LoadShape: Sendable, Equatable {
    /// 1 + amplitude·cos(2π(t − peak)/period): daily (period 24h) or weekly cycles. amplitude in [0, 1).
    case cycle(period: SimDuration, amplitude: Double, peakAt: SimDuration)
    /// Linear change of the factor from `from` to `to` between `start` and `end`; constant outside.
    case ramp(start: SimDuration, end: SimDuration, from: Double, to: Double)
    /// Ramp up to `multiplier` over `rampUp`, hold for `hold`, decay linearly back to 1 over `decay`.
    case surge(start: SimDuration, rampUp: SimDuration, hold: SimDuration, decay: SimDuration, multiplier: Double)
    /// A sudden jump to `multiplier` at `start`, decaying exponentially back to 1 with `halfLife`.
    case flashCrowd(start: SimDuration, multiplier: Double, halfLife: SimDuration)
    /// Multiplicative log-normal noise, constant for each `every` bucket, clamped to ±3σ.
    case noise(sigma: Double, every: SimDuration)
    /// A shape of your own (`TrafficShape`).
    case custom(CustomShape)

    /// The factor at `t` seconds. `noiseSeed` keeps noise a pure function of the run seed and time.
    @inlinable
    public func factor(at t: Double, noiseSeed: UInt64) -> Double {
        switch self {
        case .cycle(let period, let a, let peak):
            return 1 + a * cos(2 * Double.pi * (t - peak.seconds) / period.seconds)
        case .ramp(let s, let e, let from, let to):
            let s = s.seconds, e = e.seconds
            if t <= s { return from }
            if t >= e { return to }
            return from + (to - from) * (t - s) / (e - s)
        case .surge(let start, let up, let hold, let decay, let m):
            let t0 = start.seconds, t1 = t0 + up.seconds, t2 = t1 + hold.seconds, t3 = t2 + decay.seconds
            if t <= t0 || t >= t3 { return 1 }
            if t < t1 { return 1 + (m - 1) * (t - t0) / (t1 - t0) }
            if t <= t2 { return m }
            return m - (m - 1) * (t - t2) / (t3 - t2)
        case .flashCrowd(let start, let m, let halfLife):
            let s = start.seconds
            if t < s { return 1 }
            return 1 + (m - 1) * exp2(-(t - s) / halfLife.seconds)
        case .noise(let sigma, let every):
            let bucket = UInt64(bitPattern: Int64((t / every.seconds).rounded(.down)))
            return LoadShape.noiseFactor(sigma: sigma, seed: noiseSeed, bucket: bucket)
        case .custom(let c):
            return c.shape.factor(at: t)
        }
    }

    /// The lowest and highest factor over [t0, t1] (exact up to rounding: every shape is smooth
    /// and unimodal or piecewise linear, so the extremes lie at the ends or at known points inside).
    /// The arrival process thins against the highest and accepts below the lowest unevaluated.
    public func factorRange(from t0: Double, to t1: Double, noiseSeed: UInt64) -> (lower: Double, upper: Double) {
        if case .custom(let c) = self { return c.shape.factorRange(from: t0, to: t1) }
        func f(_ t: Double) -> Double { factor(at: t, noiseSeed: noiseSeed) }
        let (start, end) = (f(t0), f(t1))
        var lower = min(start, end), upper = max(start, end)
        func include(_ value: Double) { lower = min(lower, value); upper = max(upper, value) }
        switch self {
        case .cycle(let period, let a, let peak):
            let p = period.seconds
            // The first peak and the first trough at or after t0.
            let nextPeak = peak.seconds + ((t0 - peak.seconds) / p).rounded(.up) * p
            let nextTrough = peak.seconds + p / 2 + ((t0 - peak.seconds - p / 2) / p).rounded(.up) * p
            if nextPeak <= t1 { include(1 + a) }
            if nextTrough <= t1 { include(1 - a) }
        case .ramp:
            break  // monotone: the ends are the extremes
        case .surge(let start, let up, let hold, let decay, _):
            let knots = [start.seconds, start.seconds + up.seconds, start.seconds + up.seconds + hold.seconds,
                         start.seconds + up.seconds + hold.seconds + decay.seconds]
            for k in knots where k > t0 && k < t1 { include(f(k)) }
        case .flashCrowd(let start, _, _):
            // A jump at `start` from 1 to the multiplier, monotone on either side.
            if start.seconds > t0 && start.seconds <= t1 { include(1); include(f(start.seconds)) }
        case .noise(let sigma, let every):
            let b0 = Int64((t0 / every.seconds).rounded(.down)), b1 = Int64((t1 / every.seconds).rounded(.down))
            if b1 - b0 > 8 { return (exp(-3 * sigma), exp(3 * sigma)) }
            for b in b0...b1 { include(LoadShape.noiseFactor(sigma: sigma, seed: noiseSeed, bucket: UInt64(bitPattern: b))) }
        case .custom:
            break
        }
        return (lower, upper)
    }

    @inlinable
    static func noiseFactor(sigma: Double, seed: UInt64, bucket: UInt64) -> Double {
        // Stateless: a hash of (seed, bucket) gives two uniforms for one Box–Muller normal.
        var z = seed &+ bucket &* 0x9E37_79B9_7F4A_7C15
        func mix(_ x: inout UInt64) -> Double {
            x &+= 0x9E37_79B9_7F4A_7C15
            var v = x
            v = (v ^ (v >> 30)) &* 0xBF58_476D_1CE4_E5B9
            v = (v ^ (v >> 27)) &* 0x94D0_49BB_1331_11EB
            v ^= v >> 31
            return Double((v >> 11) + 1) * 0x1.0p-53
        }
        let u1 = mix(&z), u2 = mix(&z)
        let n = sqrt(-2 * log(u1)) * cos(2 * Double.pi * u2)
        return exp(sigma * min(3, max(-3, n)))
    }

    public var problems: [String] {
        switch self {
        case .cycle(let period, let a, _):
            var p: [String] = []
            if period <= .zero { p.append("cycle period must be > 0") }
            if !(0..<1).contains(a) { p.append("cycle amplitude \(a) must be in [0, 1)") }
            return p
        case .ramp(let s, let e, let from, let to):
            var p: [String] = []
            if e <= s { p.append("ramp end must be after its start") }
            if from < 0 || to < 0 { p.append("ramp factors must be ≥ 0") }
            return p
        case .surge(_, let up, let hold, let decay, let m):
            var p: [String] = []
            if up < .zero || hold < .zero || decay < .zero { p.append("surge phases must be ≥ 0") }
            if m <= 0 { p.append("surge multiplier \(m) must be > 0") }
            return p
        case .flashCrowd(_, let m, let h):
            var p: [String] = []
            if m <= 0 { p.append("flash crowd multiplier \(m) must be > 0") }
            if h <= .zero { p.append("flash crowd half-life must be > 0") }
            return p
        case .noise(let sigma, let every):
            var p: [String] = []
            if sigma < 0 { p.append("noise sigma must be ≥ 0") }
            if every <= .zero { p.append("noise bucket must be > 0") }
            return p
        case .custom(let c):
            return c.shape.problems
        }
    }
}

/// Where a traffic stream's base rate comes from.
public enum RateSource: Sendable, Equatable {
    /// A constant base rate in requests per second.
    case constant(Double)
    /// A replayed metric trace (rate at each point, interpolated linearly, looping past its end).
    case trace(TraceReplay)

    public func rate(at t: Double) -> Double {
        switch self {
        case .constant(let r): return r
        case .trace(let replay): return replay.rate(at: t)
        }
    }

    public func rateRange(from t0: Double, to t1: Double) -> (lower: Double, upper: Double) {
        switch self {
        case .constant(let r): return (r, r)
        case .trace(let replay): return (replay.minRate(from: t0, to: t1), replay.maxRate(from: t0, to: t1))
        }
    }
}
