import Foundation
import Recorder
import Subprocess
import Telemetry
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Runs gnuplot as a subprocess (swift-subprocess): the script from a temporary file, standard error
/// read while gnuplot runs (a chatty gnuplot cannot fill a pipe and stall), and a time limit after
/// which gnuplot is sent SIGTERM, then SIGKILL.
public struct Gnuplot: Sendable {
    public let executable: String
    /// Seconds one chart may take (`STORMGLASS_GNUPLOT_TIMEOUT`, default 60).
    public var timeout: Double

    /// Finds gnuplot on PATH; a clear error when it is not installed.
    public init() throws {
        let environment = ProcessInfo.processInfo.environment
        let path = environment["PATH"] ?? "/usr/bin:/bin"
        guard let found = path.split(separator: ":").map({ "\($0)/gnuplot" })
            .first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw ChartError.gnuplotMissing
        }
        self.init(executable: found, timeout: environment["STORMGLASS_GNUPLOT_TIMEOUT"].flatMap(Double.init).flatMap { $0 > 0 ? $0 : nil } ?? 60)
    }

    public init(executable: String, timeout: Double) {
        self.executable = executable; self.timeout = timeout
    }

    /// The gnuplot running now (0 when none), so that a second Ctrl-C, which exits at once, can kill it
    /// instead of leaving it orphaned. Written only here; read by a signal handler.
    nonisolated(unsafe) public static var runningProcess: pid_t = 0

    /// Kills the running gnuplot; async-signal-safe.
    public static func killRunning() {
        let pid = runningProcess
        if pid > 0 { kill(pid, SIGKILL) }
    }

    /// Draws `script`; fails unless gnuplot exits 0 within the time limit and `output` holds a picture.
    /// `shouldStop` is asked every 50 ms; stopping kills gnuplot and throws `Cancelled`.
    func run(_ script: GnuplotScript, output: String, shouldStop: @escaping @Sendable () -> Bool = { false }) async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("stormglass-\(getpid())-\(UUID().uuidString).gp")
        do { try script.text.write(to: file, atomically: true, encoding: .utf8) } catch { throw ChartError.unwritable(file.path) }
        defer { try? FileManager.default.removeItem(at: file) }
        let status = try await run(arguments: [file.path], shouldStop: shouldStop)
        if case .failed(let why) = status { throw ChartError.gnuplotFailed(why) }
        let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
        guard size > 0 else { throw ChartError.emptyOutput(output) }
    }

    enum Outcome: Equatable { case succeeded, failed(String) }

    /// Runs gnuplot with `arguments`, racing it against the time limit and `shouldStop`; the loser of the
    /// race is cancelled, and cancelling the run tears gnuplot down (SIGTERM, 1 s, SIGKILL).
    func run(arguments: [String], shouldStop: @escaping @Sendable () -> Bool) async throws -> Outcome {
        var options = PlatformOptions()
        options.teardownSequence = [.gracefulShutDown(allowedDurationToNextStep: .seconds(1))]
        let limit = timeout
        let executable = self.executable
        enum Finish: Sendable { case exited(TerminationStatus, String), timedOut, stopped }
        let finish: Finish = try await withThrowingTaskGroup(of: Finish.self) { group in
            group.addTask {
                let result = try await Subprocess.run(
                    .path(FilePath(executable)), arguments: Arguments(arguments), platformOptions: options,
                    input: .none, output: .discarded, error: .sequence
                ) { execution in
                    // Cleared only once `run` has reaped it: a teardown still in progress is killable too.
                    Gnuplot.runningProcess = execution.processIdentifier.value
                    // Keep only the end of standard error: its last lines say what went wrong.
                    var tail: [UInt8] = []
                    for try await chunk in execution.standardError {
                        chunk.withUnsafeBytes { tail.append(contentsOf: $0) }
                        if tail.count > 8192 { tail.removeFirst(tail.count - 4096) }
                    }
                    return String(decoding: tail, as: UTF8.self)
                }
                Gnuplot.runningProcess = 0
                return .exited(result.terminationStatus, result.closureResult)
            }
            group.addTask {
                let deadline = ContinuousClock.now + .milliseconds(Int(limit * 1000))
                while ContinuousClock.now < deadline {
                    if shouldStop() { return .stopped }
                    try await Task.sleep(for: .milliseconds(50))
                }
                return .timedOut
            }
            let first = try await group.next()!
            group.cancelAll()
            return first
        }
        Gnuplot.runningProcess = 0
        switch finish {
        case .timedOut: throw ChartError.gnuplotTimedOut(seconds: timeout)
        case .stopped: throw Cancelled()
        case .exited(let status, let stderr):
            if status.isSuccess { return .succeeded }
            let lines = stderr.split(separator: "\n").suffix(3).joined(separator: " | ")
            return .failed(lines.isEmpty ? "gnuplot \(status)" : lines)
        }
    }
}

public enum ChartError: Error, CustomStringConvertible {
    case gnuplotMissing
    case gnuplotFailed(String)
    case gnuplotTimedOut(seconds: Double)
    case unwritable(String)
    case emptyOutput(String)

    public var description: String {
        switch self {
        case .gnuplotMissing:
            return "gnuplot is not installed, so no charts were drawn (results are saved); install it with: apt-get install gnuplot-nox"
        case .gnuplotFailed(let why): return "gnuplot failed: \(why)"
        case .gnuplotTimedOut(let s): return "gnuplot did not finish within \(Int(s)) s and was stopped (STORMGLASS_GNUPLOT_TIMEOUT sets the limit)"
        case .unwritable(let dir): return "cannot write charts to \(dir)"
        case .emptyOutput(let file): return "gnuplot wrote nothing to \(file) (is the disk full?)"
        }
    }
}

/// Output format of charts.
public enum ChartFormat: String, Sendable, CaseIterable {
    case png, svg
    var terminal: StaticString {
        switch self {
        case .png: return "set terminal pngcairo size 1200,560 enhanced font 'DejaVu Sans,11'"
        case .svg: return "set terminal svg size 1200,560 dynamic enhanced font 'DejaVu Sans,11'"
        }
    }
}

extension GnuplotScript {
    /// An output path: the folder the user chose (refused if it holds control characters, which a gnuplot
    /// literal could not keep) and a sanitised file name.
    static func outputPath(directory: String, name: String) throws -> String {
        guard !directory.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw ChartError.unwritable("a folder whose name holds control characters (\(directory.debugDescription))")
        }
        let ext = (name as NSString).pathExtension
        let stem = ext.isEmpty ? name : String(name.dropLast(ext.count + 1))
        return directory + "/" + FileName.component(stem) + (ext.isEmpty ? "" : "." + FileName.component(ext))
    }
}
