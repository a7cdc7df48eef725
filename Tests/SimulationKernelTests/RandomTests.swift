import Foundation
import Testing
@testable import SimulationKernel

@Suite struct RandomStreamTests {
    @Test func sameSeedAndNameGiveTheSameSequence() {
        var a = RandomStream(seed: 42, name: "arrivals/checkout")
        var b = RandomStream(seed: 42, name: "arrivals/checkout")
        for _ in 0..<1000 { #expect(a.next() == b.next()) }
    }

    @Test func differentNamesOrSeedsGiveDifferentSequences() {
        var a = RandomStream(seed: 42, name: "arrivals/checkout")
        var b = RandomStream(seed: 42, name: "arrivals/payments")
        var c = RandomStream(seed: 43, name: "arrivals/checkout")
        let xa = (0..<8).map { _ in a.next() }, xb = (0..<8).map { _ in b.next() }, xc = (0..<8).map { _ in c.next() }
        #expect(xa != xb)
        #expect(xa != xc)
    }

    @Test func streamsAreUncorrelated() {
        var a = RandomStream(seed: 1, name: "x"), b = RandomStream(seed: 1, name: "y")
        let n = 100_000
        var sa = 0.0, sb = 0.0, sab = 0.0, saa = 0.0, sbb = 0.0
        for _ in 0..<n {
            let x = a.uniform(), y = b.uniform()
            sa += x; sb += y; sab += x * y; saa += x * x; sbb += y * y
        }
        let cov = sab / Double(n) - (sa / Double(n)) * (sb / Double(n))
        let r = cov / sqrt((saa / Double(n) - pow(sa / Double(n), 2)) * (sbb / Double(n) - pow(sb / Double(n), 2)))
        // |r| of independent streams is ~N(0, 1/n): 5σ = 0.016.
        #expect(abs(r) < 0.016)
    }

    @Test func uniformIsInRangeWithTheRightMean() {
        var g = RandomStream(seed: 9, name: "u")
        var sum = 0.0
        let n = 200_000
        for _ in 0..<n {
            let u = g.uniform()
            #expect(u >= 0 && u < 1)
            sum += u
        }
        // SE of the mean of U(0,1) is sqrt(1/12/n) ≈ 0.00065; allow 5 SE.
        #expect(abs(sum / Double(n) - 0.5) < 0.0033)
    }
}

@Suite struct ZigguratTests {
    /// Kolmogorov–Smirnov distance between `samples` and the CDF.
    func ksDistance(_ samples: [Double], _ cdf: (Double) -> Double) -> Double {
        let sorted = samples.sorted(), n = Double(sorted.count)
        var d = 0.0
        for (k, x) in sorted.enumerated() {
            let c = cdf(x)
            d = max(d, abs(c - Double(k) / n), abs(Double(k + 1) / n - c))
        }
        return d
    }

    @Test func theTopLayerClosesWithTheSameAreaAsTheOthers() {
        // R and the layer area are a matched pair: only then does the recurrence that builds the
        // layers from the tail up end with a top layer (0 … x[255], under the peak) of that same area.
        for z in [Ziggurat.normal, Ziggurat.exponential] {
            let area = z.x[1] * (z.f[2] - z.f[1])
            let top = z.x[255] * (1 - z.f[255])
            #expect(abs(top - area) < 1e-6 * area, "top layer \(top) vs \(area)")
            #expect(zip(z.f, z.f.dropFirst()).allSatisfy { $0 < $1 })
        }
    }

    @Test func normalDrawsFollowTheNormalLawIncludingTheTail() {
        var g = RandomStream(seed: 21, name: "zig-normal")
        let n = 400_000
        let xs = (0..<n).map { _ in g.standardNormal() }
        // KS critical value at α = 0.001 is 1.95/√n.
        #expect(ksDistance(xs, { 0.5 * erfc(-$0 / 2.0.squareRoot()) }) < 1.95 / Double(n).squareRoot())
        // The tail beyond R = 3.654 (sampled separately): P(|Z| > R) = 2.58e-4 → ~103 of 400k; allow 5 sd.
        var tail = 0
        var m = RandomStream(seed: 22, name: "zig-tail")
        for _ in 0..<2_000_000 where abs(m.standardNormal()) > 3.654_152_885_361_008_8 { tail += 1 }
        let expected = 2_000_000 * erfc(3.654_152_885_361_008_8 / 2.0.squareRoot())
        #expect(abs(Double(tail) - expected) < 5 * expected.squareRoot(), "\(tail) tail draws vs \(expected)")
    }

    @Test func exponentialDrawsFollowTheExponentialLawIncludingTheTail() {
        var g = RandomStream(seed: 23, name: "zig-exp")
        let n = 400_000
        let xs = (0..<n).map { _ in g.standardExponential() }
        #expect(xs.allSatisfy { $0 >= 0 })
        #expect(ksDistance(xs, { 1 - exp(-$0) }) < 1.95 / Double(n).squareRoot())
        var tail = 0
        var m = RandomStream(seed: 24, name: "zig-exp-tail")
        for _ in 0..<2_000_000 where m.standardExponential() > 7.697_117_470_131_049_7 { tail += 1 }
        let expected = 2_000_000 * exp(-7.697_117_470_131_049_7)
        #expect(abs(Double(tail) - expected) < 5 * expected.squareRoot(), "\(tail) tail draws vs \(expected)")
    }
}

@Suite struct ExponentialFunctionTests {
    @Test func agreesWithTheCLibraryToTwoUlp() {
        let e = Exponential.shared
        var g = RandomStream(seed: 31, name: "exp")
        var worst = 0.0
        for k in 0..<1_000_000 {
            // Mostly the range log-normal draws use, plus the whole fast range now and then.
            let x = k % 10 == 0 ? (g.uniform() * 2 - 1) * 700 : (g.uniform() * 2 - 1) * 30
            let mine = e(x), libm = exp(x)
            worst = max(worst, abs(mine - libm) / libm.ulp)
        }
        #expect(worst <= 2, "worst error \(worst) ulp")
        #expect(e(0) == 1 && e(1) == exp(1))
        #expect(e(800) == .infinity && e(-800) == 0)
    }
}

@Suite struct DistributionTests {
    /// Sample mean within 5 standard errors of the analytic mean, from the analytic second moment.
    func checkMean(_ d: Distribution, n: Int = 200_000, file: String = #fileID) {
        var g = RandomStream(seed: 11, name: d.description)
        var sum = 0.0
        for _ in 0..<n { sum += d.sample(&g) }
        let mean = sum / Double(n)
        let variance = d.secondMoment - d.mean * d.mean
        let se = sqrt(max(variance, 1e-18) / Double(n))
        #expect(abs(mean - d.mean) < 5 * se + 1e-12, "\(d): sample mean \(mean) vs \(d.mean)")
    }

    @Test func everyDistributionMatchesItsAnalyticMean() {
        checkMean(.constant(2.5))
        checkMean(.uniform(low: 1, high: 3))
        checkMean(.exponential(mean: 0.2))
        checkMean(.normal(mean: 10, sd: 2))
        checkMean(.lognormal(mu: 0, sigma: 0.5))
        checkMean(.gamma(shape: 0.5, scale: 2))
        checkMean(.erlang(k: 4, mean: 1))
        checkMean(.boundedPareto(alpha: 1.5, low: 1, high: 100))
        checkMean(.mixture([WeightedDistribution(0.9, .constant(1)), WeightedDistribution(0.1, .exponential(mean: 10))]))
    }

    @Test func empiricalResamplesWithinTheObservedRange() {
        let d = Distribution.empirical([5, 1, 3, 2, 4])
        var g = RandomStream(seed: 1, name: "e")
        var sum = 0.0
        for _ in 0..<100_000 {
            let x = d.sample(&g)
            #expect(x >= 1 && x <= 5)
            sum += x
        }
        #expect(abs(sum / 100_000 - 3) < 0.02)
    }

    @Test func lognormalFromMedianAndP99HasThoseQuantiles() {
        let d = Distribution.lognormal(median: 0.05, p99: 0.3)
        var g = RandomStream(seed: 5, name: "ln")
        var xs = (0..<200_000).map { _ in d.sample(&g) }
        xs.sort()
        let median = xs[xs.count / 2], p99 = xs[Int(Double(xs.count) * 0.99)]
        #expect(abs(median / 0.05 - 1) < 0.02)
        #expect(abs(p99 / 0.3 - 1) < 0.04)
    }

    @Test func erlangHasTheRightVariance() {
        // Erlang-k with mean m has variance m²/k.
        let d = Distribution.erlang(k: 4, mean: 2)
        var g = RandomStream(seed: 2, name: "erl")
        let n = 200_000
        var s = 0.0, s2 = 0.0
        for _ in 0..<n { let x = d.sample(&g); s += x; s2 += x * x }
        let variance = s2 / Double(n) - pow(s / Double(n), 2)
        #expect(abs(variance - 1.0) < 0.03)
    }

    @Test func invalidParametersAreReportedInWords() {
        #expect(Distribution.exponential(mean: -1).problems.count == 1)
        #expect(Distribution.uniform(low: 3, high: 1).problems.count == 1)
        #expect(Distribution.lognormal(median: 1, p99: 2).problems.isEmpty)
        #expect(Distribution.mixture([]).problems.count == 1)
        #expect(Distribution.mixture([WeightedDistribution(1, .exponential(mean: 0))]).problems.count == 1)
    }
}
