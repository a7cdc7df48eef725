import AsyncHTTPClient
import Crypto
import Foundation
import LiveMetrics
import NIOCore

/// Asks for each change with a JSON POST signed with HMAC-SHA256, as GitHub signs its webhooks: the
/// receiver recomputes the signature over the raw body with the shared key and compares.
///
/// ```
/// POST /scale HTTP/1.1
/// Content-Type: application/json
/// X-Stormglass-Signature-256: sha256=<hex of HMAC-SHA256(key, body)>
///
/// {"action":"set-replicas","reason":"…","replicas":3,"service":"checkout","time":1796590815}
/// ```
///
/// The self-healer's replacement is `{"action":"replace-replica","reason":"…","replica":"checkout-7d9f-x2","service":…,"time":…}`.
/// `time` (Unix seconds) is inside the signed body, so a receiver can refuse a replayed request. Setting a
/// replica count is idempotent; a failed request is not retried here, the next poll decides again.
public final class WebhookActuator: Actuator, @unchecked Sendable {
    public static let signatureHeader = "X-Stormglass-Signature-256"
    /// Where the key comes from when no file is named.
    public static let secretVariable = "STORMGLASS_WEBHOOK_SECRET"

    public let url: String
    public let timeout: Double
    public var kind: String { "webhook" }
    private let key: SymmetricKey
    private let http: HTTPClient

    /// - Parameters:
    ///   - secretFile: the file holding the key; without it, ``secretVariable``.
    /// - Throws: every problem at once, as one ``LiveSessionError``.
    public init(url: String, secretFile: String?, timeout: Double = 10,
                environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        var problems: [String] = []
        let parts = URLComponents(string: url)
        if let parts, ["http", "https"].contains(parts.scheme?.lowercased() ?? ""), parts.host?.isEmpty == false {
            if parts.user != nil || parts.password != nil {
                problems.append("--webhook: a URL holding a user or password puts a secret on the command line; the key goes in --webhook-secret-file")
            }
        } else {
            problems.append("--webhook \(url): not an http:// or https:// URL with a host")
        }
        var secret: String?
        if let secretFile { secret = SecretFile.read(secretFile, what: "--webhook-secret-file", problems: &problems) }
        else if let s = environment[Self.secretVariable], !s.isEmpty { secret = s }
        else { problems.append("--webhook needs a key to sign with: --webhook-secret-file FILE or \(Self.secretVariable)") }
        if !(timeout.isFinite && timeout > 0 && timeout <= 600) { problems.append("--webhook-timeout must be more than 0 and at most 10m") }
        guard problems.isEmpty, let secret else { throw LiveSessionError(problems) }
        self.url = url; self.timeout = timeout
        key = SymmetricKey(data: Data(secret.utf8))
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow  // a redirect would send the signed request somewhere unnamed
        configuration.timeout = .init(connect: .milliseconds(Int64(min(timeout, 10) * 1000)))
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// The body for one change of count: keys sorted, so the same change signs the same way.
    public static func body(service: String, replicas: Int, reason: String, unixTime: Int) -> Data {
        body(["action": "set-replicas", "service": service, "replicas": replicas, "reason": reason, "time": unixTime])
    }

    /// The body for one replacement.
    public static func body(service: String, replacing replica: String, reason: String, unixTime: Int) -> Data {
        body(["action": "replace-replica", "service": service, "replica": replica, "reason": reason, "time": unixTime])
    }

    static func body(_ object: [String: Any]) -> Data {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }

    /// `sha256=` and the lower-case hex HMAC-SHA256 of `body`.
    public func signature(of body: Data) -> String {
        "sha256=" + HMAC<SHA256>.authenticationCode(for: body, using: key).map { String(format: "%02x", $0) }.joined()
    }

    public func apply(service: String, replicas: Int, reason: String) async -> (done: Bool, detail: String) {
        await post(Self.body(service: service, replicas: replicas, reason: reason, unixTime: Int(Date().timeIntervalSince1970)))
    }

    public func replace(service: String, replica: String, reason: String) async -> (done: Bool, detail: String) {
        await post(Self.body(service: service, replacing: replica, reason: reason, unixTime: Int(Date().timeIntervalSince1970)))
    }

    func post(_ body: Data) async -> (done: Bool, detail: String) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "stormglass")
        request.headers.add(name: Self.signatureHeader, value: signature(of: body))
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await http.execute(request, timeout: .milliseconds(Int64(timeout * 1000)))
            // The first 300 bytes of the answer: enough to say why, bounded whatever the receiver sends.
            let answer = try await response.body.collect(upTo: 64 * 1024)
            let text = String(decoding: answer.readableBytesView.prefix(300), as: UTF8.self)
                .split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
            let ok = (200..<300).contains(Int(response.status.code))
            return (ok, "POST \(url): HTTP \(response.status.code)\(text.isEmpty ? "" : ": \(text)")")
        } catch let e as HTTPClientError where e == .deadlineExceeded || e == .readTimeout || e == .connectTimeout {
            return (false, "POST \(url): no answer within \(PrometheusClient.seconds(timeout))")
        } catch {
            return (false, "POST \(url): \(Self.words(error))")
        }
    }

    public func shutdown() async { try? await http.shutdown() }

    static func words(_ error: Error) -> String {
        let text = String(describing: error)
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused (nothing listens there)" }
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
    }
}
