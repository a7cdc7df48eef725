import ClusterModel
import Foundation
@testable import LiveMetrics
import Testbed
import Testing

/// The Prometheus reader against a real Prometheus (Debian's, started on a loopback port by the test and
/// stopped after it), backfilled with a shipped trace: the file is the independent truth.
@Suite("Reading traces from a real Prometheus")
struct PrometheusReaderTests {
    /// Three days of a shipped NAB trace, whose samples sit on multiples of 5 minutes.
    static func threeDays() throws -> MetricSeries {
        let series = try MetricSeries.load(trace("art_daily_jumpsup.csv"))
        return MetricSeries(points: Array(series.points.prefix(3 * 288)), origin: series.origin)
    }

    static func rfc3339(_ t: Double) -> String { QueryTime.format(t) }

    @Test func aBackfilledTraceReadsBackAsTheFileItCameFrom() async throws {
        let file = try Self.threeDays()
        let server = try await PrometheusServer.start(in: temporaryDirectory(), backfill: [
            BackfillSeries(name: "checkout_requests", labels: ["service": "checkout"], points: file.points),
            BackfillSeries(name: "checkout_requests", labels: ["service": "payments"], points: file.points.map { .init(time: $0.time, value: 2 * $0.value) }),
        ])
        defer { server.stop() }
        let client = try PrometheusClient(.init(baseURL: server.url))
        let first = file.points.first!.time, last = file.points.last!.time
        // At the trace's own step the query instants are the samples' own times.
        let sameStep = try QueryRange(from: first, to: last, step: 300, now: last + 3600, lag: 300)
        let read = try await client.range("checkout_requests{service=\"checkout\"}", over: sameStep)
        #expect(read.points.count == file.points.count)
        #expect(read.points.map(\.time) == file.points.map(\.time))
        #expect(read.points.map(\.value) == file.points.map(\.value))

        // At 15 s the range needs two requests (17,281 instants > 11,000): each sample is seen until the
        // next replaces it, with no instant dropped or repeated where the pages meet.
        let fine = try QueryRange(from: first, to: last, step: 15, now: last + 3600, lag: 15)
        #expect(fine.pages.count == 2)
        let dense = try await client.range("checkout_requests{service=\"checkout\"}", over: fine)
        #expect(dense.points.count == fine.count)
        #expect(zip(dense.points, dense.points.dropFirst()).allSatisfy { $1.time - $0.time == 15 })
        #expect(dense.points.filter { $0.time.truncatingRemainder(dividingBy: 300) == 0 }.map(\.value) == file.points.map(\.value))

        // Several series: summed per instant, as a file export of the same query would be.
        let both = try await client.range("checkout_requests", over: sameStep)
        #expect(both.points.map(\.value) == file.points.map { $0.value + 2 * $0.value })

        // Instant queries: the newest sample at the time asked, labels kept.
        let instant = try await client.instant("checkout_requests", at: file.points[10].time + 60)
        #expect(Set(instant.map { $0.labels["service"] ?? "" }) == ["checkout", "payments"])
        #expect(instant.first { $0.labels["service"] == "checkout" }?.value == file.points[10].value)
        #expect(try await client.instant("scalar(vector(1)) / 0").first?.value == .infinity)
        await client.shutdown()

        // The command line: the same forecast table from the file and from Prometheus.
        let cut = temporaryDirectory() + "/three-days.csv"
        try ("timestamp,value\n" + file.points.map { "\(Int($0.time)),\($0.value)" }.joined(separator: "\n") + "\n").write(toFile: cut, atomically: false, encoding: .utf8)
        let fileRun = try stormglassProcess(["forecast", "--csv", cut, "--model", "seasonal-naive", "--warmup", "1d"])
        let promRun = try stormglassProcess(["forecast", "--prometheus", server.url, "--csv", "promql:checkout_requests{service=\"checkout\"}",
                                             "--from", Self.rfc3339(first), "--to", Self.rfc3339(last), "--step", "5m",
                                             "--model", "seasonal-naive", "--warmup", "1d"])
        #expect(fileRun.code == 0 && promRun.code == 0, "\(fileRun.stderr) \(promRun.stderr)")
        let table = { (o: CommandOutput) in o.lines.dropFirst().filter { !$0.hasPrefix("time:") } }
        #expect(table(promRun) == table(fileRun))
        #expect(promRun.lines.first?.hasPrefix("promql:checkout_requests{service=\"checkout\"}: 864 points every 5m") == true)
    }

    @Test func theServersRefusalsAreSaidInWordsWithTheQuery() async throws {
        let file = try Self.threeDays()
        let server = try await PrometheusServer.start(in: temporaryDirectory(), backfill: [BackfillSeries(name: "requests", points: file.points)])
        defer { server.stop() }
        let first = file.points.first!.time, last = file.points.last!.time
        let range = try QueryRange(from: first, to: last, step: 300, now: last + 3600, lag: 300)
        let client = try PrometheusClient(.init(baseURL: server.url, retries: 0))
        await #expect(throws: PrometheusError.self) { _ = try await client.range("requests{", over: range) }
        do { _ = try await client.range("requests{", over: range) } catch let e as PrometheusError {
            #expect(e.description.contains("HTTP 400") && e.description.contains("bad_data") && e.description.contains("requests{"))
            #expect(!e.isTransient)
        }
        do { _ = try await client.range("no_such_metric", over: range) } catch let e as PrometheusError {
            #expect(e.problem.contains("no samples") && e.query == "no_such_metric")
        }
        // A range query whose result is not a matrix cannot be a trace: Prometheus itself refuses it.
        do { _ = try await client.range("\"text\"", over: range) } catch let e as PrometheusError {
            #expect(e.problem.contains("HTTP 400"))
        }
        await client.shutdown()
        let wrongPath = try PrometheusClient(.init(baseURL: server.url + "/prometheus", retries: 0))
        do { _ = try await wrongPath.range("requests", over: range) } catch let e as PrometheusError {
            #expect(e.problem.contains("HTTP 404") && e.problem.contains("path prefix"))
        }
        await wrongPath.shutdown()

        // Through the command line: exit 2, the query and the server named, nothing else printed.
        let out = try stormglassProcess(["detect", "--prometheus", server.url, "--csv", "promql:rate(requests[5m]", "--from", Self.rfc3339(first), "--to", Self.rfc3339(last)])
        #expect(out.code == 2)
        #expect(out.stderr.contains("promql:rate(requests[5m]") && out.stderr.contains(server.url) && out.stderr.contains("HTTP 400"))
        #expect(out.stdout.isEmpty)
    }

    @Test func anUnreachableOrSilentServerIsRetriedThenNamed() async throws {
        // Nothing listens on this port: refused at once, retried with backoff, then said.
        let port = try LoopbackPort.free()
        let range = try QueryRange(from: 0, to: 3600, step: 60, now: 7200, lag: 60)
        let refused = try PrometheusClient(.init(baseURL: "http://127.0.0.1:\(port)", retries: 2, backoff: 0.05))
        do { _ = try await refused.range("up", over: range); Issue.record("no error") } catch let e as PrometheusError {
            #expect(e.problem.contains("connection refused") && e.problem.contains("after 3 attempts"), "\(e)")
            #expect(e.isTransient)
        }
        await refused.shutdown()

        // A socket that accepts connections and never answers: the request's time limit, then said.
        let silent = try LoopbackSocket(listening: true)
        let slow = try PrometheusClient(.init(baseURL: "http://127.0.0.1:\(silent.port)", timeout: 0.5, retries: 1, backoff: 0.05))
        do { _ = try await slow.range("up", over: range); Issue.record("no error") } catch let e as PrometheusError {
            #expect(e.problem.contains("no answer within") && e.problem.contains("after 2 attempts"), "\(e)")
        }
        await slow.shutdown()
        silent.close()
    }

    @Test func credentialsComeFromFilesOrTheEnvironmentAndBecomeTheStandardHeader() throws {
        let dir = temporaryDirectory()
        try "Aladdin-token\n".write(toFile: dir + "/token", atomically: false, encoding: .utf8)
        try "open sesame\n".write(toFile: dir + "/password", atomically: false, encoding: .utf8)
        #expect(try PrometheusCredentials.resolve(tokenFile: dir + "/token", user: nil, passwordFile: nil, environment: [:]) == .bearer(token: "Aladdin-token"))
        // RFC 7617's own example of the Basic scheme.
        let basic = try PrometheusCredentials.resolve(tokenFile: nil, user: "Aladdin", passwordFile: dir + "/password", environment: [:])
        #expect(basic?.headerValue == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
        #expect(try PrometheusCredentials.resolve(tokenFile: nil, user: nil, passwordFile: nil,
                                                  environment: [PrometheusCredentials.tokenVariable: "t0k"])?.headerValue == "Bearer t0k")
        #expect(try PrometheusCredentials.resolve(tokenFile: nil, user: nil, passwordFile: nil, environment: [:]) == nil)
        // Every problem at once.
        do {
            _ = try PrometheusCredentials.resolve(tokenFile: dir + "/missing", user: "a:b", passwordFile: nil,
                                                  environment: [PrometheusCredentials.passwordVariable: "x\ny"])
            Issue.record("no error")
        } catch let e as CredentialsError {
            #expect(e.problems.count == 4, "\(e.problems)")
            #expect(e.description.contains("no such file") && e.description.contains("a user name cannot") && e.description.contains("line break") && e.description.contains("not both"))
        }
        // The command line has no option that takes a secret itself.
        let help = try stormglassProcess(["forecast", "--help"])
        #expect(help.stdout.contains("--prometheus-token-file") && !help.stdout.contains("--prometheus-token ") && !help.stdout.contains("--prometheus-password "))
    }

    @Test func rangesSitOnMultiplesOfTheStepLagTheNewestScrapeAndSplitInto11000PointPages() throws {
        let r = try QueryRange(from: 1_000_007, to: 2_000_000, step: 15, now: 1_999_990, lag: 15)
        #expect(r.start == 1_000_020 && r.start.truncatingRemainder(dividingBy: 15) == 0)
        // Ends one step before now, on a multiple of the step.
        #expect(r.end == 1_999_965)
        let pages = r.pages
        #expect(pages.allSatisfy { $0.count <= 11_000 })
        #expect(pages.map(\.count).reduce(0, +) == r.count)
        #expect(zip(pages, pages.dropFirst()).allSatisfy { $1.start == $0.end + 15 })
        #expect(throws: RangeError.self) { try QueryRange(from: 100, to: 50, step: 15, now: 1000, lag: 15) }
        #expect(QueryTime.parse("now-6h", now: 100_000) == 78_400.0)
        #expect(QueryTime.parse("2026-12-06T00:00:00Z", now: 0) == 1_796_515_200)
    }
}
