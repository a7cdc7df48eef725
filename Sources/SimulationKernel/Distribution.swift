import Foundation

/// A probability distribution over non-negative durations or quantities (service times in seconds,
/// start-up latencies, batch sizes …), sampled from a `RandomStream`.
///
/// An enum rather than a protocol so that sampling on the simulation's hot path is a switch, not a
/// dynamic dispatch, and so that scenarios stay plain values that can be compared and printed.
/// Not `indirect`: mixtures nest through an array already, and inline payloads spare every
/// sample a pointer chase and a reference count.
public enum Distribution: Sendable, Equatable, CustomStringConvertible {
    case constant(Double)
    case uniform(low: Double, high: Double)
    case exponential(mean: Double)
    case normal(mean: Double, sd: Double)
    /// Log-normal with the given parameters of the underlying normal.
    case lognormal(mu: Double, sigma: Double)
    /// Gamma with shape k and scale θ (mean kθ). Erlang-k is the integer-shape case.
    case gamma(shape: Double, scale: Double)
    /// Pareto with tail index α truncated to [low, high].
    case boundedPareto(alpha: Double, low: Double, high: Double)
    /// Resamples the given observations, interpolating between order statistics.
    case empirical(sortedSamples: [Double])
    /// Picks a component with probability proportional to its weight.
    case mixture([WeightedDistribution])

    // MARK: Convenience constructors

    /// Log-normal fitted to a median and a 99th percentile (how latencies are usually quoted).
    public static func lognormal(median: Double, p99: Double) -> Distribution {
        let z99 = 2.326_347_874_040_841
        let sigma = max(0, log(p99 / median) / z99)
        return .lognormal(mu: log(median), sigma: sigma)
    }

    /// Erlang-k with the given mean: the sum of k exponential phases.
    public static func erlang(k: Int, mean: Double) -> Distribution {
        .gamma(shape: Double(k), scale: mean / Double(k))
    }

    /// Work with this mean and coefficient of variation: constant at 0, exponential at 1, gamma otherwise.
    public static func work(mean: Double, cv: Double) -> Distribution {
        if cv <= 0 { return .constant(mean) }
        let shape = 1 / (cv * cv)
        return .gamma(shape: shape, scale: mean / shape)
    }

    public static func empirical(_ samples: [Double]) -> Distribution {
        .empirical(sortedSamples: samples.sorted())
    }

    // MARK: Sampling

    /// Draws one value. Negative draws (from a normal) are clamped to 0: durations cannot be negative.
    @inlinable
    public func sample(_ rng: inout RandomStream) -> Double {
        switch self {
        case .constant(let v):
            return v
        case .exponential(let mean):
            return mean * rng.standardExponential()
        case .uniform(let lo, let hi):
            return lo + (hi - lo) * rng.uniform()
        case .normal(let mean, let sd):
            return max(0, mean + sd * rng.standardNormal())
        case .lognormal(let mu, let sigma):
            return Exponential.shared(mu + sigma * rng.standardNormal())
        case .gamma(let shape, let scale):
            return scale * Distribution.standardGamma(shape, &rng)
        case .boundedPareto(let a, let lo, let hi):
            // Inverse CDF of the truncated Pareto.
            let u = rng.uniform()
            let la = pow(lo, a), ha = pow(hi, a)
            return pow(-(u * ha - u * la - ha) / (ha * la), -1 / a)
        case .empirical(let xs):
            guard xs.count > 1 else { return xs.first ?? 0 }
            let pos = rng.uniform() * Double(xs.count - 1)
            let i = Int(pos)
            let f = pos - Double(i)
            return xs[i] + f * (xs[min(i + 1, xs.count - 1)] - xs[i])
        case .mixture(let parts):
            let total = parts.reduce(0) { $0 + $1.weight }
            var u = rng.uniform() * total
            for p in parts {
                if u < p.weight { return p.distribution.sample(&rng) }
                u -= p.weight
            }
            return parts.last?.distribution.sample(&rng) ?? 0
        }
    }

    /// Marsaglia–Tsang for shape ≥ 1, boosted for shape < 1.
    @inlinable
    static func standardGamma(_ shape: Double, _ rng: inout RandomStream) -> Double {
        if shape < 1 {
            let u = rng.uniformPositive()
            return standardGamma(shape + 1, &rng) * pow(u, 1 / shape)
        }
        let d = shape - 1.0 / 3.0
        let c = 1 / sqrt(9 * d)
        while true {
            var x: Double, v: Double
            repeat {
                x = rng.standardNormal()
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = rng.uniformPositive()
            if u < 1 - 0.0331 * x * x * x * x { return d * v }
            if log(u) < 0.5 * x * x + d * (1 - v + log(v)) { return d * v }
        }
    }

    // MARK: Moments

    /// The mean, where it is finite and known in closed form.
    public var mean: Double {
        switch self {
        case .constant(let v): return v
        case .uniform(let lo, let hi): return (lo + hi) / 2
        case .exponential(let m): return m
        case .normal(let m, _): return m  // ignoring the clamp at 0
        case .lognormal(let mu, let s): return exp(mu + s * s / 2)
        case .gamma(let k, let th): return k * th
        case .boundedPareto(let a, let lo, let hi):
            if a == 1 { return (hi * lo / (hi - lo)) * log(hi / lo) }
            let la = pow(lo, a)
            return la / (1 - pow(lo / hi, a)) * (a / (a - 1)) * (1 / pow(lo, a - 1) - 1 / pow(hi, a - 1))
        case .empirical(let xs): return xs.isEmpty ? 0 : xs.reduce(0, +) / Double(xs.count)
        case .mixture(let parts):
            let total = parts.reduce(0) { $0 + $1.weight }
            return parts.reduce(0) { $0 + $1.weight * $1.distribution.mean } / total
        }
    }

    /// E[X²], used by Pollaczek–Khinchine checks and reports.
    public var secondMoment: Double {
        switch self {
        case .constant(let v): return v * v
        case .uniform(let lo, let hi): return (lo * lo + lo * hi + hi * hi) / 3
        case .exponential(let m): return 2 * m * m
        case .normal(let m, let sd): return m * m + sd * sd
        case .lognormal(let mu, let s): return exp(2 * mu + 2 * s * s)
        case .gamma(let k, let th): return k * (k + 1) * th * th
        case .boundedPareto(let a, let lo, let hi):
            if a == 2 { return 2 * lo * lo * hi * hi / (hi * hi - lo * lo) * log(hi / lo) }
            let la = pow(lo, a)
            return la / (1 - pow(lo / hi, a)) * (a / (a - 2)) * (1 / pow(lo, a - 2) - 1 / pow(hi, a - 2))
        case .empirical(let xs): return xs.isEmpty ? 0 : xs.reduce(0) { $0 + $1 * $1 } / Double(xs.count)
        case .mixture(let parts):
            let total = parts.reduce(0) { $0 + $1.weight }
            return parts.reduce(0) { $0 + $1.weight * $1.distribution.secondMoment } / total
        }
    }

    /// Problems that make the distribution meaningless (negative means, low > high …), in words.
    public var problems: [String] {
        func bad(_ ok: Bool, _ why: String) -> [String] { ok ? [] : [why] }
        switch self {
        case .constant(let v): return bad(v >= 0 && v.isFinite, "constant \(v) must be ≥ 0")
        case .uniform(let lo, let hi): return bad(lo >= 0 && lo <= hi, "uniform needs 0 ≤ low ≤ high (got \(lo)…\(hi))")
        case .exponential(let m): return bad(m > 0 && m.isFinite, "exponential mean \(m) must be > 0")
        case .normal(let m, let sd): return bad(m >= 0 && sd >= 0, "normal needs mean ≥ 0 and sd ≥ 0 (got \(m), \(sd))")
        case .lognormal(let mu, let s): return bad(mu.isFinite && s >= 0 && s.isFinite, "lognormal needs finite mu and sigma ≥ 0 (median must be > 0 and p99 ≥ median)")
        case .gamma(let k, let th): return bad(k > 0 && th > 0, "gamma needs shape > 0 and scale > 0 (got \(k), \(th))")
        case .boundedPareto(let a, let lo, let hi): return bad(a > 0 && lo > 0 && lo < hi, "bounded Pareto needs alpha > 0 and 0 < low < high")
        case .empirical(let xs): return bad(!xs.isEmpty && xs.allSatisfy { $0 >= 0 && $0.isFinite }, "empirical needs at least one finite sample ≥ 0")
        case .mixture(let parts):
            if parts.isEmpty || parts.contains(where: { $0.weight < 0 }) || parts.reduce(0, { $0 + $1.weight }) <= 0 {
                return ["mixture needs components with non-negative weights summing to > 0"]
            }
            return parts.flatMap(\.distribution.problems)
        }
    }

    public var description: String {
        switch self {
        case .constant(let v): return "constant(\(v))"
        case .uniform(let lo, let hi): return "uniform(\(lo)…\(hi))"
        case .exponential(let m): return "exponential(mean \(m))"
        case .normal(let m, let sd): return "normal(\(m), sd \(sd))"
        case .lognormal(let mu, let s): return "lognormal(median \(exp(mu)), sigma \(s))"
        case .gamma(let k, let th): return "gamma(shape \(k), scale \(th))"
        case .boundedPareto(let a, let lo, let hi): return "boundedPareto(α \(a), \(lo)…\(hi))"
        case .empirical(let xs): return "empirical(\(xs.count) samples)"
        case .mixture(let parts): return "mixture(" + parts.map { "\($0.weight)×\($0.distribution)" }.joined(separator: ", ") + ")"
        }
    }
}

public struct WeightedDistribution: Sendable, Equatable {
    public var weight: Double
    public var distribution: Distribution
    public init(_ weight: Double, _ distribution: Distribution) {
        self.weight = weight; self.distribution = distribution
    }
}

extension Distribution {
    /// The same shape with every value multiplied by `k` (so the mean scales by `k`).
    public func scaled(by k: Double) -> Distribution {
        switch self {
        case .constant(let v): return .constant(v * k)
        case .uniform(let lo, let hi): return .uniform(low: lo * k, high: hi * k)
        case .exponential(let m): return .exponential(mean: m * k)
        case .normal(let m, let sd): return .normal(mean: m * k, sd: sd * k)
        case .lognormal(let mu, let s): return .lognormal(mu: mu + log(k), sigma: s)
        case .gamma(let shape, let scale): return .gamma(shape: shape, scale: scale * k)
        case .boundedPareto(let a, let lo, let hi): return .boundedPareto(alpha: a, low: lo * k, high: hi * k)
        case .empirical(let xs): return .empirical(sortedSamples: xs.map { $0 * k })
        case .mixture(let parts): return .mixture(parts.map { WeightedDistribution($0.weight, $0.distribution.scaled(by: k)) })
        }
    }

    /// The same shape rescaled to the given mean.
    public func withMean(_ m: Double) -> Distribution {
        let current = mean
        return current > 0 ? scaled(by: m / current) : .constant(m)
    }
}
