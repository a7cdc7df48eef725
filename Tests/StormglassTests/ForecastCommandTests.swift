import ClusterModel
import Foundation
import Testing

@Suite struct ForecastCommandTests {
    static let trace = repositoryRoot.appendingPathComponent("traces/nab/rds_cpu_utilization_e47b3b.csv").path

    func row(_ out: CommandOutput, _ model: String, _ horizon: String) -> [String]? {
        out.lines.map { $0.split(separator: " ").map(String.init) }.first { $0.count >= 7 && $0[0] == model && $0[1] == horizon }
    }

    /// Asking for another horizon changes nothing at this one.
    @Test func autoScoresAHorizonTheSameWhateverElseIsAsked() throws {
        let alone = try stormglassProcess(["forecast", "--csv", Self.trace, "--horizon", "30m", "--model", "auto"])
        let more = try stormglassProcess(["forecast", "--csv", Self.trace, "--horizon", "5m,30m,2h", "--model", "auto"])
        #expect(alone.code == 0 && more.code == 0, "\(alone.stderr)\(more.stderr)")
        let a = try #require(row(alone, "auto", "30m")), b = try #require(row(more, "auto", "30m"))
        #expect(a == b, "\(a) vs \(b)")
        #expect(alone.lines.contains { $0.hasPrefix("time: ") && $0.contains("µs per observation") })
    }

    /// On 30-minute data the linear model never has its 10 points in an hour: it is named, with why.
    @Test func aModelThatNeverForecastsIsNamedWithTheReason() throws {
        let out = try stormglassProcess(["forecast", "--csv", Self.trace, "--resample", "30m", "--horizon", "30m,2h", "--model", "all"])
        #expect(out.code == 0, "\(out.stderr)")
        #expect(out.stdout.contains("points every 30m"), "\(out.stdout)")
        #expect(row(out, "linear", "30m") == nil)
        #expect(out.lines.contains("linear: no forecasts — needs 10 points within its 60-minute window; data every 30 minutes gives 2"), "\(out.stdout)")
        #expect(row(out, "holt-winters", "30m") != nil)
    }

    @Test func resampleAveragesAlignedBuckets() {
        let s = MetricSeries(points: [(0, 1), (300, 3), (1800, 10), (2100, 20), (3900, 7)].map { MetricSeries.Point(time: $0.0, value: $0.1) })
        let r = s.resampled(every: 1800)
        #expect(r.points == [.init(time: 0, value: 2), .init(time: 1800, value: 15), .init(time: 3600, value: 7)])
    }

    @Test func badResampleIsRefused() throws {
        let out = try stormglassProcess(["forecast", "--csv", Self.trace, "--resample", "soon"])
        #expect(out.code == 2 && out.stderr.contains("--resample soon: not a duration"), "\(out.stderr)")
    }
}
