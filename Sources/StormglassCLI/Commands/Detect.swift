import Telemetry
import ArgumentParser
import ClusterModel
import ControlPlane
import Foundation
import Lab
import Reports
import SimulationKernel

struct Detect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List anomalies in metric histories (timestamp,value CSV), and score them against labelled windows the way NAB does.",
        discussion: """
        Anomalous points are merged into episodes; an episode alerts once --persistence of its points in a row \
        were anomalous, and ends after --cooldown without one. With --score, each file's alerts are scored \
        against its labelled windows under NAB's three profiles (standard, reward_low_FP_rate, \
        reward_low_FN_rate); the total is normalised as NAB does (0 = never alert, 100 = every window at its start).
        Examples: \(CommandName.current) detect --csv cpu.csv --kind cpu
                  \(CommandName.current) detect --csv traces/nab --score traces/nab/anomaly_windows.json
        """)

    @Option(name: .customLong("csv"), help: "A `timestamp,value` CSV, a folder of them, or promql:'QUERY' with --prometheus (repeatable).")
    var inputs: [String] = []

    @Option(help: "Metric kind, for its default threshold: \(MetricKind.allCases.map { "\($0.rawValue) (\($0.threshold)σ)" }.joined(separator: ", ")).")
    var kind: String = "request-rate"

    // The defaults are the one setting (for every file, as NAB allows) that scored best on the shipped
    // labelled series: a long baseline, two anomalous points before an alert, one alert per two days of a
    // persisting anomaly. See docs/results/anomaly-detection.md.
    @Option(help: "Method: \(DetectionMethod.allCases.map(\.rawValue).joined(separator: ", ")).")
    var method: String = "zscore"

    @Option(help: "Threshold in standard deviations (default: the kind's); for --method context, the 0…1 score (default 0.75).")
    var threshold: Double?

    @Option(help: "Baseline window in points.")
    var baseline: Int = 1000

    @Option(help: "Anomalous points in a row before an episode alerts (default 2; 1 for --method context).")
    var persistence: Int?

    @Option(help: "Quiet time that ends an episode; an anomaly sooner continues it (one alert per episode; default 2d, 0s for --method context).")
    var cooldown: String?

    @Option(help: "--method context: a value beyond the range seen so far by more than this fraction of it scores 1 (Numenta's spatial anomaly), or none.")
    var spatialTolerance: String = "none"

    @Flag(help: "Strictly online (--method context): learn the value range from the values so far, and rest 150 points after a high score, instead of reading each file's range and length in advance as NAB allows.")
    var online = false

    @Option(help: ArgumentHelp("Labelled anomaly windows (NAB's combined_windows.json layout): score the alerts.", valueName: "labels.json"))
    var score: String?

    @Option(help: "Output: table, json or csv (one row per alert).")
    var format: OutputFormat = .table

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case table, json, csv }

    @OptionGroup var source: PrometheusOptions

    func run() throws {
        try source.install()
        let (files, settings) = try validated()
        let labels = try score.map { path in
            return try AnomalyLabels.load(path)
        }
        var results: [FileResult] = []
        var problems: [String] = []
        for file in files {
            let series: MetricSeries
            do { series = try MetricSeries.load(file, options: TraceReadOptions(repeatedTimestamps: true, repeatedHour: true)) } catch let e as TraceError { problems.append(e.description); continue }
            guard series.points.count >= 2 else { problems.append("\(file): need at least 2 rows"); continue }
            var windows: [(start: Double, end: Double)]?
            if let labels {
                windows = labels.windows(for: file)
                if windows == nil { problems.append("\(file): no windows for it in \(labels.file) (keys are matched by file name)"); continue }
                // A window the series does not reach would silently change the score's normalisation.
                for w in AnomalyLabels.outside(windows ?? [], of: series) {
                    problems.append("\(file): the window \(ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: w.start))) … \(ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: w.end))) in \(labels.file) lies outside the series")
                }
            }
            results.append(try detect(series, file: file, settings: settings, windows: windows))
        }
        guard problems.isEmpty else { throw InputError(problems.joined(separator: "\n")) }
        switch format {
        case .table: printTables(results, settings: settings)
        case .csv: printCSV(results)
        case .json: try printJSON(results, settings: settings)
        }
    }

    struct Settings {
        var kind: MetricKind, method: DetectionMethod, threshold: Double?, baseline: Int, persistence: Int, cooldown: SimDuration
        var online = false
        var spatialTolerance: Double?
    }

    struct FileResult {
        var file: String, points: Int, step: Double
        var detector: AnomalyDetector
        var alerts: [AnomalyEpisode]
        var score: DetectionScore?
        var cpuSeconds: Double
    }

    /// Files and settings, every problem of the options at once.
    func validated() throws -> ([String], Settings) {
        var problems: [String] = []
        if inputs.isEmpty { problems.append("give --csv FILE-OR-FOLDER") }
        // Fewer points than the detector needs before it judges anything would silently report nothing.
        if !(20...100_000).contains(baseline) {
            problems.append("--baseline \(baseline): must be in 20…100000 points (the detector needs 20 before it judges a point)")
        }
        let method = DetectionMethod(rawValue: self.method)
        if method == nil { problems.append("--method \(self.method): one of \(DetectionMethod.allCases.map(\.rawValue).joined(separator: ", "))") }
        let context = method == .context
        if let threshold, context, !(threshold > 0 && threshold <= 1) {
            problems.append("--threshold \(threshold): the context method's threshold is a score in 0…1 (0 excluded)")
        } else if let threshold, !context, !(threshold.isFinite && (0.1...1000).contains(threshold)) {
            problems.append("--threshold \(threshold): must be a number of standard deviations in 0.1…1000")
        }
        // The context detector rests after a high score, so two in a row never happen: it alerts on each
        // (NAB's way). The others alert on the second point in a row, once per two days of a lasting anomaly.
        let persistence = self.persistence ?? (context ? 1 : 2), cooldown = self.cooldown ?? (context ? "0s" : "2d")
        if !(1...10_000).contains(persistence) { problems.append("--persistence \(persistence): must be in 1…10000 points") }
        let spatial = spatialTolerance == "none" ? nil : Double(spatialTolerance)
        if spatialTolerance != "none" {
            if !context { problems.append("--spatial-tolerance: only --method context has it") }
            if !(spatial.map { $0 > 0 && $0 <= 10 } ?? false) {
                problems.append("--spatial-tolerance \(spatialTolerance): a fraction of the range seen so far, above 0 and at most 10, or none")
            }
        }
        if online && !context { problems.append("--online: only --method context reads anything in advance; the other methods are online already") }
        if context && persistence > 1 {
            problems.append("--persistence \(persistence): the context method holds its scores at 0 for a rest period after a high one, so it never has 2 in a row; use 1")
        }
        let cool = SimDuration(parsing: cooldown)
        if cool == nil || cool! < .zero || cool! > .days(30) { problems.append("--cooldown \(cooldown): not a duration from 0s to 30d") }
        let kind = MetricKind(rawValue: self.kind)
        if kind == nil { problems.append("--kind \(self.kind): one of \(MetricKind.allCases.map(\.rawValue).joined(separator: ", "))") }
        let files = inputs.flatMap { traceFiles($0, option: "--csv", problems: &problems) }
        guard problems.isEmpty, let kind, let method, let cool else { throw InputError(problems.joined(separator: "\n")) }
        return (files, Settings(kind: kind, method: method, threshold: threshold, baseline: baseline, persistence: persistence, cooldown: cool, online: online,
                                spatialTolerance: spatial))
    }

    func detect(_ series: MetricSeries, file: String, settings s: Settings, windows: [(start: Double, end: Double)]?) throws -> FileResult {
        let step = series.typicalInterval
        // The context detector gets what NAB hands every detector: the file's range, and its probation (15 % of the
        // file, at most 750 points), a fifth of which is the detector's rest period.
        // Online, it knows neither: the range grows with the values, and the rest period is NAB's for any file of
        // 5,000 rows or more.
        let nab = s.method == .context && !s.online ? ContextAnomalyDetector.nabSettings(for: series.points.map(\.value)) : nil
        var detector = AnomalyDetector(kind: s.kind, method: s.method, threshold: s.threshold, step: step, baseline: s.baseline,
                                       range: nab?.range, restPeriod: nab?.restPeriod ?? 150, spatialTolerance: s.spatialTolerance)
        let debounce = AnomalyEpisode.Debounce(persistence: s.persistence, cooldown: max(1, Int((s.cooldown.seconds / step).rounded(.up))))
        let started = Self.threadCPUSeconds()
        let episodes = try AnomalyEpisode.find(in: series, with: &detector, debounce: debounce)
        let cpuSeconds = Self.threadCPUSeconds() - started
        let alerts = episodes.filter { $0.alarmRow != nil }
        let score = windows.map { DetectionScore(series: series, episodes: episodes, windows: $0) }
        return FileResult(file: file, points: series.points.count, step: step, detector: detector, alerts: alerts, score: score,
                          cpuSeconds: cpuSeconds)
    }

    /// CPU time this thread has used: a figure another process on the machine does not inflate.
    static func threadCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    /// The detector's cost, from its CPU time over every file (reading and scoring the files not included).
    func printCost(_ results: [FileResult]) {
        let points = results.map(\.points).reduce(0, +), seconds = results.map(\.cpuSeconds).reduce(0, +)
        print("time: " + String(format: "%.1f", seconds * 1e6 / Double(max(1, points))) + " µs of CPU per observation for the detector (\(points) observations)")
    }

    func describe(_ s: Settings, _ d: AnomalyDetector) -> String {
        (s.method == .context
            ? "context detector (CAD OSE), score ≥ \(d.threshold), "
                + (s.online ? "strictly online (range from the values so far, rest period 150 points), "
                            : "each file's range, rest period a fifth of NAB's probation, ")
                + (s.spatialTolerance.map { "new extremes beyond \($0) of the range seen score 1, " } ?? "")
            : "\(s.method.rawValue) detector, threshold \(d.threshold)σ (critical \(d.critical)σ), baseline \(s.baseline) points, ")
            + "alert after \(s.persistence) point\(s.persistence == 1 ? "" : "s") in a row, cooldown \(s.cooldown)"
    }

    func printTables(_ results: [FileResult], settings: Settings) {
        if results.count == 1 || score == nil {
            for r in results {
                print("\(r.file): \(r.points) points, \(describe(settings, r.detector))")
                var t = TextTable(["alert", "start", "end", "points", "peak value", "expected", "score", "severity"])
                for e in r.alerts {
                    let context = settings.method == .context
                    t.add([Self.timestamp(e.alarmTime!), Self.timestamp(e.start), Self.timestamp(e.end), String(e.count),
                           String(format: "%.4g", e.peak.value), context ? "–" : String(format: "%.4g", e.peak.expected),
                           context ? String(format: "%.3f", e.peak.score) : String(format: "%+.1fσ", e.peak.score), e.peak.severity.rawValue])
                }
                print(t.rendered)
                print("\(r.alerts.count) alert\(r.alerts.count == 1 ? "" : "s") (\(r.alerts.filter { $0.peak.severity == .critical }.count) critical)")
                if let s = r.score {
                    print("NAB: windows detected \(s.standard.windowsDetected) of \(s.standard.windowsDetected + s.standard.windowsMissed), "
                          + "false-positive episodes \(s.falsePositiveEpisodes); raw score "
                          + s.scores.map { "\($0.profile) \(String(format: "%.3f", $0.raw))" }.joined(separator: ", "))
                }
                if results.count > 1 { print() }
            }
            printCost(results)
            return
        }
        print("\(results.count) files, \(describe(settings, results[0].detector)); NAB raw scores per file, normalised total")
        var t = TextTable(["file", "alerts", "windows found", "FP episodes"] + NABProfile.all.map(\.name))
        for r in results {
            let s = r.score!
            t.add([(r.file as NSString).lastPathComponent, String(r.alerts.count),
                   "\(s.standard.windowsDetected)/\(s.standard.windowsDetected + s.standard.windowsMissed)", String(s.falsePositiveEpisodes)]
                  + s.scores.map { String(format: "%.3f", $0.raw) })
        }
        let totals = NABProfile.all.indices.map { k in NABScore.total(results.map { $0.score!.scores[k] }) }
        t.add(["total (normalised)", String(results.map(\.alerts.count).reduce(0, +)),
               "\(totals[0].windowsDetected)/\(totals[0].windowsDetected + totals[0].windowsMissed)",
               String(results.map { $0.score!.falsePositiveEpisodes }.reduce(0, +))]
              + totals.map { t in t.normalized.map { String(format: "%.1f", $0) } ?? "–" })
        print(t.rendered)
        printCost(results)
    }

    func printCSV(_ results: [FileResult]) {
        print("file,alert,start,end,points,peak_value,expected,score,severity")
        for r in results {
            for e in r.alerts {
                print([csvField(r.file), Self.timestamp(e.alarmTime!), Self.timestamp(e.start), Self.timestamp(e.end), String(e.count),
                       "\(e.peak.value)", e.peak.expected.isNaN ? "" : "\(e.peak.expected)", String(format: "%.4f", e.peak.score), e.peak.severity.rawValue].joined(separator: ","))
            }
        }
    }

    func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    struct JSONOutput: Encodable {
        struct Alert: Encodable { var alert, start, end: String; var points: Int; var peakValue: Double; var expected: Double?; var score: Double; var severity: String }
        struct Score: Encodable {
            var profile: String; var raw, null, perfect: Double; var normalized: Double?
            var windowsDetected, windowsMissed, alarmsInWindows, alarmsOutside: Int
        }
        struct File: Encodable { var file: String; var points: Int; var alerts: [Alert]; var falsePositiveEpisodes: Int?; var nab: [Score]? }
        var detector: [String: String]
        var files: [File]
        var total: [Score]?
    }

    func printJSON(_ results: [FileResult], settings s: Settings) throws {
        func encoded(_ n: NABScore) -> JSONOutput.Score {
            .init(profile: n.profile, raw: n.raw, null: n.null, perfect: n.perfect, normalized: n.normalized, windowsDetected: n.windowsDetected,
                  windowsMissed: n.windowsMissed, alarmsInWindows: n.alarmsInWindows, alarmsOutside: n.alarmsOutside)
        }
        let files = results.map { r in
            JSONOutput.File(file: r.file, points: r.points, alerts: r.alerts.map { e in
                .init(alert: Self.timestamp(e.alarmTime!), start: Self.timestamp(e.start), end: Self.timestamp(e.end), points: e.count,
                      peakValue: e.peak.value, expected: e.peak.expected.isNaN ? nil : e.peak.expected, score: e.peak.score, severity: e.peak.severity.rawValue)
            }, falsePositiveEpisodes: r.score?.falsePositiveEpisodes, nab: r.score?.scores.map(encoded))
        }
        let total = score == nil ? nil : NABProfile.all.indices.map { k in encoded(NABScore.total(results.map { $0.score!.scores[k] })) }
        let detector = ["method": s.method.rawValue, "kind": s.kind.rawValue, "threshold": "\(results.first?.detector.threshold ?? 0)",
                        "baseline": "\(s.baseline)", "persistence": "\(s.persistence)", "cooldown": s.cooldown.description,
                        "online": "\(s.online)", "spatialTolerance": s.spatialTolerance.map { "\($0)" } ?? "none"]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(decoding: try encoder.encode(JSONOutput(detector: detector, files: files, total: total)), as: UTF8.self))
    }

    static func timestamp(_ t: Double) -> String {
        let f = DateFormatter()
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return f.string(from: Date(timeIntervalSince1970: t))
    }
}
