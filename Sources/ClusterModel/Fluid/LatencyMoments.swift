import Foundation
import SimulationKernel

/// A latency as its mean and variance: what the fluid fidelity carries instead of requests.
///
/// Independent parts add (a wait, the work, each call); a mixture (the requests of a scrape
/// interval, served in different states) averages first and second moments. Percentiles come
/// from the log-normal with the same two moments — Fenton–Wilkinson's approximation for sums of
/// log-normals, exact for one.
struct LatencyMoments: Equatable {
    var mean: Double
    var variance: Double

    static let zero = LatencyMoments(mean: 0, variance: 0)

    init(mean: Double, variance: Double) { self.mean = mean; self.variance = max(0, variance) }

    init(_ d: Distribution) {
        let m = d.mean
        self.init(mean: m, variance: d.secondMoment - m * m)
    }

    static func + (a: LatencyMoments, b: LatencyMoments) -> LatencyMoments {
        LatencyMoments(mean: a.mean + b.mean, variance: a.variance + b.variance)
    }

    /// The same latency stretched `factor` times.
    func scaled(by factor: Double) -> LatencyMoments {
        LatencyMoments(mean: mean * factor, variance: variance * factor * factor)
    }

    /// Parameters of the log-normal with these moments (σ = 0 for a constant).
    var logNormal: (mu: Double, sigma: Double) {
        guard mean > 0 else { return (-.infinity, 0) }
        let s2 = log1p(variance / (mean * mean))
        return (log(mean) - s2 / 2, s2.squareRoot())
    }

    /// P(latency > x).
    func exceedance(_ x: Double) -> Double {
        guard mean > 0 else { return 0 }
        guard x > 0 else { return 1 }
        let (mu, sigma) = logNormal
        if sigma < 1e-12 { return x < mean ? 1 : 0 }
        return 0.5 * erfc((log(x) - mu) / (sigma * 2.0.squareRoot()))
    }

    /// The latency not exceeded by fraction `p` (0 < p < 1) of requests.
    func quantile(_ p: Double) -> Double {
        guard mean > 0 else { return 0 }
        let (mu, sigma) = logNormal
        return exp(mu + sigma * standardNormalQuantile(p))
    }
}

/// Φ⁻¹(p) by Acklam's rational approximation (relative error below 1.2·10⁻⁹ over (0, 1)).
func standardNormalQuantile(_ p: Double) -> Double {
    let p = min(max(p, 1e-300), 1 - 1e-16)
    let low = 0.02425
    func tail(_ q: Double) -> Double {
        let num = ((((-7.784894002430293e-03 * q - 3.223964580411365e-01) * q - 2.400758277161838e+00) * q
            - 2.549732539343734e+00) * q + 4.374664141464968e+00) * q + 2.938163982698783e+00
        let den = (((7.784695709041462e-03 * q + 3.224671290700398e-01) * q + 2.445134137142996e+00) * q
            + 3.754408661907416e+00) * q + 1
        return num / den
    }
    if p < low { return tail((-2 * log(p)).squareRoot()) }
    if p > 1 - low { return -tail((-2 * log(1 - p)).squareRoot()) }
    let q = p - 0.5, r = q * q
    let num = (((((-3.969683028665376e+01 * r + 2.209460984245205e+02) * r - 2.759285104469687e+02) * r
        + 1.383577518672690e+02) * r - 3.066479806614716e+01) * r + 2.506628277459239e+00) * q
    let den = ((((-5.447609879822406e+01 * r + 1.615858368580409e+02) * r - 1.556989798598866e+02) * r
        + 6.680131188771972e+01) * r - 1.328068155288572e+01) * r + 1
    return num / den
}
