import Foundation

/// Runs gnuplot as a subprocess with a script on standard input.
public struct Gnuplot {
    public let executable: String

    /// Finds gnuplot on PATH; a clear error when it is not installed.
    public init() throws {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        guard let found = path.split(separator: ":").map({ "\($0)/gnuplot" })
            .first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw ChartError.gnuplotMissing
        }
        executable = found
    }

    public func run(_ script: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        let input = Pipe(), errors = Pipe()
        p.standardInput = input
        p.standardError = errors
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        input.fileHandleForWriting.write(Data(script.utf8))
        try input.fileHandleForWriting.close()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        if p.terminationStatus != 0 {
            throw ChartError.gnuplotFailed(String(decoding: err, as: UTF8.self).split(separator: "\n").suffix(3).joined(separator: " | "))
        }
    }
}

public enum ChartError: Error, CustomStringConvertible {
    case gnuplotMissing
    case gnuplotFailed(String)
    case unwritable(String)

    public var description: String {
        switch self {
        case .gnuplotMissing:
            return "gnuplot is not installed, so no charts were drawn (results are saved); install it with: apt-get install gnuplot-nox"
        case .gnuplotFailed(let why): return "gnuplot failed: \(why)"
        case .unwritable(let dir): return "cannot write charts to \(dir)"
        }
    }
}

/// Output format of charts.
public enum ChartFormat: String, Sendable, CaseIterable {
    case png, svg
    var terminal: String {
        switch self {
        case .png: return "pngcairo size 1200,520 enhanced font 'DejaVu Sans,11'"
        case .svg: return "svg size 1200,520 dynamic enhanced font 'DejaVu Sans,11'"
        }
    }
}

/// Gnuplot script helpers.
enum Script {
    /// An inline datablock: `$name << EOD … EOD`.
    static func datablock(_ name: String, _ rows: [[Double]]) -> String {
        var s = "$\(name) << EOD\n"
        for r in rows { s += r.map { $0.isFinite ? String(format: "%.6g", $0) : "NaN" }.joined(separator: " ") + "\n" }
        return s + "EOD\n"
    }

    static func quoted(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    static func header(format: ChartFormat, output: String, title: String, ylabel: String) -> String {
        """
        set terminal \(format.terminal)
        set output \(quoted(output))
        set title \(quoted(title)) font ',13'
        set xlabel 'time (hours since start)'
        set ylabel \(quoted(ylabel))
        set grid ytics lc rgb '#dddddd'
        set key below horizontal box opaque
        set autoscale xfix
        set border 11
        set tics nomirror
        set offsets 0, 0, graph 0.08, 0
        set style fill transparent solid 0.25 noborder

        """
    }
}
