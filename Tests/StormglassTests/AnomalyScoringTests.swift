import ClusterModel
import ControlPlane
import Foundation
@testable import Lab
import Testing

/// NAB's scoring, checked against NAB's own published results, and `detect --score` as a user runs it.
@Suite struct AnomalyScoringTests {
    static let traces = repositoryRoot.appendingPathComponent("traces/nab")
    static let labels = traces.appendingPathComponent("anomaly_windows.json").path

    struct Published: Decodable {
        struct File: Decodable { var rows: Int; var alarmRows: [Int]; var published: [String: Figures] }
        struct Figures: Decodable { var score: Double; var tp: Int; var fp: Int; var fn: Int }
        var files: [String: File]
    }

    /// NAB's windowed-Gaussian detector's alarms on every shipped file, scored here, give exactly the
    /// scores and counts NAB published for them under each profile.
    @Test func scoresNABsPublishedWindowedGaussianAlarmsAsNABDid() throws {
        let data = try Data(contentsOf: Self.traces.appendingPathComponent("published/windowedGaussian.json"))
        let published = try JSONDecoder().decode(Published.self, from: data)
        let labels = try AnomalyLabels.load(Self.labels)
        #expect(published.files.count == 15)
        for (path, file) in published.files {
            let name = (path as NSString).lastPathComponent
            let series = try MetricSeries.load(Self.traces.appendingPathComponent(name).path, options: TraceReadOptions(repeatedTimestamps: true))
            #expect(series.points.count == file.rows, "\(name): rows")
            let scorer = NABScorer(times: series.points.map(\.time), windows: try #require(labels.windows(for: path)))
            for profile in NABProfile.all {
                let ours = scorer.score(alarms: file.alarmRows, profile: profile)
                let theirs = try #require(file.published[profile.name])
                #expect(abs(ours.raw - theirs.score) < 1e-6, "\(name) \(profile.name): \(ours.raw) vs NAB's \(theirs.score)")
                #expect(ours.alarmsInWindows == theirs.tp && ours.alarmsOutside == theirs.fp, "\(name) \(profile.name): TP/FP")
            }
        }
    }

    /// The rules on a small case worked by hand from NAB's definitions: 100 rows (15 probationary),
    /// one window on rows 40…49.
    @Test func rewardsEarlyDetectionForgivesNearMissesAndIgnoresProbation() {
        let scorer = NABScorer(times: (0..<100).map(Double.init), windows: [(40, 49)])
        #expect(scorer.probationaryRows == 15)
        let sigma = { (x: Double) in 2 / (1 + exp(5 * x)) - 1 }
        let s = NABProfile.standard
        #expect(abs(scorer.score(alarms: [40], profile: s).raw - 1) < 1e-12, "the first row of the window earns the full reward")
        #expect(abs(scorer.score(alarms: [49], profile: s).raw - sigma(-0.1) / sigma(-1)) < 1e-12)
        #expect(abs(scorer.score(alarms: [45, 41], profile: s).raw - sigma(-0.9) / sigma(-1)) < 1e-12, "only the best alarm of a window counts")
        #expect(scorer.score(alarms: [], profile: s).raw == -1, "a missed window costs the false-negative weight")
        #expect(scorer.score(alarms: [10], profile: s).raw == -1, "a probationary alarm counts for nothing")
        #expect(abs(scorer.score(alarms: [20], profile: s).raw - (-1 - 0.11)) < 1e-12, "an alarm before any window costs the full weight")
        #expect(abs(scorer.score(alarms: [50], profile: s).raw - (-1 + 0.11 * sigma(1.0 / 9))) < 1e-12, "just after a window: nearly forgiven")
        #expect(abs(scorer.score(alarms: [99], profile: s).raw - (-1 - 0.11)) < 1e-12, "more than three widths after: the full weight")
        let lowFN = scorer.score(alarms: [], profile: .rewardLowFalseNegatives)
        #expect(lowFN.raw == -2 && lowFN.normalized == 0)
        #expect(scorer.score(alarms: [40], profile: .rewardLowFalseNegatives).normalized == 100)
    }

    @Test func detectScoresEveryShippedFileAndWritesJSONAndCSV() throws {
        let json = try stormglassProcess(["detect", "--csv", Self.traces.path, "--score", Self.labels, "--format", "json"])
        #expect(json.code == 0, "\(json.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let files = try #require(doc["files"] as? [[String: Any]])
        #expect(files.count == 15)
        let total = try #require((doc["total"] as? [[String: Any]])?.first)
        let perFile = files.map { (($0["nab"] as! [[String: Any]])[0]["raw"] as! Double) }.reduce(0, +)
        #expect(abs((total["raw"] as! Double) - perFile) < 1e-9, "the total is the files' sum")
        let alerts = files.map { ($0["alerts"] as! [Any]).count }.reduce(0, +)

        let csv = try stormglassProcess(["detect", "--csv", Self.traces.path, "--format", "csv"])
        #expect(csv.code == 0)
        let rows = csv.lines.filter { !$0.isEmpty }
        #expect(rows.first == "file,alert,start,end,points,peak_value,expected,score,severity")
        #expect(rows.count - 1 == alerts, "one CSV row per alert, the same alerts as the JSON")

        let table = try stormglassProcess(["detect", "--csv", Self.traces.path, "--score", Self.labels])
        let totalRow = try #require(table.lines.first { $0.hasPrefix("total (normalised)") })
        let normalized = try #require(total["normalized"] as? Double)
        #expect(totalRow.contains(String(format: "%.1f", normalized)), "\(totalRow)")
    }

    @Test func badLabelsAreRefusedWithEveryProblem() throws {
        let dir = temporaryDirectory()
        try #"{"a.csv": [["2014-01-01 00:00:00", "yesterday"]], "b.csv": [["2014-01-02 00:00:00", "2014-01-01 00:00:00"]], "c.csv": 3}"#
            .write(toFile: dir + "/labels.json", atomically: false, encoding: .utf8)
        let out = try stormglassProcess(["detect", "--csv", Self.traces.appendingPathComponent("art_daily_jumpsup.csv").path, "--score", dir + "/labels.json"])
        #expect(out.code == 2)
        #expect(out.stderr.contains("[\"a.csv\"][0][1]: \"yesterday\" is not a timestamp"), "\(out.stderr)")
        #expect(out.stderr.contains("[\"b.csv\"][0]: the window ends before it starts"))
        #expect(out.stderr.contains("[\"c.csv\"]: not a list of windows"))
        try #"{"other.csv": []}"#.write(toFile: dir + "/other.json", atomically: false, encoding: .utf8)
        let missing = try stormglassProcess(["detect", "--csv", Self.traces.appendingPathComponent("art_daily_jumpsup.csv").path, "--score", dir + "/other.json"])
        #expect(missing.code == 2 && missing.stderr.contains("art_daily_jumpsup.csv: no windows for it in"), "\(missing.stderr)")
    }

    struct PublishedAlarms: Decodable {
        struct File: Decodable { var rows: Int; var alarmRows: [Int] }
        var threshold: Double
        var files: [String: File]
    }

    /// The context detector, run as NAB runs CAD OSE (each file's range, the rest period from its probation),
    /// raises its alarms on exactly the rows where NAB's published CAD OSE scores reach NAB's threshold, on
    /// every shipped file.
    @Test func contextDetectorRaisesNABsPublishedCADOSEAlarms() throws {
        let data = try Data(contentsOf: Self.traces.appendingPathComponent("published/contextOSE.json"))
        let published = try JSONDecoder().decode(PublishedAlarms.self, from: data)
        #expect(published.files.count == 15)
        for (path, file) in published.files {
            let name = (path as NSString).lastPathComponent
            let series = try MetricSeries.load(Self.traces.appendingPathComponent(name).path, options: TraceReadOptions(repeatedTimestamps: true))
            #expect(series.points.count == file.rows, "\(name): rows")
            let (range, rest) = ContextAnomalyDetector.nabSettings(for: series.points.map(\.value))
            var detector = AnomalyDetector(kind: .requestRate, method: .context, threshold: published.threshold, step: 300,
                                           range: range, restPeriod: rest)
            let alarms = series.points.indices.filter { detector.observe(series.points[$0].value, at: series.points[$0].time) != nil }
            #expect(alarms == file.alarmRows, "\(name)")
        }
    }

    /// What the algorithm promises on small values: nothing before its history fills, a learned cycle scores
    /// little, a transition never seen scores far more, and after a score at or above its base threshold it
    /// rests (scores 0) for exactly its period.
    @Test func contextDetectorLearnsACycleFlagsANewTransitionAndRests() {
        var cad = ContextAnomalyDetector(range: 0...7, restPeriod: 10, baseThreshold: 0.5)
        var scores: [Double] = []
        for i in 0..<400 { scores.append(cad.score(Double(i % 8))) }
        #expect(scores.prefix(10).allSatisfy { $0 == 0 }, "held at 0 while the first (1.0) is in the rest window")
        #expect(scores.allSatisfy { (0...1).contains($0) })
        let learned = scores.suffix(80).max() ?? 1
        #expect(learned < 0.1, "a cycle seen 40 times is little news: \(scores.suffix(80))")
        // 0 → 5 was never seen (the cycle goes 0 → 1).
        _ = cad.score(0)
        let surprise = cad.score(5)
        #expect(surprise >= 0.5 && surprise > 5 * learned, "a new transition: \(surprise), the cycle at most \(learned)")
        let after = (0..<12).map { cad.score(Double((6 + $0) % 8)) }
        #expect(after.prefix(10).allSatisfy { $0 == 0 }, "rests for its 10 points: \(after)")
        #expect(after[10] > 0 || after[11] > 0, "and then scores again: \(after)")
    }

    /// Values at the ends of what a Double holds, and values that are not numbers, are scored, not a crash:
    /// a range of ±1.8e308 is wider than a Double can say, and a NaN falls in the lowest bin.
    @Test func contextDetectorTakesExtremeValues() throws {
        for range: ClosedRange<Double>? in [-1e308...1e308, nil, 0...0] {
            var cad = ContextAnomalyDetector(range: range, restPeriod: 5)
            for v in [1e308, -1e308, 0, .nan, .infinity, -.infinity, 5, .greatestFiniteMagnitude] {
                #expect((0...1).contains(cad.score(v)), "\(String(describing: range)): \(v)")
            }
        }
        let dir = temporaryDirectory()
        try "timestamp,value\n2014-01-01 00:00:00,1\n2014-01-01 00:05:00,1e308\n2014-01-01 00:10:00,-1e308\n2014-01-01 00:15:00,5\n"
            .write(toFile: dir + "/wide.csv", atomically: false, encoding: .utf8)
        let out = try stormglassProcess(["detect", "--csv", dir + "/wide.csv", "--method", "context"])
        #expect(out.code == 0 && out.stdout.contains("wide.csv: 4 points"), "\(out.stderr)")
    }

    /// Numenta's spatial anomaly on top of the context detector: a value beyond the range seen so far by more than the
    /// tolerance scores 1 (and starts a rest period); within the tolerance, or while resting, it does not.
    @Test func aNewExtremeBeyondTheToleranceScoresOne() {
        func scores(_ values: [Double], tolerance: Double?) -> [Double] {
            var d = AnomalyDetector(kind: .cpu, method: .context, threshold: 0.99, step: 60, range: 0...10, restPeriod: 3, spatialTolerance: tolerance)
            return values.map { d.observe($0, at: 0)?.score ?? 0 }
        }
        let calm = Array(repeating: [2.0, 4.0], count: 30).flatMap { $0 }   // seen: 2…4, a margin of 0.1 at 0.05
        #expect(scores(calm + [4.09], tolerance: 0.05).last == 0)           // inside the margin
        #expect(scores(calm + [4.2], tolerance: 0.05).last == 1)            // beyond it
        #expect(scores(calm + [1.8], tolerance: 0.05).last == 1)            // below it
        #expect(scores(calm + [4.2], tolerance: nil).last != 1)             // the context detector alone
        #expect(scores(calm + [4.2, 4.5], tolerance: 0.05).suffix(2) == [1, 0])  // the next extreme falls in the rest period
        let bad = try? stormglassProcess(["detect", "--csv", Self.traces.path, "--spatial-tolerance", "lots"])
        #expect(bad?.code == 2)
        #expect(bad?.stderr.contains("--spatial-tolerance: only --method context has it") == true, "\(bad?.stderr ?? "")")
        #expect(bad?.stderr.contains("--spatial-tolerance lots: a fraction of the range seen so far") == true, "\(bad?.stderr ?? "")")
    }

    /// `detect --method context` as a user runs it: scored on the shipped files, its own defaults (every score
    /// over the threshold alerts), and its options refused in words when they cannot work.
    @Test func detectWithTheContextMethodScoresAndRefusesWhatCannotWork() throws {
        let table = try stormglassProcess(["detect", "--csv", Self.traces.path, "--score", Self.labels, "--method", "context"])
        #expect(table.code == 0, "\(table.stderr)")
        let total = try #require(table.lines.first { $0.hasPrefix("total (normalised)") })
        let standard = try #require(Double(total.split(separator: " ").dropLast(2).last ?? ""))
        #expect(standard > 59.1, "above the z-score default's 59.1 on the same files: \(total)")
        // Its cost over every observation of the files, counted here from the files themselves (a header each).
        let csvs = try FileManager.default.contentsOfDirectory(atPath: Self.traces.path).filter { $0.hasSuffix(".csv") }
        let rows = try csvs.map { try String(contentsOfFile: Self.traces.appendingPathComponent($0).path, encoding: .utf8)
            .split(whereSeparator: \.isNewline).count - 1 }.reduce(0, +)
        let cost = try #require(table.lines.last { !$0.isEmpty })
        #expect(cost.hasPrefix("time: ") && cost.hasSuffix(" µs of CPU per observation for the detector (\(rows) observations)"), "\(cost)")
        #expect((Double(cost.dropFirst(6).prefix { $0 != " " }) ?? 0) > 0, "\(cost)")
        let one = try stormglassProcess(["detect", "--csv", Self.traces.appendingPathComponent("art_daily_jumpsup.csv").path, "--method", "context"])
        #expect(one.stdout.contains("context detector (CAD OSE), score ≥ 0.75") && one.stdout.contains("alert after 1 point"), "\(one.stdout)")
        let online = try stormglassProcess(["detect", "--csv", Self.traces.path, "--score", Self.labels, "--method", "context", "--online"])
        #expect(online.code == 0 && online.stdout.contains("strictly online (range from the values so far"), "\(online.stderr)")
        #expect(try stormglassProcess(["detect", "--csv", Self.traces.path, "--online"]).stderr.contains("--online: only --method context"))
        let bad = try stormglassProcess(["detect", "--csv", Self.traces.path, "--method", "context", "--threshold", "2", "--persistence", "3"])
        #expect(bad.code == 2)
        #expect(bad.stderr.contains("--threshold 2.0: the context method's threshold is a score in 0…1"), "\(bad.stderr)")
        #expect(bad.stderr.contains("--persistence 3: the context method holds its scores at 0"), "\(bad.stderr)")
    }

    /// A daylight-saving hour written out twice (NAB's machine_temperature file has one) is read in file order by
    /// `detect`; a timestamp going back further is refused with its line, and replay refuses even the hour.
    @Test func detectReadsARepeatedHourInFileOrder() throws {
        let dir = temporaryDirectory()
        var rows = ["timestamp,value"]
        for m in stride(from: 0, to: 180, by: 5) { rows.append(String(format: "2014-01-07 %02d:%02d:00,%d", m / 60, m % 60, 10 + m % 7)) }
        rows.insert("2014-01-07 01:00:00,12", at: 30)   // after 02:20, back 80 minutes: refused
        try (rows.joined(separator: "\n") + "\n").write(toFile: dir + "/back.csv", atomically: false, encoding: .utf8)
        let refused = try stormglassProcess(["detect", "--csv", dir + "/back.csv"])
        #expect(refused.code == 2 && refused.stderr.contains("back.csv:31: timestamp 2014-01-07 01:00:00 is not after"), "\(refused.stderr)")
        rows[30] = "2014-01-07 01:30:00,12"   // back 50 minutes: within the repeated hour
        try (rows.joined(separator: "\n") + "\n").write(toFile: dir + "/hour.csv", atomically: false, encoding: .utf8)
        let read = try stormglassProcess(["detect", "--csv", dir + "/hour.csv"])
        #expect(read.code == 0, "\(read.stderr)")
        #expect(read.stdout.contains("hour.csv: 37 points"), "\(read.stdout)")
        #expect(throws: TraceError.self) { try MetricSeries.load(dir + "/hour.csv", options: TraceReadOptions(repeatedTimestamps: true)) }
    }
}
