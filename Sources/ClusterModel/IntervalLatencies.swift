import BasicContainers

/// One scrape interval's request latencies (µs), bucketed exactly as the run's HDR histogram
/// buckets them (1 µs … 1 h, 2 significant digits: 25 buckets of 128 sub-buckets), so folding
/// them into it at the scrape loses nothing.
///
/// Why not a second `Histogram`: recording is on the per-request path, and the library's index
/// arithmetic and its percentile and reset methods are generic code that does not specialise
/// across modules — about 100 instructions per request in all. Here a record is a few shifts
/// and an add, and a scrape reads and clears only the range that was touched.
///
/// Records are first written to a small buffer and counted into the buckets 512 at a time: in a
/// model of hundreds of services each service's buckets are cold by the time its next request
/// ends, and a cache miss per request was the largest single cost of such a run. Percentiles and
/// folding count the buffer in first (`flush`).
struct IntervalLatencies: ~Copyable {
    /// HDR layout for lowest 1, highest 3,600,000,000, 2 digits (see `Histogram.init`).
    static let halfCountMagnitude = 7                 // sub-bucket half count 128
    static let leadingZeroCountBase = 56              // 64 − unit magnitude 0 − sub-bucket count magnitude 8
    static let subBucketMask: UInt64 = 255
    static let length = 26 << 7                        // (25 buckets + 1) × 128
    static let highest: UInt64 = 3_600_000_000

    private var counts = UniqueArray<UInt64>(repeating: 0, count: IntervalLatencies.length)
    static let bufferLength = 512
    private var buffer = UniqueArray<UInt32>(repeating: 0, count: IntervalLatencies.bufferLength)
    private var buffered = 0
    private(set) var totalCount: UInt64 = 0
    private var minValue = UInt64.max, maxValue: UInt64 = 0
    /// The touched range of `counts` (an index grows with its value; valid while totalCount > 0).
    private var lowIndex: Int { IntervalLatencies.index(of: minValue) }
    private var highIndex: Int { IntervalLatencies.index(of: maxValue) }

    @inline(__always)
    static func index(of value: UInt64) -> Int {
        let bucket = leadingZeroCountBase &- (value | subBucketMask).leadingZeroBitCount
        let subBucket = Int(truncatingIfNeeded: value >> UInt64(bucket))
        return ((bucket &+ 1) << halfCountMagnitude) &+ subBucket &- (1 << halfCountMagnitude)
    }

    static func lowestValue(at index: Int) -> UInt64 {
        var bucket = (index >> halfCountMagnitude) - 1
        var subBucket = (index & ((1 << halfCountMagnitude) - 1)) + (1 << halfCountMagnitude)
        if bucket < 0 { subBucket -= 1 << halfCountMagnitude; bucket = 0 }
        return UInt64(subBucket) << UInt64(bucket)
    }

    /// The highest value recorded in the same bucket as `value`.
    static func highestEquivalent(_ value: UInt64) -> UInt64 {
        let bucket = leadingZeroCountBase - (value | subBucketMask).leadingZeroBitCount
        return lowestValue(at: index(of: value)) + (UInt64(1) << UInt64(bucket)) - 1
    }

    /// Records one latency in µs (clamped to 1 µs … 1 h, as the run histogram's range).
    @inline(__always)
    mutating func record(_ micros: UInt64) {
        let v = Swift.max(1, Swift.min(micros, IntervalLatencies.highest))
        buffer[buffered] = UInt32(truncatingIfNeeded: v)   // highest (3.6·10⁹) < 2³²
        buffered &+= 1
        if buffered == IntervalLatencies.bufferLength { flush() }
        totalCount &+= 1
        minValue = Swift.min(minValue, v); maxValue = Swift.max(maxValue, v)
    }

    /// Counts the buffered records into their buckets.
    mutating func flush() {
        for k in 0..<buffered { counts[IntervalLatencies.index(of: UInt64(buffer[k]))] &+= 1 }
        buffered = 0
    }

    /// What `Histogram.valueAtPercentile` would answer for each percentile, in one pass (once
    /// `flush` has counted in the buffer).
    func values(atPercentiles percentiles: [Double]) -> [UInt64] {
        precondition(buffered == 0, "flush before reading percentiles")
        guard totalCount > 0 else { return percentiles.map { _ in 0 } }
        // The library clamps to the smallest and largest values actually recorded.
        let (low, high) = (minValue, maxValue)
        return percentiles.map { p in
            if p == 0 { return low }
            if p >= 100 { return high }
            let clamped = Swift.min(Swift.max(p.nextDown, 0), 100)
            let target = Swift.max(1, UInt64((clamped * Double(totalCount) / 100).rounded(.up)))
            var seen: UInt64 = 0
            for i in lowIndex...highIndex {
                seen &+= counts[i]
                if seen >= target {
                    let value = IntervalLatencies.highestEquivalent(IntervalLatencies.lowestValue(at: i))
                    return Swift.max(Swift.min(value, high), low)
                }
            }
            return 0
        }
    }

    /// The requests at or below each bound (µs, ascending), cumulative as a Prometheus histogram's `le`
    /// buckets (once `flush` has counted in the buffer). A bucket that straddles a bound counts below it:
    /// exact to the histogram's 2 significant digits.
    func cumulativeCounts(atOrBelow bounds: [UInt64]) -> [UInt64] {
        precondition(buffered == 0, "flush before reading counts")
        var out = [UInt64](repeating: 0, count: bounds.count)
        guard totalCount > 0 else { return out }
        var k = 0, seen: UInt64 = 0
        for i in lowIndex...highIndex {
            let lowest = IntervalLatencies.lowestValue(at: i)
            while k < bounds.count && lowest > bounds[k] { out[k] = seen; k += 1 }
            seen &+= counts[i]
        }
        while k < bounds.count { out[k] = seen; k += 1 }
        return out
    }

    /// Adds this interval's counts to the run's (same buckets, so exactly).
    mutating func add(into run: inout RunLatencies) {
        flush()
        guard totalCount > 0 else { return }
        run.add(counts, from: lowIndex, through: highIndex)
    }

    /// Clears the touched range for the next interval.
    mutating func reset() {
        buffered = 0
        guard totalCount > 0 else { return }
        for i in lowIndex...highIndex { counts[i] = 0 }
        totalCount = 0
        minValue = .max; maxValue = 0
    }
}

/// A run's latencies, in the buckets `IntervalLatencies` and the run's HDR histogram use, summed
/// interval by interval: adding an interval is a loop of adds over the range it touched, where
/// recording into a `Histogram` was a generic call per bucket, per service, per scrape.
struct RunLatencies: ~Copyable {
    private var counts = UniqueArray<UInt64>(repeating: 0, count: IntervalLatencies.length)
    /// The touched range of `counts` (empty while high < low).
    private var low = Int.max, high = -1

    /// Records `count` latencies of `micros` µs (values outside 1 µs … 1 h are not recorded, as
    /// the histogram would refuse them).
    mutating func record(_ micros: UInt64, count: UInt64) {
        guard count > 0, micros >= 1, micros <= IntervalLatencies.highest else { return }
        let i = IntervalLatencies.index(of: micros)
        counts[i] &+= count
        low = Swift.min(low, i); high = Swift.max(high, i)
    }

    mutating func add(_ interval: borrowing UniqueArray<UInt64>, from first: Int, through last: Int) {
        for i in first...last { counts[i] &+= interval[i] }
        low = Swift.min(low, first); high = Swift.max(high, last)
    }

    /// Every non-empty bucket as (highest value it holds in µs, count), ascending: what
    /// `Histogram.recordedValues()` and `highestEquivalentForValue` give for the same records.
    var buckets: [(upperMicros: UInt64, count: UInt64)] {
        guard high >= low else { return [] }
        var out: [(upperMicros: UInt64, count: UInt64)] = []
        for i in low...high where counts[i] > 0 {
            out.append((IntervalLatencies.highestEquivalent(IntervalLatencies.lowestValue(at: i)), counts[i]))
        }
        return out
    }
}
