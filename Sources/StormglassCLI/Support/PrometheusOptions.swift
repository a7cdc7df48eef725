import ArgumentParser
import ClusterModel
import Foundation
import LiveMetrics

/// `--prometheus URL` and how to reach it: credentials from files or the environment (never from an
/// option's value), a timeout and retries. Shared by the commands that read traces and by live sessions.
struct PrometheusServerOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A Prometheus server, e.g. http://127.0.0.1:9090.", valueName: "url"))
    var prometheus: String?

    @Option(name: .customLong("prometheus-token-file"), help: ArgumentHelp("A file holding a bearer token (or set \(PrometheusCredentials.tokenVariable)).", valueName: "file"))
    var tokenFile: String?

    @Option(name: .customLong("prometheus-user"), help: ArgumentHelp("A basic-auth user; the password from --prometheus-password-file or \(PrometheusCredentials.passwordVariable).", valueName: "name"))
    var user: String?

    @Option(name: .customLong("prometheus-password-file"), help: ArgumentHelp("A file holding the basic-auth password.", valueName: "file"))
    var passwordFile: String?

    @Option(name: .customLong("prometheus-timeout"), help: ArgumentHelp("The most one request may take (retried after a pause while the server is unreachable, slow or overloaded; default 30s, 5s in a live session).", valueName: "duration"))
    var timeout: String?

    @Option(name: .customLong("prometheus-retries"), help: "Further attempts after an unreachable, slow or overloaded server (default 3, 1 in a live session).")
    var retries: Int?

    /// Whether an option that needs --prometheus was given without it.
    var givenWithoutServer: Bool { prometheus == nil && (tokenFile != nil || user != nil || passwordFile != nil || timeout != nil || retries != nil) }

    /// The client's settings; problems are appended to `problems`. nil without --prometheus.
    /// - Parameter recorded: the server to use when --prometheus is not given (a resumed session's).
    func configuration(defaultTimeout: Double = 30, defaultRetries: Int = 3, recorded: String? = nil, problems: inout [String]) -> PrometheusClient.Configuration? {
        guard let prometheus = prometheus ?? recorded else { return nil }
        var credentials: PrometheusCredentials?
        do { credentials = try PrometheusCredentials.resolve(tokenFile: tokenFile, user: user, passwordFile: passwordFile) }
        catch let e as CredentialsError { problems += e.problems }
        catch { problems.append("\(error)") }
        var configuration = PrometheusClient.Configuration(baseURL: prometheus, credentials: credentials, timeout: defaultTimeout, retries: defaultRetries)
        if let timeout {
            if let t = QueryTime.parseDuration(timeout) { configuration.timeout = t } else { problems.append("--prometheus-timeout \(timeout): not a duration (try 30s)") }
        }
        if let retries { configuration.retries = retries }
        let before = problems.count
        problems += configuration.problems
        return problems.count == before ? configuration : nil
    }
}

/// `--prometheus URL --from T --to T --step D`: where a `promql:QUERY` trace is read from, wherever a
/// trace file is accepted. Secrets come from files or the environment, never from these options.
struct PrometheusOptions: ParsableArguments {
    @OptionGroup var server: PrometheusServerOptions

    @Option(help: ArgumentHelp("Start of a promql: trace: RFC 3339, seconds since 1970, or now-6h.", valueName: "time"))
    var from: String?

    @Option(help: ArgumentHelp("End of a promql: trace (default: now, less one step: the newest scrape may be incomplete).", valueName: "time"))
    var to: String = "now"

    @Option(help: ArgumentHelp("Resolution of a promql: trace, e.g. 15s.", valueName: "duration"))
    var step: String = "15s"

    /// The range and client settings, or every problem with them at once; nil without --prometheus.
    func settings(now: Double = Date().timeIntervalSince1970) throws -> (PrometheusClient.Configuration, QueryRange)? {
        guard server.prometheus != nil else {
            if from != nil || to != "now" || step != "15s" || server.givenWithoutServer {
                throw InputError("--from, --to, --step and the --prometheus-… options read promql: traces: add --prometheus URL")
            }
            return nil
        }
        var problems: [String] = []
        let configuration = server.configuration(problems: &problems)
        let stepSeconds = QueryTime.parseDuration(step)
        if stepSeconds == nil { problems.append("--step \(step): not a duration (try 15s, 1m)") }
        let start = from.flatMap { QueryTime.parse($0, now: now) }
        if from == nil { problems.append("--prometheus needs --from: where the promql: traces start (e.g. now-6h, or 2026-12-01T00:00:00Z)") }
        else if start == nil { problems.append("--from \(from!): not a time (RFC 3339, seconds since 1970, now or now-6h)") }
        let end = QueryTime.parse(to, now: now)
        if end == nil { problems.append("--to \(to): not a time (RFC 3339, seconds since 1970, now or now-6h)") }
        var range: QueryRange?
        if let start, let end, let stepSeconds {
            do {
                // The newest scrape may still be arriving: the range ends one step before now.
                range = try QueryRange(from: start, to: end, step: stepSeconds, now: now, lag: stepSeconds)
            } catch let e as RangeError { problems.append("--from \(from!) --to \(to) --step \(step): \(e)") }
        }
        guard problems.isEmpty, let range, let configuration else { throw InputError(problems.joined(separator: "\n")) }
        return (configuration, range)
    }

    /// Installs the reader of `promql:` traces for this command; what was read is noted in `parameters`.
    func install(parameters: inout [String: String]) throws {
        guard let (configuration, range) = try settings() else { return }
        RemoteTraces.install(PrometheusTraceReader(configuration: configuration, range: range).read)
        parameters["prometheus"] = configuration.baseURL
        parameters["prometheus.range"] = "\(QueryTime.format(range.start))..\(QueryTime.format(range.end)) step \(step)"
    }

    func install() throws {
        var ignored: [String: String] = [:]
        try install(parameters: &ignored)
    }
}

/// Reads each query once (a command may load the same trace twice) and says when a series stops early.
final class PrometheusTraceReader: @unchecked Sendable {
    let configuration: PrometheusClient.Configuration
    let range: QueryRange
    private let lock = NSLock()
    private var read: [String: MetricSeries] = [:]

    init(configuration: PrometheusClient.Configuration, range: QueryRange) { self.configuration = configuration; self.range = range }

    func read(_ query: String) throws -> MetricSeries {
        lock.lock(); defer { lock.unlock() }
        if let done = read[query] { return done }
        let (configuration, range) = (configuration, range)
        let series: MetricSeries
        do {
            series = try waitFor {
                let client = try PrometheusClient(configuration)
                do {
                    let s = try await client.range(query, over: range)
                    await client.shutdown()
                    return s
                } catch {
                    await client.shutdown()
                    throw error
                }
            }
        } catch let e as PrometheusError {
            throw TraceError(file: RemoteTraces.prefix + query, line: 0, problem: "Prometheus at \(e.server): \(e.problem)")
        }
        if let last = series.points.last, last.time < range.end - 5 * range.step {
            printError("note: promql:\(query): the series ends at \(QueryTime.format(last.time)), \(QueryTime.format(range.end)) was asked for (no samples since: a target gone, or a stale series)")
        }
        read[query] = series
        return series
    }
}
