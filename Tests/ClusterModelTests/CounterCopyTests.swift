@testable import ClusterModel
import Testing

/// Guards on the places that copy a list of counters by hand: a counter added to one list and not to the
/// copy fails here, not silently as a zero in fluid runs.
@Suite struct CounterCopyTests {
    /// Every stored property of `value`, nested structs opened, as (dotted path, printed value).
    func storedFields(of value: Any, under prefix: String = "") -> [(path: String, value: String)] {
        let children = Mirror(reflecting: value).children
        if children.isEmpty { return [(prefix, "\(value)")] }
        return children.flatMap { storedFields(of: $0.value, under: prefix.isEmpty ? $0.label ?? "?" : prefix + "." + ($0.label ?? "?")) }
    }

    @Test func everyIntervalCounterIsFilledFromAFluidTally() {
        var tally = FluidTally()
        tally.arrivals = 11.2; tally.completed = 12.2; tally.failed = 13.2; tally.rejected = 14.2; tally.timedOut = 15.2
        tally.goodput = 16.2; tally.started = 17.2; tally.waitSum = 1.8; tally.busyArea = 2.5
        tally.latency.add(LatencyMoments(mean: 0.1, variance: 0.01), weight: 12)
        // The tally itself: a field added to it must be set above (and then mapped).
        for field in storedFields(of: tally) {
            #expect(field.value != "0.0", "FluidTally.\(field.path) is not set by this test")
        }
        var carry = FluidCarry()
        let counters = IntervalCounters(fluid: tally, carry: &carry, slotArea: 30, replicaArea: 45)
        // Retries and shedding act on single requests: fluid fidelity refuses scenarios that have them.
        let requestLevelOnly: Set = ["retries", "shed"]
        for field in storedFields(of: counters) where !requestLevelOnly.contains(field.path) {
            #expect(field.value != "0" && field.value != "0.0", "IntervalCounters.\(field.path) is not filled from a fluid tally")
        }
        #expect(counters.arrivals == 11 && counters.waitCount == 17 && counters.busySlotNanos == 2_500_000_000)
        // The fractions are carried to the next scrape, field by field.
        #expect(abs(carry.arrivals - 0.2) < 1e-9 && abs(carry.started - 0.2) < 1e-9 && abs(carry.goodput - 0.2) < 1e-9)
    }
}
