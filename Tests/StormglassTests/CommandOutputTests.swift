import Foundation
import GRDB
import Testing

/// Each command run as a user runs it (the built executable), checked on what it prints or writes,
/// against figures computed here independently where one exists.
@Suite(.serialized) struct CommandOutputTests {
    /// Cells of the table row whose first cell is `first`.
    func row(_ output: CommandOutput, _ first: String) -> [String]? {
        output.lines.first { $0.hasPrefix(first + " ") }?.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
    }

    @Test func compareShowsOneRowPerPolicyWithTheRecordedFigures() throws {
        let db = temporaryDirectory() + "/c.sqlite"
        let out = try stormglassProcess(["compare", "node-crash", "--policy", "fixed", "--policy", "hpa", "--duration", "45m", "--db", db, "--quiet"])
        #expect(out.code == 0, "\(out.stderr)")
        #expect(out.stdout.contains("node-crash: 2 policies × 1 seed (1…1), 45m each"))
        let fixed = try #require(row(out, "fixed")), hpa = try #require(row(out, "hpa"))
        #expect(fixed[fixed.count - 2] == "0.00", "a fixed policy never scales: \(fixed)")
        // SLO-violation minutes per policy from the raw samples (the Definitions article's definition, written here).
        let sql = """
            SELECT r.label, SUM(CASE WHEN ss.p95 > sv.slo_p95_seconds OR ss.error_rate > sv.slo_error_rate THEN ss.interval ELSE 0 END) / 60.0
            FROM runs r JOIN service_samples ss ON ss.run_id = r.id JOIN services sv ON sv.run_id = r.id AND sv.service = ss.service
            GROUP BY r.label
            """
        let minutes = try DatabaseQueue(path: db).read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: sql).map { ($0[0] as String, $0[1] as Double) })
        }
        #expect(fixed[1] == String(format: "%.2f", minutes["fixed"] ?? -1))
        #expect(hpa[1] == String(format: "%.2f", minutes["hpa"] ?? -1))
        let bad = try stormglassProcess(["compare", "node-crash", "--policy", "nosuch", "--db", db])
        #expect(bad.code == 2 && bad.stderr.contains("unknown policy \"nosuch\"") && bad.stderr.contains("hpa"))
    }

    @Test func planFindsTheBoundaryItsOwnProbesShow() throws {
        let db = temporaryDirectory() + "/p.sqlite"
        let out = try stormglassProcess(["plan", "node-crash", "--find", "api.replicas", "--meet", "availability >= 99.95%",
                                         "--range", "4...24", "--replications", "1", "--duration", "45m", "--db", db, "--quiet"])
        #expect(out.code == 0, "\(out.stderr)")
        let answerLine = try #require(out.lines.first { $0.hasPrefix("smallest api.replicas that meets") })
        let answer = try #require(Int(answerLine.split(separator: " ").last!))
        // Every probe line: "  api.replicas = N: availability = X → meets|misses".
        var probes: [Int: Bool] = [:]
        for line in out.lines where line.hasPrefix("  api.replicas = ") {
            let n = Int(line.dropFirst(17).prefix { $0.isNumber })!
            probes[n] = line.hasSuffix("meets")
        }
        #expect(probes[answer] == true, "the answer was probed and met the goal: \(out.stdout)")
        #expect(probes.allSatisfy { $0.key >= answer ? $0.value : !$0.value }, "probes disagree with the answer: \(probes)")
        #expect(answer > 4 && answer <= 24)
        let none = try stormglassProcess(["plan", "node-crash", "--find", "api.replicas", "--meet", "availability >= 99.95%",
                                          "--replications", "0", "--db", db])
        #expect(none.code == 2)
    }

    @Test func reportWritesOneDocumentPerIncidentNamingTheFault() throws {
        let dir = temporaryDirectory()
        let db = dir + "/r.sqlite"
        #expect(try stormglassProcess(["run", "node-crash", "--duration", "45m", "--db", db, "--quiet"]).code == 0)
        let out = try stormglassProcess(["report", db, "-o", dir + "/reports"])
        #expect(out.code == 0, "\(out.stderr)")
        let files = out.lines.filter { !$0.isEmpty }
        #expect(!files.isEmpty && files.allSatisfy { $0.hasPrefix(dir + "/reports/run1-INC-") && $0.hasSuffix(".md") })
        let incidents = try DatabaseQueue(path: db).read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM events WHERE kind = 'incident-open'") }
        #expect(files.count == incidents)
        let md = try String(contentsOfFile: files[0], encoding: .utf8)
        for section in ["## Summary", "## Timeline", "## Impact", "## What the control plane did", "## Recommendations"] {
            #expect(md.contains(section), "missing \(section)")
        }
        #expect(md.contains("injected fault **crash**"))
        #expect(md.contains("| 00:30:00 | fault-start crash |"))
        // The summary counts what the impact table counts, each kind named as the table names it.
        let lines = md.components(separatedBy: "\n")
        let header = try #require(lines.firstIndex { $0.hasPrefix("| service | failed | rejected | timed out |") })
        let rows = lines[(header + 2)...].prefix { $0.hasPrefix("| ") }.map { $0.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) } }
        let (failed, rejected, timedOut) = rows.reduce((0, 0, 0)) { ($0.0 + Int($1[1])!, $0.1 + Int($1[2])!, $0.2 + Int($1[3])!) }
        #expect(md.contains("It cost \(failed + rejected + timedOut) requests (\(failed) failed, \(rejected) rejected, \(timedOut) timed out)"), "\(md)")
        let none = try stormglassProcess(["report", db, "--run", "99"])
        #expect(none.code == 2 || none.stdout.contains("no incidents"))
    }

    @Test func aRunShorterThanItsScenarioLeavesOutTheFaultsAfterItsEndAndSaysSo() throws {
        let db = temporaryDirectory() + "/short.sqlite"
        for args in [["--duration", "10m"], ["--set", "duration=10m"]] {
            let out = try stormglassProcess(["run", "node-crash"] + args + ["--db", db, "--quiet"])
            #expect(out.code == 0, "\(out.stderr)")
            #expect(out.stderr.contains("note: fault crash starts at 30m, after the run's end (10m): not injected"), "\(out.stderr)")
        }
        // Nothing was injected: no fault in the recorded timeline.
        let faults = try DatabaseQueue(path: db).read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM events WHERE kind LIKE 'fault%'") }
        #expect(faults == 0)
        // Long enough to include it: no note, and the fault happened.
        let long = try stormglassProcess(["run", "node-crash", "--duration", "35m", "--db", db, "--quiet"])
        #expect(long.code == 0 && !long.stderr.contains("not injected"))
        let after = try DatabaseQueue(path: db).read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM events WHERE kind = 'fault-start'") }
        #expect(after == 1)
    }

    @Test func plotWritesPicturesOfEveryKind() throws {
        let dir = temporaryDirectory()
        let db = dir + "/p.sqlite"
        #expect(try stormglassProcess(["run", "latency-injection", "--duration", "90m", "--db", db, "--quiet"]).code == 0)
        let out = try stormglassProcess(["plot", db, "--plots-dir", dir + "/charts"])
        guard !out.stderr.contains("gnuplot is not installed") else { return }
        #expect(out.code == 0, "\(out.stderr)")
        let files = out.lines.filter { !$0.isEmpty }
        for service in ["checkout", "payments"] {
            for kind in ["load", "latency", "errors", "queue", "prediction"] {
                #expect(files.contains(dir + "/charts/run1-\(service)-\(kind).png"), "no \(service) \(kind) chart")
            }
        }
        #expect(files.contains(dir + "/charts/run1-accuracy.png"))
        for f in files {
            let data = try #require(FileManager.default.contents(atPath: f))
            #expect(data.count > 5_000 && data.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]), "\(f) is not a PNG picture")
        }
    }

    @Test func forecastScoresSeasonalNaiveAsComputedHere() throws {
        let csv = trace("art_daily_small_noise.csv")
        let out = try stormglassProcess(["forecast", "--csv", csv, "--horizon", "30m", "--model", "all"])
        #expect(out.code == 0, "\(out.stderr)")
        // Seasonal-naive forecasts y(t + h) with y(t + h − 1 day); scored on every origin from 2 days in.
        let values = try String(contentsOfFile: csv, encoding: .utf8).components(separatedBy: "\n").dropFirst()
            .compactMap { $0.split(separator: ",").last.flatMap { Double($0) } }
        let season = 288, h = 6, warm = 576
        var ape = 0.0, n = 0
        for origin in warm..<(values.count - h) where values[origin + h] != 0 {
            ape += abs(values[origin + h] - values[origin + h - season]) / abs(values[origin + h]); n += 1
        }
        let naive = try #require(row(out, "seasonal-naive"))
        #expect(naive[2] == String(n), "forecast count \(naive[2]) vs \(n)")
        #expect(naive[4] == String(format: "%.1f%%", ape / Double(n) * 100), "MAPE \(naive[4])")
        for model in ["auto", "linear", "holt-winters", "seasonal", "ewma"] { #expect(row(out, model) != nil, "no \(model) row") }
        let auto = try #require(row(out, "auto"))
        #expect(Double(auto[6])! < 1, "auto beats seasonal-naive on a smooth daily series (MASE < 1)")
    }

    @Test func detectFindsAPlantedSpikeAndCountsWhatItLists() throws {
        let dir = temporaryDirectory()
        // Two days of a 5-minute daily cycle with one planted spike at day 2, 12:00.
        var csv = "timestamp,value\n"
        let start = 1_700_000_000.0 - 1_700_000_000.0.truncatingRemainder(dividingBy: 86_400)
        for i in 0..<(3 * 288) {
            let t = start + Double(i) * 300
            var v = 100 + 30 * sin(2 * .pi * Double(i % 288) / 288) + Double((i * 7919) % 13) / 13
            if i == 2 * 288 + 144 { v *= 4 }
            csv += "\(Int(t)),\(v)\n"
        }
        try csv.write(toFile: dir + "/s.csv", atomically: false, encoding: .utf8)
        let out = try stormglassProcess(["detect", "--csv", dir + "/s.csv", "--method", "seasonal", "--baseline", "60", "--persistence", "1", "--cooldown", "0s"])
        #expect(out.code == 0, "\(out.stderr)")
        let spike = ISO8601DateFormatter.string(from: Date(timeIntervalSince1970: start + Double(2 * 288 + 144) * 300),
                                                timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withFullDate])
        let spikeRows = out.lines.filter { $0.hasPrefix(spike + " 12:00:00") }
        #expect(spikeRows.count == 1 && spikeRows[0].hasSuffix("critical"), "the spike is found: \(out.stdout)")
        let summary = try #require(out.lines.first { $0.contains(" alert") && $0.contains("critical)") })
        let listed = out.lines.filter { $0.hasSuffix("warning") || $0.hasSuffix("critical") }
        #expect(summary.hasPrefix("\(listed.count) alert"))
        #expect(summary.contains("(\(listed.filter { $0.hasSuffix("critical") }.count) critical)"))
    }

    @Test func benchPrintsOneNamedFigureWithItsUnitPerLine() throws {
        let out = try stormglassProcess(["bench", "--only", "autoscaler", "--only", "predictor"])
        #expect(out.code == 0)
        let lines = out.lines.filter { !$0.isEmpty }
        let names = ["autoscaler_hpa_decide_us", "autoscaler_predictive_decide_us", "predictor_auto_update_and_forecast_us"]
        for name in names { #expect(lines.contains { $0.hasPrefix(name + ": ") }, "no \(name) in \(out.stdout)") }
        for line in lines {
            let parts = line.split(separator: " ")
            #expect(parts.count == 3 && parts[0].hasSuffix(":") && (Double(parts[1]) ?? -1) > 0 && parts[2] == "µs", "\(line)")
        }
    }

    @Test func scaleBenchPrintsEachShapeAndItsShareOfTheSingleServiceSpeed() throws {
        // Half a simulated minute per shape, one round: the figures mean nothing, the lines must be
        // all there (and with one round, each share is the ratio of the two rates printed).
        let out = try stormglassProcess(["bench", "--only", "scale"], environment: ["STORMGLASS_BENCH_MINUTES": "0.5", "STORMGLASS_BENCH_REPEATS": "1"])
        #expect(out.code == 0, "\(out.stderr)")
        var rates: [String: Double] = [:], shares: [String: Double] = [:]
        for line in out.lines where !line.isEmpty {
            let parts = line.split(separator: " ")
            #expect(parts.count == 3, "\(line)")
            guard parts.count == 3, let v = Double(parts[1]) else { continue }
            let name = String(parts[0].dropLast())
            if parts[2] == "events/s" { rates[name] = v } else if parts[2] == "%" { shares[name] = v }
        }
        let shapes = ["single", "200_services", "800_replicas", "1000_services_depth_4"]
        for s in shapes { #expect((rates["scale_\(s)_events_per_second"] ?? 0) > 0, "no rate for \(s) in \(out.stdout)") }
        for s in shapes.dropFirst() {
            let share = shares["scale_\(s)_vs_single_percent"] ?? -1
            let expected = (rates["scale_\(s)_events_per_second"] ?? 0) / (rates["scale_single_events_per_second"] ?? 1) * 100
            // Printed to 3 significant digits.
            #expect(abs(share - expected) <= 0.01 * expected, "\(s): \(share) % printed, \(expected) % from the rates")
        }
    }

    @Test func listShowAndExportPrintWhatTheDatabaseHolds() throws {
        let list = try stormglassProcess(["list"])
        for name in ["steady-day", "black-friday", "node-crash", "latency-injection", "claims-backlog"] {
            #expect(list.lines.contains { $0.hasPrefix(name + " ") }, "list lacks \(name)")
        }
        let params = try stormglassProcess(["list", "--parameters", "node-crash"])
        #expect(params.lines.contains { $0.hasPrefix("api.replicas ") && $0.contains(" 16 ") })
        #expect(params.lines.contains { $0.hasPrefix("general.count ") && $0.contains(" 4 ") })
        // A mean from a second up is shown to the millisecond (92.196s, not 92.196110088s).
        let means = params.lines.filter { $0.contains(".mean ") }.map { $0.split(separator: " ")[1] }
        #expect(means.count >= 3)
        for value in means where value.hasSuffix("s") && !value.hasSuffix("ms") {
            #expect(value.split(separator: ".").last.map { $0.count <= 4 } ?? true, "\(value)")
        }

        let dir = temporaryDirectory()
        let db = dir + "/s.sqlite"
        #expect(try stormglassProcess(["run", "node-crash", "--duration", "35m", "--db", db, "--quiet"]).code == 0)
        let show = try stormglassProcess(["show", db])
        #expect(show.stdout.hasPrefix("run 1: node-crash, seed 1, finished"))
        // The requests column equals the samples' sum of finished requests (the Definitions article's denominator).
        let requests = try DatabaseQueue(path: db).read {
            try Int.fetchOne($0, sql: "SELECT SUM(completed + failed + rejected + timed_out) FROM service_samples")
        }
        let api = try #require(row(show, "api"))
        #expect(api[1] == String(requests ?? -1))
        #expect(show.stdout.contains("crash     30m"), "the fault table lists the crash at 30m: \(show.stdout)")
        // Mean queue wait: the scrapes' means weighted by the requests that started service (the Definitions article).
        let wait = try DatabaseQueue(path: db).read {
            try Double.fetchOne($0, sql: "SELECT SUM(mean_queue_wait * started) / SUM(started) FROM service_samples WHERE service = 'api'")
        }
        #expect(show.lines.first?.contains("mean queue wait") == false && show.stdout.contains("mean queue wait"))
        #expect(api.count > 10 && api[9] == String(format: "%.1f", (wait ?? -1) * 1000) && api[10] == "ms", "\(api)")

        let export = try stormglassProcess(["export", db, "--csv", "--table", "events"])
        let lines = export.lines.filter { !$0.isEmpty }
        #expect(lines.first == "run_id,t,kind,subject,detail")
        let events = try DatabaseQueue(path: db).read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM events") }
        #expect(lines.count - 1 == events)
        #expect(lines.contains { $0.hasPrefix("1,1800.0,fault-start,crash,") })
        // CSV is the format: --csv may be left out.
        let plain = try stormglassProcess(["export", db, "--table", "events"])
        #expect(plain.code == 0 && plain.stdout == export.stdout)

        let merged = try stormglassProcess(["merge", db, db.replacingOccurrences(of: "s.sqlite", with: "s.sqlite"), "-o", dir + "/m.sqlite"])
        #expect(merged.code == 0 && merged.stdout.contains("merged 2 runs from 2 databases into \(dir)/m.sqlite"))
    }
}
