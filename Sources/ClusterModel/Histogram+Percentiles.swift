import Histogram

extension Histogram where Count == UInt64 {
    /// `valueAtPercentile` for several percentiles in one ascending pass over the recorded values.
    ///
    /// Same answers as calling `valueAtPercentile` for each; but that method is not inlinable, so
    /// from another module it runs generically over every bucket — at every scrape, three times.
    /// `recordedValues()` is inlinable and skips empty buckets.
    func values(atPercentiles percentiles: [Double]) -> [UInt64] {
        guard totalCount > 0 else { return percentiles.map { _ in 0 } }
        let low = self.min, high = maxRecorded
        // The count each percentile needs, as `valueAtPercentile` computes it (minus one ulp, rounded up).
        let targets = percentiles.map { p -> UInt64 in
            let clamped = Swift.min(Swift.max(p.nextDown, 0), 100)
            return Swift.max(1, UInt64((clamped * Double(totalCount) / 100).rounded(.up)))
        }
        var answers = percentiles.map { p -> UInt64? in p == 0 ? low : (p >= 100 ? high : nil) }
        var pending = answers.filter { $0 == nil }.count
        for v in recordedValues() {
            if pending == 0 { break }  // the rest of the buckets cannot change an answer
            for k in targets.indices where answers[k] == nil && v.totalCountToThisValue >= targets[k] {
                answers[k] = Swift.max(Swift.min(v.value, high), low)
                pending -= 1
            }
        }
        return answers.map { $0 ?? 0 }
    }
}
