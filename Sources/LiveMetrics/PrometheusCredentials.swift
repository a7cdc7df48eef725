import Foundation

/// How requests to Prometheus authenticate: a bearer token or a user and password, each secret read
/// from a file or an environment variable — never from the command line, where `ps` shows it.
public enum PrometheusCredentials: Sendable, Equatable {
    case bearer(token: String)
    case basic(user: String, password: String)

    /// The environment variables a secret may come from.
    public static let tokenVariable = "STORMGLASS_PROMETHEUS_TOKEN"
    public static let passwordVariable = "STORMGLASS_PROMETHEUS_PASSWORD"

    /// The credentials the options and environment ask for, or nil for none.
    ///
    /// - Parameters:
    ///   - tokenFile: a file holding a bearer token (`--prometheus-token-file`).
    ///   - user: a basic-auth user name; its password comes from `passwordFile` or the environment.
    /// - Throws: every problem at once, as one ``CredentialsError``.
    public static func resolve(tokenFile: String?, user: String?, passwordFile: String?,
                               environment: [String: String] = ProcessInfo.processInfo.environment) throws -> PrometheusCredentials? {
        var problems: [String] = []
        var token: String?
        if let tokenFile { token = SecretFile.read(tokenFile, what: "--prometheus-token-file", problems: &problems) }
        else if let t = environment[tokenVariable], !t.isEmpty { token = t.trimmingCharacters(in: .whitespacesAndNewlines) }
        var password: String?
        if let passwordFile { password = SecretFile.read(passwordFile, what: "--prometheus-password-file", problems: &problems) }
        else if let p = environment[passwordVariable], !p.isEmpty { password = p }
        // A secret read from a file is already one line; one from the environment must be too (a header).
        if token?.contains(where: \.isNewline) == true { problems.append("\(tokenVariable) holds a line break: the token alone, on one line") }
        if password?.contains(where: \.isNewline) == true { problems.append("\(passwordVariable) holds a line break: the password alone, on one line") }
        if user == nil && passwordFile != nil { problems.append("--prometheus-password-file needs --prometheus-user") }
        if let user, user.isEmpty || user.contains(":") || user.contains(where: \.isNewline) {
            problems.append("--prometheus-user \(user.debugDescription): a user name cannot be empty or hold ':' or a line break")
        }
        if user != nil && password == nil && passwordFile == nil {
            problems.append("--prometheus-user needs a password: --prometheus-password-file FILE or \(passwordVariable)")
        }
        if (tokenFile != nil || token != nil) && user != nil { problems.append("give a bearer token or a user and password, not both") }
        guard problems.isEmpty else { throw CredentialsError(problems: problems) }
        if let token { return .bearer(token: token) }
        if let user, let password { return .basic(user: user, password: password) }
        return nil
    }

    /// The `Authorization` header's value.
    var headerValue: String {
        switch self {
        case .bearer(let token): return "Bearer \(token)"
        case .basic(let user, let password): return "Basic \(Data("\(user):\(password)".utf8).base64EncodedString())"
        }
    }
}

/// Credentials that cannot be used, every problem at once.
public struct CredentialsError: Error, CustomStringConvertible {
    public var problems: [String]
    public var description: String { problems.joined(separator: "\n") }
}
