import Foundation
import Testing
import Stormglass

/// A user's own traffic shape and forecaster, used through the same DSL as the built-in ones, with
/// nothing but `import Stormglass` (as in a user's package).
@Suite struct ExtensionPointTests {
    /// Twice the base rate between 20 and 40 minutes.
    struct DoubleHalfHour: TrafficShape {
        var name: String { "double-half-hour" }
        func factor(at t: Double) -> Double { (1200..<2400).contains(t) ? 2 : 1 }
    }

    /// Always forecasts the last value it saw.
    struct LastValue: Forecaster {
        let name = "last-value"
        var last: Double?
        mutating func observe(_ value: Double, at time: Double) { last = value }
        func forecast(stepsAhead steps: Int) -> Forecast? { last.map { Forecast(value: $0, lower: $0, upper: $0, confidence: 1) } }
    }

    final class Arrivals: RunObserver {
        var byWindow: [Int: Int] = [:]
        func observe(_ scrape: Scrape) throws {
            for s in scrape.services { byWindow[Int((scrape.time - 1) / 1200), default: 0] += s.arrivals }
        }
    }

    @Test func aUserShapeShapesTheArrivalsAndAUserForecasterIsScored() throws {
        let scenario = Scenario("shaped", "a user shape and forecaster") {
            RunFor(.hours(1))
            NodePool("p", count: 2)
            Service("s") { Replicas(8); Concurrency(8); ServiceTime(.exponential(mean: 0.01)) }
            Traffic(to: "s", rate: 200) { Shape(DoubleHalfHour()) }
            Predict(horizons: [.minutes(1)], models: [ForecasterModel("last-value") { _ in LastValue() }])
        }
        #expect(scenario.spec.validate().isEmpty)
        let arrivals = Arrivals()
        let result = try ScenarioRunner(spec: scenario.spec).run(observer: arrivals)
        // 200/s for 20 minutes is 240,000 arrivals (Poisson: σ ≈ 490); the shaped window doubles it.
        let before = Double(arrivals.byWindow[0] ?? 0), during = Double(arrivals.byWindow[1] ?? 0), after = Double(arrivals.byWindow[2] ?? 0)
        #expect(abs(before - 240_000) < 2_500 && abs(after - 240_000) < 2_500, "\(arrivals.byWindow)")
        #expect(abs(during - 480_000) < 3_500, "\(arrivals.byWindow)")
        let mine = result.accuracy.filter { $0.model == "last-value" }
        #expect(mine.count == 1 && mine[0].count > 200, "the user's model is scored like the built-in ones")
    }
}
