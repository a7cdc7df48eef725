import Foundation

/// Summary statistics of a sample of independent values (replications, errors, residuals).
public enum SampleStatistics {
    /// Arithmetic mean; nan for an empty sample.
    public static func mean(_ xs: [Double]) -> Double { xs.isEmpty ? .nan : xs.reduce(0, +) / Double(xs.count) }

    /// Sample variance (n − 1 in the denominator); 0 for fewer than two values.
    public static func variance(_ xs: [Double]) -> Double {
        guard xs.count > 1 else { return 0 }
        let m = mean(xs)
        return xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count - 1)
    }

    public static func standardDeviation(_ xs: [Double]) -> Double { variance(xs).squareRoot() }

    /// Median of an already sorted sample (mean of the middle two for an even count).
    public static func median(sorted s: [Double]) -> Double {
        let n = s.count
        guard n > 0 else { return .nan }
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
    }

    public static func median(_ xs: [Double]) -> Double { median(sorted: xs.sorted()) }

    /// Median absolute deviation from the median, scaled by 1 / 0.6745 to estimate σ of normal data.
    public static func robustStandardDeviation(_ xs: [Double]) -> (median: Double, sigma: Double) {
        robustStandardDeviation(sorted: xs.sorted())
    }

    /// The same of an already sorted sample, in O(n) with no allocation: the absolute deviations
    /// in ascending order are met walking outward from the median, so their median needs no sort.
    public static func robustStandardDeviation(sorted s: [Double]) -> (median: Double, sigma: Double) {
        let n = s.count
        guard n > 0 else { return (.nan, .nan) }
        let med = median(sorted: s)
        var right = 0, upper = n  // first index with s[i] ≥ med
        while right < upper {
            let mid = (right + upper) / 2
            if s[mid] < med { right = mid + 1 } else { upper = mid }
        }
        var left = right - 1
        var previous = 0.0, current = 0.0
        for _ in 0...(n / 2) {
            let below = left >= 0 ? med - s[left] : .infinity
            let above = right < n ? s[right] - med : .infinity
            previous = current
            if above <= below { current = above; right += 1 } else { current = below; left -= 1 }
        }
        let mad = n % 2 == 1 ? current : (previous + current) / 2
        return (med, mad / 0.6745)
    }

    /// The q-quantile (0…1) of a sorted sample by linear interpolation between order statistics
    /// (type 7, the default of R and numpy).
    public static func quantile(sorted s: [Double], _ q: Double) -> Double {
        guard !s.isEmpty else { return .nan }
        let h = Double(s.count - 1) * min(1, max(0, q))
        let lo = Int(h.rounded(.down)), hi = min(lo + 1, s.count - 1)
        return s[lo] + (h - Double(lo)) * (s[hi] - s[lo])
    }
}

/// A mean with its two-sided Student-t confidence interval.
public struct MeanEstimate: Sendable, Equatable, CustomStringConvertible {
    public var mean: Double
    /// Half-width of the interval (0 for a single value: nothing is known about the spread).
    public var halfWidth: Double
    public var count: Int
    public var confidence: Double

    /// - Parameter confidence: e.g. 0.95.
    public init(_ xs: [Double], confidence: Double = 0.95) {
        mean = SampleStatistics.mean(xs)
        count = xs.count
        self.confidence = confidence
        halfWidth = xs.count > 1
            ? StudentT.quantile(1 - (1 - confidence) / 2, degreesOfFreedom: Double(xs.count - 1))
              * (SampleStatistics.variance(xs) / Double(xs.count)).squareRoot()
            : 0
    }

    public var lower: Double { mean - halfWidth }
    public var upper: Double { mean + halfWidth }
    public func contains(_ x: Double) -> Bool { abs(mean - x) <= halfWidth }
    public var description: String {
        String(format: "%.4g ± %.4g (%.0f%% CI, n = %d)", mean, halfWidth, confidence * 100, count)
    }
}
