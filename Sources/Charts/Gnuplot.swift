import Foundation
import Telemetry

/// Runs gnuplot as a subprocess: the script from a temporary file (nothing to deadlock on), standard
/// error read on its own thread, and a time limit after which gnuplot is stopped.
public struct Gnuplot {
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
        executable = found
        timeout = environment["STORMGLASS_GNUPLOT_TIMEOUT"].flatMap(Double.init).flatMap { $0 > 0 ? $0 : nil } ?? 60
    }

    /// Draws `script`; fails unless gnuplot exits 0 within the time limit and `output` holds a picture.
    func run(_ script: GnuplotScript, output: String) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("stormglass-\(getpid())-\(UUID().uuidString).gp")
        do { try script.text.write(to: file, atomically: true, encoding: .utf8) } catch { throw ChartError.unwritable(file.path) }
        defer { try? FileManager.default.removeItem(at: file) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = [file.path]
        let errors = Pipe()
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        p.standardError = errors
        try p.run()
        let stderr = LockedData()
        let reader = DispatchGroup()
        reader.enter()
        DispatchQueue.global().async { stderr.set(errors.fileHandleForReading.readDataToEndOfFile()); reader.leave() }
        let timedOut = LockedFlag()
        let watchdog = DispatchWorkItem { if p.isRunning { timedOut.set(); p.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        p.waitUntilExit()
        watchdog.cancel()
        reader.wait()
        if timedOut.isSet { throw ChartError.gnuplotTimedOut(seconds: timeout) }
        if p.terminationStatus != 0 {
            throw ChartError.gnuplotFailed(String(decoding: stderr.value, as: UTF8.self).split(separator: "\n").suffix(3).joined(separator: " | "))
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
        guard size > 0 else { throw ChartError.emptyOutput(output) }
    }
}

/// Gnuplot's standard error, read on another thread.
final class LockedData: @unchecked Sendable {
    private var data = Data()
    private let lock = NSLock()
    func set(_ d: Data) { lock.lock(); data = d; lock.unlock() }
    var value: Data { lock.lock(); defer { lock.unlock() }; return data }
}

/// Set once, read from another thread.
final class LockedFlag: @unchecked Sendable {
    private var value = false
    private let lock = NSLock()
    func set() { lock.lock(); value = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
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
