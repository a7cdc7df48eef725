import Foundation

/// A lasting change of level that comes too slowly for a rolling baseline to see (a latency creep, a memory
/// leak): the median of the most recent values against the median of a long reference window just before them.
///
/// A rolling detector learns a slow drift as it goes, so it never alarms on one; this one compares the last
/// `recent` values with the `reference` values before them, and reports when the recent median has moved
/// beyond both `relative` (a fraction of the reference median) and `absolute` in the watched direction. A
/// lasting shift leaves the reference after `reference + recent` values, and the detector goes quiet.
///
/// Complexity: O(`recent` + `reference`) per observation (two sorted windows, one insertion and one
/// removal each); memory the same.
public struct LevelShiftDetector: Sendable {
    public enum Direction: Sendable { case up, down }

    /// A shift found: the two medians, and how far apart they are as a fraction of the reference.
    public struct Shift: Sendable, Equatable {
        public var recentMedian: Double
        public var referenceMedian: Double
        public var change: Double { referenceMedian != 0 ? recentMedian / referenceMedian - 1 : .infinity }
        public init(recentMedian: Double, referenceMedian: Double) { self.recentMedian = recentMedian; self.referenceMedian = referenceMedian }
    }

    public let direction: Direction
    public let relative: Double
    public let absolute: Double
    let recentCount: Int
    let referenceCount: Int
    /// Oldest first: the reference window, then the recent one.
    var values: [Double] = []
    var start = 0
    var recentSorted: [Double] = []
    var referenceSorted: [Double] = []

    /// - Parameters:
    ///   - recent: values in the window compared (e.g. 30 minutes of scrapes).
    ///   - reference: values in the window it is compared with, just before it (e.g. 6 hours).
    ///   - relative: the least change reported, as a fraction of the reference median (0.3: 30 %).
    ///   - absolute: the least change reported, in the metric's own unit.
    public init(direction: Direction, recent: Int, reference: Int, relative: Double, absolute: Double = 0) {
        precondition(recent > 0 && reference > 0, "windows must hold values")
        self.direction = direction; self.relative = relative; self.absolute = absolute
        recentCount = recent; referenceCount = reference
    }

    /// Takes `value` (non-finite values are skipped); returns the shift while one lasts.
    public mutating func observe(_ value: Double) -> Shift? {
        guard value.isFinite else { return nil }
        values.append(value)
        Self.insert(value, into: &recentSorted)
        if values.count - start > recentCount {
            // The oldest recent value moves to the reference window.
            let moving = values[values.count - recentCount - 1]
            Self.remove(moving, from: &recentSorted)
            Self.insert(moving, into: &referenceSorted)
            if referenceSorted.count > referenceCount {
                Self.remove(values[start], from: &referenceSorted)
                start += 1
            }
        }
        if start > 4096 { values.removeFirst(start); start = 0 }  // amortised: the array keeps its two windows
        guard referenceSorted.count == referenceCount, recentSorted.count == recentCount else { return nil }
        let shift = Shift(recentMedian: Self.median(recentSorted), referenceMedian: Self.median(referenceSorted))
        let delta = direction == .up ? shift.recentMedian - shift.referenceMedian : shift.referenceMedian - shift.recentMedian
        return delta > absolute && delta > relative * abs(shift.referenceMedian) ? shift : nil
    }

    static func median(_ sorted: [Double]) -> Double {
        let n = sorted.count
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }

    static func insert(_ x: Double, into sorted: inout [Double]) {
        sorted.insert(x, at: AnomalyDetector.insertionPoint(of: x, in: sorted))
    }

    static func remove(_ x: Double, from sorted: inout [Double]) {
        sorted.remove(at: AnomalyDetector.insertionPoint(of: x, in: sorted))
    }
}
