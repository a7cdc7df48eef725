import Foundation
import PropertyBased
import Testing
@testable import ClusterModel

/// Property-based tests of the trace reader: any series written in any of the forms users' tools
/// write (line endings, header, quotes, BOM, epoch seconds or milliseconds, ISO 8601 with offsets,
/// Prometheus JSON) reads back as exactly the numbers that were written. The expected times come from
/// Foundation's ISO 8601 formatter, not from the reader.
@Suite struct MetricSeriesPropertyTests {
    /// A series: a start (2001…2033), gaps of 1 s … 1 h, values with up to 3 decimals.
    static let series = zip(Gen.int(in: 978_307_200...2_000_000_000), Gen.int(in: 1...3600).array(of: 1...60),
                            Gen.int(in: -1_000_000_000...1_000_000_000).array(of: 60))
        .map { start, gaps, values -> [MetricSeries.Point] in
            var t = Double(start)
            return gaps.enumerated().map { i, gap in
                defer { t += Double(gap) }
                return MetricSeries.Point(time: t, value: Double(values[i]) / 1000)
            }
        }
    /// How the file is written: line ending, header, quotes, BOM, timestamp form, offset in minutes.
    static let forms = zip(Gen.element(of: ["\n", "\r\n", "\r"]).map { $0 ?? "\n" }, Gen.bool(), Gen.bool(), Gen.bool(),
                           Gen.int(in: 0...3), Gen.int(in: -12...14))

    static func timestamp(_ t: Double, form: Int, offsetHours: Int) -> String {
        switch form {
        case 0: return String(Int(t))
        case 1: return String(Int(t) * 1000)
        case 2:
            let f = ISO8601DateFormatter()
            f.timeZone = TimeZone(secondsFromGMT: offsetHours * 3600)
            return f.string(from: Date(timeIntervalSince1970: t))   // 2014-07-01T02:00:00+02:00 or …Z
        default:
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = TimeZone(identifier: "UTC")
            f.dateFormat = "yyyy-MM-dd HH:mm:ss"
            return f.string(from: Date(timeIntervalSince1970: t))
        }
    }

    @Test func everyWayOfWritingASeriesReadsBackExactly() async {
        await propertyCheck(count: 300, input: Self.series, Self.forms) { points, form in
            let (newline, header, quoted, bom, stamp, offset) = form
            func cell(_ s: String) -> String { quoted ? "\"\(s)\"" : s }
            var text = bom ? "\u{FEFF}" : ""
            if header { text += cell("timestamp") + "," + cell("value") + newline }
            for p in points {
                text += cell(Self.timestamp(p.time, form: stamp, offsetHours: offset)) + "," + cell(String(p.value)) + newline
            }
            do {
                let read = try MetricSeries.parse(csv: text, origin: "g.csv")
                #expect(read.points == points, "\(text.prefix(200).debugDescription)")
            } catch {
                Issue.record("\(error) for \(text.prefix(200).debugDescription)")
            }
        }
    }

    @Test func aPrometheusExportReadsAsTheSameSeriesAsItsCSV() async throws {
        await propertyCheck(count: 200, input: Self.series, Gen.int(in: 1...3)) { points, seriesCount in
            // The export splits each value over `seriesCount` series (pods); the reader sums them back.
            let parts = (0..<seriesCount).map { k in
                ["metric": ["pod": "p\(k)"], "values": points.map { [$0.time, String($0.value / Double(seriesCount))] as [Any] }] as [String: Any]
            }
            let json = ["status": "success", "data": ["resultType": "matrix", "result": parts]] as [String: Any]
            do {
                let data = try JSONSerialization.data(withJSONObject: json)
                let read = try MetricSeries.parse(prometheusJSON: data, origin: "g.json")
                #expect(read.points.map(\.time) == points.map(\.time))
                #expect(zip(read.points, points).allSatisfy { abs($0.value - $1.value) <= 1e-9 * max(1, abs($1.value)) })
            } catch {
                Issue.record("\(error)")
            }
        }
    }
}
