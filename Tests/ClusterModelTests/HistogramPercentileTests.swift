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

    @Test func foldingIntoTheRunHistogramIsLossless() {
        var direct = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: IntervalLatencies.highest,
                                       numberOfSignificantValueDigits: .two)
        var folded = direct
        var interval = IntervalLatencies()
        for round in 0..<3 {
            for v in samples(20_000, seed: UInt64(100 + round)) { _ = direct.record(v); interval.record(v) }
            interval.add(into: &folded)
            interval.reset()
            #expect(interval.totalCount == 0 && interval.values(atPercentiles: [50]) == [0])
        }
        let a = direct.recordedValues().map { ($0.value, $0.count) }, b = folded.recordedValues().map { ($0.value, $0.count) }
        #expect(a.map(\.0) == b.map(\.0) && a.map(\.1) == b.map(\.1))
        #expect([50.0, 95, 99, 100].map { direct.valueAtPercentile($0) } == [50.0, 95, 99, 100].map { folded.valueAtPercentile($0) })
    }
}
