import Histogram
import Testing
@testable import ClusterModel
import SimulationKernel

/// The interval latency counts must bucket exactly as the run's HDR histogram does: the same
/// percentiles, and a lossless fold into it.
@Suite struct IntervalLatencyTests {
    func samples(_ n: Int, seed: UInt64) -> [UInt64] {
        var rng = RandomStream(seed: seed, name: "latency")
        // Log-normal around 20 ms with a long tail, plus a few extremes at both ends of the range.
        let d = Distribution.lognormal(median: 20_000, p99: 400_000)
        return (0..<n).map { _ in UInt64(max(1, d.sample(&rng))) } + (n > 10 ? [1, 2, 255, 256, 3_600_000_000] : [])
    }

    @Test(arguments: [1, 7, 100, 50_000])
    func percentilesAgreeWithTheLibrary(_ n: Int) {
        let values = samples(n, seed: UInt64(n))
        var hdr = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: IntervalLatencies.highest,
                                    numberOfSignificantValueDigits: .two)
        var mine = IntervalLatencies()
        for v in values { _ = hdr.record(v); mine.record(v) }
        mine.flush()
        let ps = [0, 1, 50, 90, 95, 99, 99.9, 100]
        #expect(mine.values(atPercentiles: ps) == ps.map { hdr.valueAtPercentile($0) })
        #expect(mine.totalCount == hdr.totalCount)
    }

    /// The run's buckets, folded interval by interval, are the library's for the same records.
    @Test func foldingIntoTheRunLatenciesIsLossless() {
        var direct = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: IntervalLatencies.highest,
                                       numberOfSignificantValueDigits: .two)
        var folded = RunLatencies()
        var interval = IntervalLatencies()
        for round in 0..<3 {
            for v in samples(20_000, seed: UInt64(100 + round)) { _ = direct.record(v); interval.record(v) }
            interval.add(into: &folded)
            interval.reset()
            #expect(interval.totalCount == 0 && interval.values(atPercentiles: [50]) == [0])
        }
        // Recorded directly too, as the fluid fidelity does: n at a time.
        for (v, n) in [(UInt64(7), UInt64(3)), (12_345, 40), (2_000_000, 2)] { _ = direct.record(v, count: n); folded.record(v, count: n) }
        let expected = direct.recordedValues().map { (direct.highestEquivalentForValue($0.value), UInt64($0.count)) }
        let got = folded.buckets
        #expect(got.count == expected.count && got.count > 100)
        #expect(got.map(\.upperMicros) == expected.map(\.0) && got.map(\.count) == expected.map(\.1))
    }
}
