import Testing
@testable import ClusterModel

@Suite struct ArrivalProcessTests {
    /// A trace with two hours of silence between two busy half-hours, and a daily-cycle shape on
    /// top, so that segments, squeezes, rejections and the silence all occur.
    static let traffic: TrafficSpec = {
        let series = MetricSeries(points: [.init(time: 0, value: 5), .init(time: 1800, value: 5),
                                           .init(time: 1801, value: 0), .init(time: 9000, value: 0),
                                           .init(time: 9001, value: 5), .init(time: 10_800, value: 5)])
        return TrafficSpec(service: "web", source: .trace(TraceReplay(series: series, valuesAre: .perSecond)),
                           shapes: [.cycle(period: .hours(1), amplitude: 0.5, peakAt: .minutes(20))])
    }()

    static func arrivals(lookAheadLimit: Double, horizon: Double = 10_800) -> [Double] {
        var process = ArrivalProcess(traffic: traffic, seed: 42)
        process.lookAheadLimit = lookAheadLimit
        var times: [Double] = []
        while let t = process.next(horizon: horizon) { times.append(t) }
        return times
    }

    @Test func drawingAheadGivesTheSameArrivalsWhereverTheLookAheadStops() {
        // Arrivals are drawn one ahead, and the look-ahead stops after a silence of
        // `lookAheadLimit` and later carries on. Wherever it stops — never, only in the long
        // silence, or after almost every arrival — the instants must be the same.
        let unlimited = ArrivalProcessTests.arrivals(lookAheadLimit: .infinity)
        #expect(unlimited.count > 10_000)
        #expect(!unlimited.contains { $0 > 1801 && $0 < 9000 })  // the silence is silent
        #expect(unlimited.contains { $0 > 9001 })                // and traffic comes back after it
        #expect(ArrivalProcessTests.arrivals(lookAheadLimit: 3600) == unlimited)
        #expect(ArrivalProcessTests.arrivals(lookAheadLimit: 0.05) == unlimited)
    }

    @Test func theHorizonCutsTheStreamWithoutChangingWhatCameBefore() {
        let full = ArrivalProcessTests.arrivals(lookAheadLimit: 3600)
        let cut = ArrivalProcessTests.arrivals(lookAheadLimit: 3600, horizon: 9500)
        #expect(cut == full.filter { $0 < 9500 })
        #expect(cut.last.map { $0 > 9001 } == true)
    }
}
