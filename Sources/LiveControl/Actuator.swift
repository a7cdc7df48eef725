import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How a live session's decisions reach the real system. Safety (dry run, kill switch, change per
/// minute) sits in front of every actuator, in ``LiveSession``.
public protocol Actuator: Sendable {
    /// `exec`, `webhook`, … as recorded with each action.
    var kind: String { get }
    /// Asks for `replicas` of `service`; answers whether it was done and what happened, in words.
    func apply(service: String, replicas: Int, reason: String) async -> (done: Bool, detail: String)
    /// Replaces one replica (the self-healer's action), keeping the count.
    func replace(service: String, replica: String, reason: String) async -> (done: Bool, detail: String)
    /// Lets go of what the actuator holds (connections); called once, when the session ends.
    func shutdown() async
}

extension Actuator {
    public func replace(service: String, replica: String, reason: String) async -> (done: Bool, detail: String) {
        (false, "the \(kind) actuator was given no way to replace a replica")
    }
    public func shutdown() async {}
}

/// Runs a command for each change, without a shell: the template is split on spaces into arguments
/// once, and `{replicas}`, `{service}` and `{replica}` are replaced inside arguments, so a value can never
/// become a second argument or a shell construct.
///
/// ```
/// --exec 'kubectl scale deployment/{service} --replicas={replicas}'
/// --exec-replace 'kubectl delete pod {replica}'
/// ```
public struct ExecActuator: Actuator {
    public let arguments: [String]
    /// The command that replaces one replica (`{replica}`); nil: this actuator cannot.
    public let replaceArguments: [String]?
    public let timeout: Double
    public var kind: String { "exec" }

    /// - Parameters:
    ///   - template: words separated by spaces, or a JSON array of strings when an argument holds a space.
    ///   - replaceTemplate: the same for replacing one replica.
    public init(template: String, replaceTemplate: String? = nil, timeout: Double = 60) throws {
        var problems: [String] = []
        arguments = Self.words(template, option: "--exec", placeholder: "{replicas}", problems: &problems) ?? []
        replaceArguments = replaceTemplate.flatMap { Self.words($0, option: "--exec-replace", placeholder: "{replica}", problems: &problems) }
        guard problems.isEmpty else { throw LiveSessionError(problems) }
        self.timeout = timeout
    }

    static func words(_ template: String, option: String, placeholder: String, problems: inout [String]) -> [String]? {
        let words: [String]
        if template.hasPrefix("[") {
            guard let array = (try? JSONSerialization.jsonObject(with: Data(template.utf8))) as? [String] else {
                problems.append("\(option) \(template): not a JSON array of strings"); return nil
            }
            words = array
        } else {
            words = template.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        }
        guard let first = words.first else { problems.append("\(option): the command is empty"); return nil }
        guard words.contains(where: { $0.contains(placeholder) }) else {
            problems.append("\(option) \(template): the command must contain \(placeholder)"); return nil
        }
        guard ExecActuator.locate(first) != nil else { problems.append("\(option): \(first) is not an executable (give a path, or a name on PATH)"); return nil }
        return words
    }

    public func command(service: String, replicas: Int) -> [String] {
        arguments.map { $0.replacingOccurrences(of: "{replicas}", with: String(replicas)).replacingOccurrences(of: "{service}", with: service) }
    }

    public func apply(service: String, replicas: Int, reason: String) async -> (done: Bool, detail: String) {
        await run(command(service: service, replicas: replicas))
    }

    public func replace(service: String, replica: String, reason: String) async -> (done: Bool, detail: String) {
        guard let replaceArguments else { return (false, "no --exec-replace command: \(replica) left as it is") }
        guard ReplicaName.isPlain(replica) else { return (false, "\(ReplicaName.refusal(replica)): left as it is") }
        return await run(replaceArguments.map { $0.replacingOccurrences(of: "{replica}", with: replica).replacingOccurrences(of: "{service}", with: service) })
    }

    func run(_ argv: [String]) async -> (done: Bool, detail: String) {
        let shown = argv.map { $0.contains(" ") || $0.isEmpty ? "'\($0)'" : $0 }.joined(separator: " ")
        guard let path = ExecActuator.locate(argv[0]) else { return (false, "\(shown): \(argv[0]) not found") }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("stormglass-exec-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).out")
        guard FileManager.default.createFile(atPath: output.path, contents: nil) else { return (false, "\(shown): cannot create \(output.path)") }
        defer { try? FileManager.default.removeItem(at: output) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = Array(argv.dropFirst())
        process.standardInput = FileHandle.nullDevice
        guard let handle = try? FileHandle(forWritingTo: output) else { return (false, "\(shown): cannot capture its output") }
        process.standardOutput = handle
        process.standardError = handle
        do { try process.run() } catch { return (false, "\(shown): cannot start: \(error.localizedDescription)") }
        try? handle.close()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { try? await Task.sleep(nanoseconds: 20_000_000) }
        var timedOut = false
        if process.isRunning {
            timedOut = true
            process.terminate()
            try? await Task.sleep(nanoseconds: 2_000_000_000)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        // The last line it printed, at most 300 characters: enough to say why, bounded whatever it prints.
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        let last = text.split(separator: "\n").last.map { String($0.prefix(300)) } ?? ""
        if timedOut { return (false, "\(shown): no answer within \(Int(timeout)) s, stopped") }
        let status = process.terminationStatus
        return (status == 0 && process.terminationReason == .exit, "\(shown): exit \(status)\(last.isEmpty ? "" : ": \(last)")")
    }

    static func locate(_ name: String) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

/// A replica's name comes from a metrics server's labels: data. Before it goes into a command's
/// arguments it must look like a name (a pod's DNS name, an `instance`'s host:port), never like an
/// option (`--all`) or a path.
public enum ReplicaName {
    public static func isPlain(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 253 && !name.hasPrefix("-") && !name.hasPrefix(".")
            && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || ".-_:".unicodeScalars.contains($0) }
    }

    static func refusal(_ name: String) -> String {
        "replica name \(String(name.prefix(80)).debugDescription) is not a plain name (letters, digits, . - _ :, not starting with - or .)"
    }
}
