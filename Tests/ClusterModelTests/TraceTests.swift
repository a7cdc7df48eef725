import Testing
import ClusterModel

@Suite struct TraceTests {
    @Test func parsesTimestampsAndValues() throws {
        let s = try MetricSeries.parse(csv: "timestamp,value\n2014-07-01 00:00:00,10\n2014-07-01 00:05:00,20\n2014-07-01 00:10:00,30\n", origin: "t.csv")
        #expect(s.points.count == 3)
        #expect(s.points[1].time - s.points[0].time == 300)
        #expect(s.typicalInterval == 300)
        #expect(try MetricSeries.parse(csv: "1970-01-02 00:00:00,1", origin: "x").points[0].time == 86_400)
    }

    @Test func malformedRowsNameTheFileAndLine() {
        func problem(_ csv: String) -> TraceError? {
            do { _ = try MetricSeries.parse(csv: csv, origin: "bad.csv"); return nil } catch { return error as? TraceError }
        }
        let badTime = problem("timestamp,value\n2014-07-01 00:00:00,1\n2014-07-01 25:00:00,2\n")
        #expect(badTime?.line == 3)
        #expect(badTime?.description.hasPrefix("bad.csv:3: bad timestamp") == true)
        let missing = problem("timestamp,value\n2014-07-01 00:00:00,\n")
        #expect(missing?.line == 2 && missing?.problem == "missing value")
        let notNumber = problem("timestamp,value\n2014-07-01 00:00:00,abc\n")
        #expect(notNumber?.line == 2)
        let unsorted = problem("timestamp,value\n2014-07-01 00:10:00,1\n2014-07-01 00:05:00,2\n")
        #expect(unsorted?.line == 3)
        #expect(unsorted?.problem.contains("not after the previous row") == true)
        let empty = problem("timestamp,value\n")
        #expect(empty?.problem == "no data rows")
        let oneField = problem("2014-07-01 00:00:00\n")
        #expect(oneField?.line == 1)
    }

    @Test func replayInterpolatesAndLoops() throws {
        let s = try MetricSeries.parse(csv: "0,100\n60,200\n120,100\n", origin: "t")
        let r = TraceReplay(series: s, valuesAre: .perSecond)
        #expect(r.rate(at: 30) == 150)
        #expect(r.rate(at: 60) == 200)
        #expect(r.period == 180)
        #expect(r.rate(at: 180 + 30) == 150)  // loops
        #expect(r.maxRate(from: 10, to: 100) == 200)
        #expect(r.minRate(from: 10, to: 100) <= r.rate(at: 10) && r.minRate(from: 10, to: 100) <= r.rate(at: 100))
        let counts = TraceReplay(series: s, valuesAre: .countPerRow)
        #expect(abs(counts.rate(at: 60) - 200.0 / 60) < 1e-9)
        let peak = TraceReplay(series: s, valuesAre: .perSecond, peak: 50)
        #expect(peak.rate(at: 60) == 50)
        let fast = TraceReplay(series: s, valuesAre: .perSecond, timeScale: 0.5)
        #expect(fast.rate(at: 30) == 200)
    }
}
