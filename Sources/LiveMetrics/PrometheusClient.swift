import AsyncHTTPClient
import ClusterModel
import Foundation
import NIOCore
import NIOHTTP1
import SimulationKernel

/// A client of Prometheus's HTTP API (`/api/v1/query_range`, `/api/v1/query`).
///
/// Range queries are cut into pages of at most 11,000 instants (Prometheus's limit per series) and
/// read with the same parser as a file export, so a query and its export give the same samples. Each
/// request has a deadline; an unreachable, slow or overloaded server (connection errors, time-outs,
/// HTTP 429 and 5xx) is asked again after a growing pause; anything else fails at once, in words.
public final class PrometheusClient: Sendable {
    /// Where the server is and how to talk to it.
    public struct Configuration: Sendable {
        /// The server's base URL, e.g. `http://127.0.0.1:9090` (a path prefix such as `/prometheus` is kept).
        public var baseURL: String
        public var credentials: PrometheusCredentials?
        /// The most one request may take, in seconds.
        public var timeout: Double = 30
        /// Further attempts after a transient failure.
        public var retries: Int = 3
        /// The pause before the first retry; each later one doubles, up to `maximumBackoff`.
        public var backoff: Double = 0.5
        public var maximumBackoff: Double = 8
        /// The largest answer read, in bytes: more is refused before it is kept.
        public var maximumResponseBytes = 256 << 20

        public init(baseURL: String, credentials: PrometheusCredentials? = nil, timeout: Double = 30, retries: Int = 3, backoff: Double = 0.5) {
            self.baseURL = baseURL; self.credentials = credentials; self.timeout = timeout; self.retries = retries; self.backoff = backoff
        }

        /// Every problem with the settings, in words (empty when usable).
        public var problems: [String] {
            var p: [String] = []
            if let url = URL(string: baseURL), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host != nil,
               url.query == nil, url.fragment == nil {
            } else {
                p.append("--prometheus \(baseURL): expected an http:// or https:// URL such as http://127.0.0.1:9090")
            }
            if !(timeout.isFinite && timeout > 0 && timeout <= 3600) { p.append("--prometheus-timeout must be more than 0 and at most 1h") }
            if !(0...20).contains(retries) { p.append("--prometheus-retries must be 0…20") }
            return p
        }
    }

    public let configuration: Configuration
    private let http: HTTPClient
    private let base: String

    public init(_ configuration: Configuration) throws {
        let problems = configuration.problems
        guard problems.isEmpty else { throw CredentialsError(problems: problems) }
        self.configuration = configuration
        base = configuration.baseURL.hasSuffix("/") ? String(configuration.baseURL.dropLast()) : configuration.baseURL
        var http = HTTPClient.Configuration()
        http.timeout = .init(connect: .milliseconds(Int64(min(configuration.timeout, 10) * 1000)))
        http.redirectConfiguration = .disallow
        // Our own retries, with the backoff and the count the user set, say what failed; the pool's would
        // silently retry a refused connection until the connect timeout.
        http.connectionPool.retryConnectionEstablishment = false
        self.http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: http)
    }

    /// Closes the client's connections; call once, when done.
    public func shutdown() async { try? await http.shutdown() }

    // MARK: Range queries

    /// The series a query returns over a range, the series of several summed per instant.
    ///
    /// A page may fall in a gap; the whole range without a sample is an error.
    /// - Throws: ``PrometheusError`` in words; ``StopRequested`` after a stop request.
    public func range(_ query: String, over range: QueryRange) async throws -> MetricSeries {
        var points: [MetricSeries.Point] = []
        let pages = range.pages
        for (k, page) in pages.enumerated() {
            let body = try await get("/api/v1/query_range", query: query, parameters: [
                ("query", query), ("start", Self.number(page.start)), ("end", Self.number(page.end)), ("step", Self.number(page.step)),
            ])
            let origin = pages.count == 1 ? "promql:\(query)" : "promql:\(query) (page \(k + 1) of \(pages.count))"
            do {
                let series = try MetricSeries.parse(prometheusJSON: body, origin: origin, requireSamples: false)
                points += series.points
            } catch let e as TraceError {
                throw PrometheusError(server: base, query: query, problem: e.path.map { "at \($0): \(e.problem)" } ?? e.problem)
            }
        }
        if points.isEmpty {
            throw PrometheusError(server: base, query: query, problem: "no samples from \(QueryTime.format(range.start)) to \(QueryTime.format(range.end)) "
                                  + "(the query matched no series there: check its labels, and that the range is within retention)")
        }
        return MetricSeries(points: points, origin: "promql:\(query)")
    }

    // MARK: Instant queries

    /// One series of an instant query: its labels and its newest sample at or before the time asked.
    public struct Sample: Sendable, Equatable {
        public var labels: [String: String]
        /// When Prometheus has the sample (the evaluation time for most queries), seconds since 1970.
        public var time: Double
        /// The value as Prometheus wrote it: NaN and ±Inf are kept, not read as zero.
        public var value: Double
    }

    /// An instant query's answer: a vector of samples (a scalar answer is one sample with no labels).
    public func instant(_ query: String, at time: Double? = nil) async throws -> [Sample] {
        var parameters = [("query", query)]
        if let time { parameters.append(("time", Self.number(time))) }
        let body = try await get("/api/v1/query", query: query, parameters: parameters)
        do {
            let answer = try JSONDecoder().decode(InstantAnswer.self, from: body)
            guard answer.status == "success" else {
                throw PrometheusError(server: base, query: query, problem: "answered \"\(answer.status)\" (\(answer.errorType ?? "")\(answer.error.map { ": \($0)" } ?? ""))")
            }
            guard let data = answer.data else { throw PrometheusError(server: base, query: query, problem: "the answer has no data") }
            switch data.resultType {
            case "vector":
                return try data.vector().map { Sample(labels: $0.metric, time: $0.value.time, value: try $0.value.number(query: query, server: base)) }
            case "scalar":
                let v = try data.scalar()
                return [Sample(labels: [:], time: v.time, value: try v.number(query: query, server: base))]
            default:
                throw PrometheusError(server: base, query: query, problem: "the result is a \(data.resultType), expected a vector or scalar")
            }
        } catch let e as PrometheusError { throw e } catch {
            throw PrometheusError(server: base, query: query, problem: "the answer is not a Prometheus query result (\(error))")
        }
    }

    // MARK: Health

    /// Whether the server says it is ready to answer queries (`/-/ready`); one attempt, no retries.
    public func isReady() async -> Bool {
        var request = HTTPClientRequest(url: base + "/-/ready")
        request.headers.add(name: "User-Agent", value: "stormglass")
        if let credentials = configuration.credentials { request.headers.add(name: "Authorization", value: credentials.headerValue) }
        guard let response = try? await http.execute(request, timeout: .milliseconds(Int64(configuration.timeout * 1000))) else { return false }
        _ = try? await response.body.collect(upTo: 1 << 16)
        return response.status == .ok
    }

    // MARK: Requests

    /// A GET with the query's parameters, retried while the failure is transient; the body of a 200.
    func get(_ path: String, query: String, parameters: [(String, String)]) async throws -> Data {
        var attempt = 0
        while true {
            if StopRequest.isSet { throw StopRequested() }
            do {
                return try await getOnce(path, query: query, parameters: parameters)
            } catch let e as PrometheusError where e.isTransient && attempt < configuration.retries {
                let pause = min(configuration.maximumBackoff, configuration.backoff * pow(2, Double(attempt)))
                attempt += 1
                try await Self.sleep(pause)
            } catch var e as PrometheusError where e.isTransient {
                e.problem += attempt > 0 ? " (after \(attempt + 1) attempts)" : ""
                throw e
            }
        }
    }

    private func getOnce(_ path: String, query: String, parameters: [(String, String)]) async throws -> Data {
        var components = URLComponents()
        components.queryItems = parameters.map { URLQueryItem(name: $0.0, value: $0.1) }
        // URLComponents leaves '+' alone, which a server reads as a space.
        let encoded = (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
        var request = HTTPClientRequest(url: base + path + "?" + encoded)
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "stormglass")
        if let credentials = configuration.credentials { request.headers.add(name: "Authorization", value: credentials.headerValue) }
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await http.execute(request, timeout: .milliseconds(Int64(configuration.timeout * 1000)))
            body = try await response.body.collect(upTo: configuration.maximumResponseBytes)
        } catch let e as HTTPClientError where e == .deadlineExceeded || e == .readTimeout || e == .connectTimeout {
            throw PrometheusError(server: base, query: query, problem: "no answer within \(Self.seconds(configuration.timeout))", isTransient: true)
        } catch is NIOTooManyBytesError {
            throw PrometheusError(server: base, query: query, problem: "the answer is larger than \(configuration.maximumResponseBytes >> 20) MiB: "
                                  + "narrow the query (sum by (…)) or the range")
        } catch {
            throw PrometheusError(server: base, query: query, problem: "cannot reach the server (\(Self.reason(error)))", isTransient: true)
        }
        let data = Data(body.readableBytesView)
        guard response.status == .ok else {
            let code = response.status.code
            // 429 and 5xx are the server's state, not the query's: worth another try.
            let transient = code == 429 || code >= 500
            var problem = "HTTP \(code) \(response.status.reasonPhrase)"
            if let answer = try? JSONDecoder().decode(InstantAnswer.self, from: data), let error = answer.error {
                problem += ": " + (answer.errorType.map { "\($0): " } ?? "") + error
            } else if code == 401 || code == 403 {
                problem += ": the server wants credentials (--prometheus-token-file, or --prometheus-user with a password file)"
            } else if code == 404 {
                problem += ": no Prometheus API at \(base)\(path) (is the URL's path prefix right?)"
            }
            throw PrometheusError(server: base, query: query, problem: problem, isTransient: transient)
        }
        return data
    }

    private static func reason(_ error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused" }
        return text
    }

    static func sleep(_ seconds: Double) async throws {
        // In slices, so a stop request is seen while waiting.
        var left = seconds
        while left > 0 {
            if StopRequest.isSet { throw StopRequested() }
            let slice = min(left, 0.1)
            try await Task.sleep(nanoseconds: UInt64(slice * 1e9))
            left -= slice
        }
    }

    /// A time or step as Prometheus reads it: seconds, exactly.
    static func number(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(format: "%.3f", v)
    }

    /// A timeout in words: `5 s`, `2.5 s`.
    public static func seconds(_ s: Double) -> String { s == s.rounded() ? "\(Int(s)) s" : String(format: "%.1f s", s) }
}

/// The envelope of an instant query's answer (and of every error answer).
struct InstantAnswer: Decodable {
    var status: String
    var errorType: String?
    var error: String?
    var data: Payload?

    struct Payload: Decodable {
        var resultType: String
        var result: Result

        enum Result: Decodable {
            case vector([Series])
            case pair(Pair)
            case other

            init(from decoder: any Decoder) throws {
                let c = try decoder.singleValueContainer()
                if let v = try? c.decode([Series].self) { self = .vector(v) }
                else if let p = try? c.decode(Pair.self) { self = .pair(p) }
                else { self = .other }
            }
        }

        func vector() throws -> [Series] {
            guard case .vector(let v) = result else { throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "result is not a vector")) }
            return v
        }
        func scalar() throws -> Pair {
            guard case .pair(let p) = result else { throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "result is not a scalar")) }
            return p
        }
    }

    struct Series: Decodable {
        var metric: [String: String]
        var value: Pair
    }

    /// `[time, "value"]`.
    struct Pair: Decodable {
        var time: Double
        var text: String
        init(from decoder: any Decoder) throws {
            var c = try decoder.unkeyedContainer()
            time = try c.decode(Double.self)
            text = try c.decode(String.self)
        }
        func number(query: String, server: String) throws -> Double {
            // Prometheus writes NaN and ±Inf as words; each is kept as what it is.
            guard let v = Double(text) else {
                throw PrometheusError(server: server, query: query, problem: "the sample value \(text.debugDescription) is not a number")
            }
            return v
        }
    }
}
