import Histogram
import Testing
@testable import ClusterModel
import SimulationKernel

@Suite struct HistogramPercentileTests {
    @Test(arguments: [1, 7, 100, 50_000])
    func onePassPercentilesAgreeWithTheLibrary(_ samples: Int) {
        var h = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .two)
        var rng = RandomStream(seed: UInt64(samples), name: "latency")
        let d = Distribution.lognormal(median: 20_000, p99: 400_000)
        for _ in 0..<samples { h.record(UInt64(max(1, d.sample(&rng)))) }
        let ps = [0, 1, 50, 90, 95, 99, 99.9, 100]
        #expect(h.values(atPercentiles: ps) == ps.map { h.valueAtPercentile($0) })
    }

    @Test func anEmptyHistogramGivesZeros() {
        let h = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 1000, numberOfSignificantValueDigits: .two)
        #expect(h.values(atPercentiles: [50, 99]) == [0, 0])
    }
}
