import Foundation
import Testing
import Statistics

/// The statistics module against published tables and closed forms.
@Suite struct StatisticsTests {
    /// Two-sided critical values t(1 − α/2, ν) from any statistics textbook's table.
    @Test(arguments: [
        (0.975, 1.0, 12.706), (0.975, 2.0, 4.303), (0.975, 4.0, 2.776), (0.975, 9.0, 2.262), (0.975, 29.0, 2.045),
        (0.975, 60.0, 2.000), (0.975, 120.0, 1.980), (0.995, 4.0, 4.604), (0.995, 9.0, 3.250), (0.995, 19.0, 2.861),
        (0.95, 10.0, 1.812), (0.9, 5.0, 1.476),
    ])
    func studentTQuantilesMatchTheTable(p: Double, nu: Double, table: Double) {
        #expect(abs(StudentT.quantile(p, degreesOfFreedom: nu) - table) < 0.0006)
    }

    @Test func robustSpreadOfASortedSampleIsTheTextbookMAD() {
        // Against the definition (median of the sorted absolute deviations from the median), on
        // samples of every small size with ties, negatives and outliers.
        var state: UInt64 = 0x9E3779B97F4A7C15
        func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(Int(state >> 33) % 41 - 20) * (state & 1 == 0 ? 1 : 0.5)
        }
        func median(_ s: [Double]) -> Double { s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2 }
        for n in 1...60 {
            for _ in 0..<20 {
                var xs = (0..<n).map { _ in next() }
                if n > 3 { xs[0] = 1e6 }
                let sorted = xs.sorted()
                let med = median(sorted)
                let mad = median(sorted.map { abs($0 - med) }.sorted())
                let r = SampleStatistics.robustStandardDeviation(sorted: sorted)
                #expect(r.median == med && r.sigma == mad / 0.6745, "n \(n): \(r) vs (\(med), \(mad / 0.6745)) for \(sorted)")
            }
        }
    }

    @Test func studentTApproachesTheNormalAndIsSymmetric() {
        #expect(abs(StudentT.quantile(0.975, degreesOfFreedom: 1e7) - 1.959964) < 1e-5)
        #expect(abs(StudentT.quantile(0.025, degreesOfFreedom: 7) + StudentT.quantile(0.975, degreesOfFreedom: 7)) < 1e-12)
        // ν = 1 is the Cauchy distribution: F(t) = 1/2 + atan(t)/π.
        for t in [-5.0, -0.3, 0.0, 1.0, 12.0] {
            #expect(abs(StudentT.cdf(t, degreesOfFreedom: 1) - (0.5 + atan(t) / .pi)) < 1e-12)
        }
        // ν = 2 has a closed form: F(t) = 1/2 + t / (2 √(2 + t²)).
        for t in [-3.0, 0.5, 2.0] {
            #expect(abs(StudentT.cdf(t, degreesOfFreedom: 2) - (0.5 + t / (2 * (2 + t * t).squareRoot()))) < 1e-12)
        }
    }

    @Test func meanEstimateIsTheStudentInterval() {
        let xs = [9.8, 10.2, 10.4, 9.9, 10.1]
        let e = MeanEstimate(xs, confidence: 0.95)
        // mean 10.08, s = 0.23875, s/√5 = 0.10677, t(0.975, 4) = 2.7764
        #expect(abs(e.mean - 10.08) < 1e-12)
        #expect(abs(e.halfWidth - 2.776445 * 0.2387467 / 5.0.squareRoot()) < 1e-5)
        #expect(MeanEstimate([3]).halfWidth == 0)
    }

    @Test func medianQuantilesAndLeastSquares() {
        #expect(SampleStatistics.median([5, 1, 3]) == 3 && SampleStatistics.median([4, 1, 3, 2]) == 2.5)
        // numpy.quantile([1, 2, 3, 4, 10], 0.9) = 7.6 (linear interpolation).
        #expect(abs(SampleStatistics.quantile(sorted: [1, 2, 3, 4, 10], 0.9) - 7.6) < 1e-12)
        let fit = LeastSquares.fit([0, 1, 2, 3], [1, 3, 5, 7])
        #expect(fit.slope == 2 && fit.intercept == 1)
        #expect(LeastSquares.slope([2, 2, 2], [1, 5, 9]) == 0)
        let robust = SampleStatistics.robustStandardDeviation([1, 2, 3, 4, 100])
        #expect(robust.median == 3 && abs(robust.sigma - 1 / 0.6745) < 1e-12)
    }
}
