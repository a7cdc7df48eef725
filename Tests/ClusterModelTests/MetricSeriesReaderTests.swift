import Foundation
import Testing
@testable import ClusterModel
import SimulationKernel

/// The trace reader: every format users have, and every malformed input refused with its place.
@Suite struct MetricSeriesReaderTests {
    func problem(_ csv: String, options: TraceReadOptions = .init()) -> TraceError? {
        do { _ = try MetricSeries.parse(csv: csv, origin: "t.csv", options: options); return nil } catch { return error as? TraceError }
    }
    func problem(json: String) -> TraceError? {
        do { _ = try MetricSeries.parse(prometheusJSON: Data(json.utf8), origin: "p.json"); return nil } catch { return error as? TraceError }
    }

    /// Spaces around a field are not part of it: ASCII spaces, tabs and Unicode space separators (U+00A0, U+2003),
    /// the set Foundation calls `.whitespaces`.
    @Test func spacesAroundFieldsAreTrimmed() throws {
        let s = try MetricSeries.parse(csv: "timestamp,value\n \t2014-07-01 00:00:00 ,\u{00A0}10\u{2003}\n\u{2003}\n2014-07-01 00:05:00,\t\"20\" \n", origin: "s")
        #expect(s.points.map(\.value) == [10, 20])
        #expect(s.points[1].time - s.points[0].time == 300)
    }

    @Test func windowsLineEndingsAndQuotesReadLikeUnix() throws {
        let unix = try MetricSeries.parse(csv: "timestamp,value\n2014-07-01 00:00:00,10\n2014-07-01 00:05:00,20\n", origin: "u")
        let windows = try MetricSeries.parse(csv: "timestamp,value\r\n2014-07-01 00:00:00,10\r\n2014-07-01 00:05:00,20\r\n", origin: "u")
        let quoted = try MetricSeries.parse(csv: "\u{FEFF}\"timestamp\",\"value\"\r\"2014-07-01 00:00:00\",\"10\"\r\"2014-07-01 00:05:00\",\"20\"\r", origin: "u")
        #expect(windows == unix && quoted == unix && unix.points.map(\.value) == [10, 20])
        // No header at all.
        #expect(try MetricSeries.parse(csv: "2014-07-01 00:00:00,10\n2014-07-01 00:05:00,20", origin: "u") == unix)
    }

    @Test func iso8601AndEpochTimestamps() throws {
        // 2014-07-01T00:00:00Z is 1404172800 s after the epoch (date -u -d 2014-07-01 +%s).
        let t0 = 1_404_172_800.0
        let forms = ["2014-07-01 00:00:00", "2014-07-01T00:00:00Z", "2014-07-01T02:00:00+02:00", "2014-06-30T19:00:00-0500",
                     "2014-07-01T00:00:00.000Z", "2014-07-01", "1404172800", "1404172800000"]
        for f in forms {
            let s = try MetricSeries.parse(csv: "\(f),1\n", origin: "t")
            #expect(s.points[0].time == t0, "\(f)")
        }
        #expect(try MetricSeries.parse(csv: "2014-07-01 00:00:00.25,1", origin: "t").points[0].time == t0 + 0.25)
        // Relative seconds stay seconds; the unit can be forced.
        #expect(try MetricSeries.parse(csv: "0,1\n60,2", origin: "t").points.map(\.time) == [0, 60])
        #expect(try MetricSeries.parse(csv: "0,1\n60000,2", origin: "t", options: .init(timeUnit: .milliseconds)).points.map(\.time) == [0, 60])
        // Leap days exist only in leap years (2000 is one, 1900 is not).
        #expect(try MetricSeries.parse(csv: "2000-02-29 00:00:00,1", origin: "t").points[0].time == 951_782_400)
        #expect(problem("1900-02-29 00:00:00,1")?.line == 1)
    }

    @Test func misreadableRowsAreRefusedWithTheirLine() {
        let cases: [(String, Int, String)] = [
            ("timestamp,value\n0,1\n300,18,32\n", 3, "found 3 (a decimal comma? write 18.32)"),
            ("0,1\n2014-02-31 00:00:00,2\n", 2, "bad timestamp \"2014-02-31 00:00:00\""),
            ("0,1\n300,1\u{0}2\n", 2, "contains a NUL byte"),
            ("0,1\n9223372036854775807-01-01 00:00:00,2\n", 2, "bad timestamp"),
            ("0,1\n1e15,2\n", 2, "out of range"),
            ("0,1\n300,nan\n", 2, "not a finite number"),
            ("0,1\n300,inf\n", 2, "not a finite number"),
            ("0,1\n300,0x10\n", 2, "is not a number"),
            ("0,1\r\n0,2\r\n", 2, "not after the previous row's 0"),
        ]
        for (csv, line, message) in cases {
            let e = problem(csv)
            #expect(e?.line == line && e?.problem.contains(message) == true, "\(csv.debugDescription): \(String(describing: e))")
        }
        #expect(problem("0,-3\n", options: .init(nonNegative: true))?.problem.contains("negative") == true)
        #expect(problem("0,-3\n") == nil, "negative values are fine for a metric that is not a rate")
    }

    @Test func invalidUTF8NamesItsLine() throws {
        var data = Data("0,1\n300,2\n".utf8)
        data.append(contentsOf: [0x36, 0x30, 0x30, 0x2C, 0xFF, 0x0A])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("reader-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("bad.csv").path
        try data.write(to: URL(fileURLWithPath: path))
        #expect(throws: TraceError(file: path, line: 3, problem: "not UTF-8 text")) { try MetricSeries.load(path) }
        #expect(throws: TraceError(file: dir.path, line: 0, problem: "is a folder, not a trace file")) { try MetricSeries.load(dir.path) }
    }

    @Test func prometheusRangeQueriesAreSummedAcrossSeries() throws {
        let json = """
        {"status":"success","data":{"resultType":"matrix","result":[
          {"metric":{"pod":"a"},"values":[[1700000000,"1.5"],[1700000015,"2"],[1700000030,"3"]]},
          {"metric":{"pod":"b"},"values":[[1700000015,"10"],[1700000030,"20"]]}]}}
        """
        let s = try MetricSeries.parse(prometheusJSON: Data(json.utf8), origin: "p.json")
        #expect(s.points.map(\.time) == [1_700_000_000, 1_700_000_015, 1_700_000_030])
        #expect(s.points.map(\.value) == [1.5, 12, 23])
        // `promtool query range -o json` prints the bare result array.
        let bare = try MetricSeries.parse(prometheusJSON: Data(#"[{"metric":{},"values":[[1700000000,"1.5"]]}]"#.utf8), origin: "p")
        #expect(bare.points == [.init(time: 1_700_000_000, value: 1.5)])
    }

    /// Samples are summed per timestamp only when every series is on one grid and in order (the audit's
    /// D10: misaligned series were summed beside each other, halving a rate).
    @Test func prometheusSeriesOffTheGridOrOutOfOrderAreRefused() {
        func matrix(_ series: String...) -> String {
            #"{"status":"success","data":{"resultType":"matrix","result":["# + series.map { #"{"metric":{},"values":"# + $0 + "}" }.joined(separator: ",") + "]}}"
        }
        let cases: [(String, String, String)] = [
            (matrix("[[0,\"1\"],[60,\"1\"],[30,\"1\"]]"), "data.result[0].values[2][0]", "before the previous sample's"),
            (matrix("[[0,\"1\"],[60,\"1\"],[60,\"1\"]]"), "data.result[0].values[2][0]", "is repeated"),
            (matrix("[[0,\"1\"],[300,\"1\"],[600,\"1\"]]", "[[150,\"1\"],[450,\"1\"],[750,\"1\"]]"), "data.result[1].values",
             "offset by 2m30s from data.result[0].values"),
            (matrix("[[0,\"1\"],[60,\"1\"],[120,\"1\"]]", "[[0,\"1\"],[300,\"1\"],[600,\"1\"]]"), "data.result[1].values",
             "sampled every 5m, but data.result[0].values every 1m"),
        ]
        for (json, path, message) in cases {
            let e = problem(json: json)
            #expect(e?.path == path && e?.problem.contains(message) == true, "\(json): \(String(describing: e))")
        }
        // A series that starts later, on the same grid, is summed where it has samples.
        let late = try? MetricSeries.parse(prometheusJSON: Data(matrix("[[0,\"1\"],[60,\"1\"],[120,\"1\"]]", "[[120,\"2\"],[180,\"2\"]]").utf8), origin: "p")
        #expect(late?.points == [.init(time: 0, value: 1), .init(time: 60, value: 1), .init(time: 120, value: 3), .init(time: 180, value: 2)])
    }

    @Test func prometheusProblemsNameTheirJSONPath() {
        let cases: [(String, String, String)] = [
            (#"{"status":"error","errorType":"bad_data","error":"1:5: parse error"}"#, "status", "answered \"error\" (bad_data: 1:5: parse error)"),
            (#"{"status":"success","data":{"resultType":"vector","result":[]}}"#, "data.resultType", "expected \"matrix\""),
            (#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#, "data.result", "holds no series"),
            (#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[]}]}}"#, "data.result", "holds no samples"),
            (#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"1"],[2,"NaN"]]}]}}"#, "data.result[0].values[1][1]", "not a finite number"),
            (#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"1"],[2]]}]}}"#, "data.result[0].values[1]", "expected [timestamp"),
            (#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"value":[1,"1"]}]}}"#, "data.result[0].values", "instant vector"),
            (#"{"data":{}}"#, "status", "missing"),
        ]
        for (json, path, message) in cases {
            let e = problem(json: json)
            #expect(e?.path == path && e?.problem.contains(message) == true, "\(json): \(String(describing: e))")
            #expect(e?.description.hasPrefix("p.json: at \(path): ") == true)
        }
        #expect(problem(json: #"{"status":"#)?.problem.hasPrefix("not valid JSON") == true)
    }

    /// Random and mutated files never crash or hang the reader, and every refusal names the file and
    /// a place (a line within the file, or a JSON path).
    @Test func mutatedInputsAreReadOrRefusedWithAPlace() {
        var rng = RandomStream(seed: 0x5EED, name: "trace-mutations")  // seeded, so a failing mutation replays
        let seeds = ["timestamp,value\n2014-07-01 00:00:00,10\n2014-07-01 00:05:00,20\n2014-07-01 00:10:00,30\n",
                     "0,1\r\n60,2\r\n120,3\r\n",
                     #"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"1"],[2,"2"]]}]}}"#]
        let alphabet = Array("0123456789,:-.TZ+ eE\n\r\"{}[]\u{0}\u{FF}abc".utf8)
        for round in 0..<3000 {
            var bytes = Array(seeds[round % seeds.count].utf8)
            for _ in 0...(rng.next() % 4) {
                let op = rng.next() % 3, at = Int(rng.next() % UInt64(bytes.count + 1))
                let byte = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                switch op {
                case 0: bytes.insert(byte, at: at)
                case 1: if at < bytes.count { bytes.remove(at: at) }
                default: if at < bytes.count { bytes[at] = byte }
                }
            }
            let data = Data(bytes)
            do {
                let s = round % 3 == 2 ? try MetricSeries.parse(prometheusJSON: data, origin: "m")
                                       : try MetricSeries.parse(csvData: data, origin: "m", options: .init())
                #expect(!s.points.isEmpty && zip(s.points.dropFirst(), s.points).allSatisfy { $0.time > $1.time })
                #expect(s.points.allSatisfy { $0.value.isFinite && $0.time.isFinite })
            } catch let e as TraceError {
                let lines = MetricSeries.lines(of: data).reduce(0) { n, _ in n + 1 }
                #expect(e.file == "m" && !e.problem.isEmpty)
                #expect(e.path != nil || (0...lines).contains(e.line), "\(e)")
                if round % 3 != 2 && e.problem != "no data rows" { #expect(e.line >= 1, "\(e)") }
            } catch {
                Issue.record("unexpected error \(error)")
            }
        }
    }
}
