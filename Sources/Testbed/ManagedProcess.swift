import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process the testbed started and must stop: output to a log file, stopped with SIGTERM and,
/// if it has not exited after a grace period, SIGKILL.
public final class ManagedProcess: @unchecked Sendable {
    public let name: String
    public let log: String
    private let process = Process()

    /// Starts `executable` (a path, or a name looked up on PATH) with `arguments` as data: no shell.
    public init(name: String, executable: String, arguments: [String], log: String, environment: [String: String]? = nil) throws {
        self.name = name
        self.log = log
        guard let path = ManagedProcess.locate(executable) else {
            throw TestbedError("\(name): \(executable) is not installed (scripts/ensure-deps --testbed installs the testbed's packages)")
        }
        guard FileManager.default.createFile(atPath: log, contents: nil), let output = FileHandle(forWritingAtPath: log) else {
            throw TestbedError("\(name): cannot write its log \(log)")
        }
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = output
        do { try process.run() } catch { throw TestbedError("\(name): cannot start \(path): \(error)") }
        try? output.close()
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }
    /// Its exit status once it has ended (a signal's number when a signal ended it), else nil.
    public var exitStatus: Int32? { process.isRunning ? nil : process.terminationStatus }

    /// The last `lines` of its log, to say why it stopped.
    public func logTail(_ lines: Int = 12) -> String {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: true).suffix(lines).joined(separator: "\n")
    }

    /// Stops it: SIGTERM, then SIGKILL after `grace` seconds. Safe to call more than once.
    public func stop(grace: Double = 10) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop(grace: 2) }

    static func locate(_ executable: String) -> String? {
        if executable.contains("/") { return FileManager.default.isExecutableFile(atPath: executable) ? executable : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        // Debian puts nginx in /usr/sbin, which a user's PATH may lack.
        for folder in path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"] {
            let candidate = folder + "/" + executable
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
