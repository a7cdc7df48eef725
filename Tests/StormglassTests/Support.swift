@testable import Lab
import Foundation
import Scenarios
@testable import StormglassCLI

/// A fresh temporary folder per test, removed when the test process exits (STORMGLASS_KEEP_TEST_FILES=1 keeps
/// them, to look at after a failure): a full run makes hundreds.
func temporaryDirectory(_ name: String = #function) -> String {
    let dir = FileManager.default.temporaryDirectory
        .appendingPathComponent("stormglass-tests-\(getpid())-\(name.filter { $0.isLetter || $0.isNumber })-\(UUID().uuidString.prefix(6))").path
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    TestFiles.created.mutate { created in
        if created.isEmpty, ProcessInfo.processInfo.environment["STORMGLASS_KEEP_TEST_FILES"] != "1" {
            atexit { for dir in TestFiles.created.value { try? FileManager.default.removeItem(atPath: dir) } }
        }
        created.append(dir)
    }
    return dir
}

/// The temporary folders this process made.
enum TestFiles {
    static let created = Locked([String]())
}

/// Runs the command line in-process and returns its exit code.
func stormglass(_ args: String...) -> Int32 {
    ScenarioCatalog.all = Scenarios.all
    return Stormglass.execute(args)
}

/// The repository root (for the documentation and scenarios/).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// What a command printed and how it exited.
struct CommandOutput {
    var code: Int32
    var stdout: String
    var stderr: String
    var lines: [String] { stdout.components(separatedBy: "\n") }
}

/// Runs blocking work (waiting on processes for minutes) on a thread of its own, so the test does not hold
/// one of the few threads Swift concurrency shares with every other test running meanwhile.
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}

/// The built `stormglass` executable: beside the test binary, else the release build's.
var stormglassExecutable: String {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("stormglass").path
    return FileManager.default.isExecutableFile(atPath: beside) ? beside : repositoryRoot.appendingPathComponent(".build/release/stormglass").path
}

/// A `stormglass` command running beside the test (a testbed, a load, a session); stopped with SIGTERM
/// when the test is done with it, however the test ends.
final class BackgroundCommand: @unchecked Sendable {
    let process = Process()
    let out: String, err: String

    /// Runs `stormglass ARGS` (or another executable, with variables added to the environment) in the background.
    init(_ args: [String], executable: String = stormglassExecutable, environment: [String: String] = [:]) throws {
        let dir = temporaryDirectory("background")
        out = dir + "/stdout"; err = dir + "/stderr"
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = args
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        process.standardOutput = FileHandle(forWritingAtPath: out)
        process.standardError = FileHandle(forWritingAtPath: err)
        try process.run()
    }

    /// Waits for it to end by itself, at most `seconds` (then stops it); its output.
    func wait(atMost seconds: Double) -> CommandOutput {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        stop()
        return CommandOutput(code: process.terminationStatus, stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                             stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }

    /// SIGTERM, and SIGKILL if it has not ended 60 s later.
    func stop() {
        if process.isRunning { process.terminate() }
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// Runs the built `stormglass` executable (beside the test binary) as a user would, in `directory`.
/// With `signal`, sends it `after` seconds into the run (Ctrl-C is SIGINT, CI cancellation SIGTERM), `times`
/// times half a second apart. `environment` is added to ours.
func stormglassProcess(_ args: [String], in directory: String? = nil, signal: Int32? = nil, after: Double = 0, times: Int = 1,
                       environment: [String: String] = [:]) throws -> CommandOutput {
    let executable = stormglassExecutable
    let dir = temporaryDirectory("process")
    let out = dir + "/stdout", err = dir + "/stderr"
    _ = FileManager.default.createFile(atPath: out, contents: nil)
    _ = FileManager.default.createFile(atPath: err, contents: nil)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = args
    if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
    if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    p.standardOutput = FileHandle(forWritingAtPath: out)
    p.standardError = FileHandle(forWritingAtPath: err)
    try p.run()
    if let signal {
        Thread.sleep(forTimeInterval: after)
        for n in 0..<times {
            if n > 0 { Thread.sleep(forTimeInterval: 0.5) }
            kill(p.processIdentifier, signal)
        }
    }
    p.waitUntilExit()
    return CommandOutput(code: p.terminationStatus, stdout: try String(contentsOfFile: out, encoding: .utf8),
                         stderr: try String(contentsOfFile: err, encoding: .utf8))
}

/// A shipped public trace (`traces/nab/`).
func trace(_ name: String) -> String { repositoryRoot.appendingPathComponent("traces/nab/\(name)").path }

/// Receives one HTTP request on 127.0.0.1 and answers it with `status` and `body`: the other end of a
/// webhook, to see exactly what was sent. Bounded: 64 KiB of request, `timeout` seconds to arrive.
final class OneRequestReceiver: @unchecked Sendable {
    let port: Int
    private let fd: Int32
    private let done = DispatchSemaphore(value: 0)
    private var received = ""

    init(status: Int, body: String = "", timeout: Double = 60) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = fd
        let ok = withUnsafeMutablePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { a in
                bind(listening, a, length) == 0 && listen(listening, 4) == 0 && getsockname(listening, a, &length) == 0
            }
        }
        guard ok else { close(fd); throw CocoaError(.fileReadUnknown) }
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in
            defer { close(fd); done.signal() }
            var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, Int32(timeout * 1000)) == 1 else { return }
            let client = accept(fd, nil, nil)
            guard client >= 0 else { return }
            defer { close(client) }
            var limit = timeval(tv_sec: Int(timeout), tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
            var bytes: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 4096)
            while bytes.count < 65_536 {
                let n = recv(client, &buffer, buffer.count, 0)
                if n <= 0 { break }
                bytes += buffer[0..<n]
                let text = String(decoding: bytes, as: UTF8.self)
                guard let end = text.range(of: "\r\n\r\n") else { continue }
                let length = text[..<end.lowerBound].split(separator: "\r\n")
                    .first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                if text.utf8.count - text[..<end.upperBound].utf8.count >= length { break }
            }
            received = String(decoding: bytes, as: UTF8.self)
            let answer = "HTTP/1.1 \(status) X\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
            _ = answer.withCString { send(client, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        }
    }

    /// The request as received: head and body. Waits for it (at most the receiver's timeout).
    func request() -> (head: [String: String], line: String, body: String) {
        done.wait()
        done.signal()
        let parts = received.components(separatedBy: "\r\n\r\n")
        let lines = parts[0].components(separatedBy: "\r\n")
        var head: [String: String] = [:]
        for line in lines.dropFirst() {
            if let colon = line.firstIndex(of: ":") {
                head[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return (head, lines[0], parts.dropFirst().joined(separator: "\r\n\r\n"))
    }
}

/// Every stored property of `value`, nested structs opened, as (dotted path, printed value) in declaration order:
/// for tests that set every field of a record and check that a copy or a round trip kept each one.
func storedFields(of value: Any, under prefix: String = "") -> [(path: String, value: String)] {
    let children = Mirror(reflecting: value).children
    if children.isEmpty { return [(prefix, "\(value)")] }
    return children.flatMap { storedFields(of: $0.value, under: prefix.isEmpty ? $0.label ?? "?" : prefix + "." + ($0.label ?? "?")) }
}
