import Foundation

/// The regularized lower incomplete gamma function P(a, x): the CDF of a gamma distribution with
/// shape a and scale 1 at x. Series below a + 1, Lentz's continued fraction above (Numerical Recipes §6.2).
public enum IncompleteGamma {
    public static func regularized(_ a: Double, _ x: Double) -> Double {
        guard a > 0, x > 0 else { return 0 }
        guard x.isFinite else { return 1 }
        let logPrefix = a * log(x) - x - lgamma(a)
        if x < a + 1 {
            var term = 1 / a, sum = term, n = a
            for _ in 0..<10_000 {
                n += 1; term *= x / n; sum += term
                if abs(term) < abs(sum) * 1e-15 { break }
            }
            return min(1, sum * exp(logPrefix))
        }
        let tiny = 1e-300
        var b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d
        for i in 1...10_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b; if abs(d) < tiny { d = tiny }
            c = b + an / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return max(0, 1 - exp(logPrefix) * h)
    }
}
