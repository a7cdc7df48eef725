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
}

/// Runs a command for each change, without a shell: the template is split on spaces into arguments
/// once, and `{replicas}` and `{service}` are replaced inside arguments, so a value can never become a
/// second argument or a shell construct.
///
/// ```
/// --exec 'kubectl scale deployment/{service} --replicas={replicas}'
/// ```
public struct ExecActuator: Actuator {
    public let arguments: [String]
    public let timeout: Double
    public var kind: String { "exec" }

    /// - Parameter template: words separated by spaces, or a JSON array of strings when an argument holds a space.
    public init(template: String, timeout: Double = 60) throws {
        if template.hasPrefix("[") {
            guard let words = (try? JSONSerialization.jsonObject(with: Data(template.utf8))) as? [String] else {
                throw LiveSessionError(["--exec \(template): not a JSON array of strings"])
            }
            arguments = words
        } else {
            arguments = template.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        }
        guard let first = arguments.first else { throw LiveSessionError(["--exec: the command is empty"]) }
        guard arguments.contains(where: { $0.contains("{replicas}") }) else {
            throw LiveSessionError(["--exec \(template): the command must contain {replicas}"])
        }
        guard ExecActuator.locate(first) != nil else { throw LiveSessionError(["--exec: \(first) is not an executable (give a path, or a name on PATH)"]) }
        self.timeout = timeout
    }

    public func command(service: String, replicas: Int) -> [String] {
        arguments.map { $0.replacingOccurrences(of: "{replicas}", with: String(replicas)).replacingOccurrences(of: "{service}", with: service) }
    }

    public func apply(service: String, replicas: Int, reason: String) async -> (done: Bool, detail: String) {
        let argv = command(service: service, replicas: replicas)
        let shown = argv.map { $0.contains(" ") || $0.isEmpty ? "'\($0)'" : $0 }.joined(separator: " ")
        guard let path = ExecActuator.locate(argv[0]) else { return (false, "\(shown): \(argv[0]) not found") }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("stormglass-exec-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).out")
        FileManager.default.createFile(atPath: output.path, contents: nil)
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
