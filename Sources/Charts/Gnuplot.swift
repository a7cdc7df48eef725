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

    /// Text as a gnuplot string literal that gnuplot reads as data, never as code.
    ///
    /// Double-quoted gnuplot strings run `` `…` `` as a shell command and a newline ends the command (so a
    /// following `!` runs a shell): text from a results file or the command line would be code there. In
    /// single quotes gnuplot substitutes nothing, and the only escape is a doubled quote; control characters
    /// (newlines among them) become spaces.
    static func literal(_ s: String) -> String {
        let clean = String(String.UnicodeScalarView(s.unicodeScalars.map {
            $0.properties.generalCategory == .control || $0 == "\u{2028}" || $0 == "\u{2029}" ? " " : $0
        }))
        return "'" + clean.replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// A file name component from untrusted text (a scenario, service or prefix from a results file or the
    /// command line): letters, digits, `.`, `_` and `-` only, never a path separator or a leading dot, so a
    /// chart lands in the folder chosen and nowhere else.
    public static func fileComponent(_ s: String) -> String {
        var out = String(s.unicodeScalars.map { c -> Character in
            c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "." || c == "_" || c == "-") ? Character(c) : "_"
        })
        if out.hasPrefix(".") { out = "_" + out.dropFirst() }
        if out.utf8.count > 150 {
            // File systems refuse names over 255 bytes: keep a readable head and a hash of the whole.
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325   // FNV-1a
            for b in s.utf8 { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
            out = String(out.prefix(120)) + "-" + String(hash, radix: 16)
        }
        return out.isEmpty ? "_" : out
    }

    /// An output path: the folder the user chose (refused if it holds control characters, which a gnuplot
    /// literal could not keep) and a sanitised file name.
    static func outputPath(directory: String, name: String) throws -> String {
        guard !directory.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw ChartError.unwritable("a folder whose name holds control characters (\(directory.debugDescription))")
        }
        let ext = (name as NSString).pathExtension
        let stem = ext.isEmpty ? name : String(name.dropLast(ext.count + 1))
        return directory + "/" + fileComponent(stem) + (ext.isEmpty ? "" : "." + fileComponent(ext))
    }

    static func header(format: ChartFormat, output: String, title: String, ylabel: String) -> String {
        """
        set terminal \(format.terminal)
        set output \(literal(output))
        set title \(literal(title)) noenhanced font ',13'
        set xlabel 'time (hours since start)'
        set ylabel \(literal(ylabel)) noenhanced
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
