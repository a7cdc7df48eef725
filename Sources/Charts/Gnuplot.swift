import Foundation
import Recorder
import Telemetry

/// Runs gnuplot as a subprocess: the script from a temporary file, standard error into a file (a chatty
/// gnuplot cannot fill a pipe and stall), and a time limit after which gnuplot's process group is sent
/// SIGTERM, then SIGKILL.
///
/// The supervision runs on a thread of its own, polling `waitpid`: it needs no free slot in Swift's
/// cooperative pool, which a busy machine's other work may hold for minutes (a 0.5 s limit once fired
/// after 390 s that way).
public struct Gnuplot: Sendable {
    public let executable: String
    /// Seconds one chart may take (`STORMGLASS_GNUPLOT_TIMEOUT`, default 60).
    public var timeout: Double

    /// Finds gnuplot on PATH; a clear error when it is not installed or the time limit is unusable.
    public init() throws {
        let environment = ProcessInfo.processInfo.environment
        let path = environment["PATH"] ?? "/usr/bin:/bin"
        guard let found = path.split(separator: ":").map({ "\($0)/gnuplot" })
            .first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw ChartError.gnuplotMissing
        }
        self.init(executable: found, timeout: try Gnuplot.timeLimit(environment["STORMGLASS_GNUPLOT_TIMEOUT"]))
    }

    public init(executable: String, timeout: Double) {
        self.executable = executable; self.timeout = timeout
    }

    /// Longest limit accepted, in seconds (a day): beyond it a hung gnuplot is as good as unlimited.
    static let longestLimit = 86_400.0

    /// `STORMGLASS_GNUPLOT_TIMEOUT` read: unset means 60 s; anything but a number of seconds in
    /// (0, 86400] is refused in words (never read as "no limit").
    static func timeLimit(_ text: String?) throws -> Double {
        guard let text else { return 60 }
        guard let v = Double(text), v.isFinite, v > 0, v <= longestLimit else {
            throw ChartError.badTimeLimit(text)
        }
        return v
    }

    /// The gnuplot running now (0 when none), so that a second Ctrl-C, which exits at once, can kill it
    /// instead of leaving it orphaned. Written only here; read by a signal handler.
    nonisolated(unsafe) public static var runningProcess: pid_t = 0

    /// Kills the running gnuplot and its children (its process group) and removes its temporary files;
    /// async-signal-safe.
    public static func killRunning() {
        let pid = runningProcess
        if pid > 0 { kill(-pid, SIGKILL) }
        if let paths = scratchPaths {
            for slot in 0..<Scratch.allCases.count where paths[slot * scratchCapacity] != 0 { unlink(paths + slot * scratchCapacity) }
        }
    }

    /// The temporary files of the chart being drawn, as C strings that a signal handler can unlink
    /// (a second Ctrl-C exits at once, before any `defer` runs). Allocated on first use, never freed.
    nonisolated(unsafe) static var scratchPaths: UnsafeMutablePointer<CChar>? = nil
    static let scratchCapacity = 4096
    enum Scratch: Int, CaseIterable { case script, errors }

    /// Notes `path` (nil: none) as the chart's `slot` file. Its first byte is written last, so a signal
    /// arriving meanwhile sees either no path or the whole one.
    static func note(_ path: String?, as slot: Scratch) {
        if scratchPaths == nil {
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: Scratch.allCases.count * scratchCapacity)
            buffer.initialize(repeating: 0, count: Scratch.allCases.count * scratchCapacity)
            scratchPaths = buffer
        }
        let base = scratchPaths! + slot.rawValue * scratchCapacity
        base[0] = 0
        guard let path else { return }
        let bytes = path.utf8CString
        guard bytes.count <= scratchCapacity, bytes.count > 1 else { return }
        for i in 1..<bytes.count { base[i] = bytes[i] }
        base[0] = bytes[0]
    }

    /// Draws `script`; fails unless gnuplot exits 0 within the time limit and `output` holds a picture.
    /// `shouldStop` is asked every 20 ms; stopping kills gnuplot and throws `Cancelled`.
    func run(_ script: GnuplotScript, output: String, shouldStop: @escaping @Sendable () -> Bool = { false }) async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("stormglass-\(getpid())-\(UUID().uuidString).gp")
        Gnuplot.note(file.path, as: .script)
        defer { try? FileManager.default.removeItem(at: file); Gnuplot.note(nil, as: .script) }
        do { try AtomicWrite.write(script.text, to: file.path) } catch { throw ChartError.unwritable(file.path) }
        let status = try await run(arguments: [file.path], shouldStop: shouldStop)
        if case .failed(let why) = status { throw ChartError.gnuplotFailed(why) }
        let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
        guard size > 0 else { throw ChartError.emptyOutput(output) }
    }

    enum Outcome: Equatable { case succeeded, failed(String) }

    /// Runs gnuplot with `arguments` on a supervising thread of its own, against the time limit and
    /// `shouldStop`.
    func run(arguments: [String], shouldStop: @escaping @Sendable () -> Bool) async throws -> Outcome {
        let supervise = { try self.runSupervised(arguments: arguments, shouldStop: shouldStop) }
        return try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try supervise() }) }
            thread.name = "gnuplot supervisor"
            thread.start()
        }
    }

    /// Spawns gnuplot in a process group of its own (so its children go with it), standard input from
    /// /dev/null and standard error into a temporary file, then polls until it exits, the limit passes or
    /// a stop is asked for; the last two end the group with SIGTERM, then SIGKILL a second later.
    func runSupervised(arguments: [String], shouldStop: () -> Bool) throws -> Outcome {
        let errPath = FileManager.default.temporaryDirectory.appendingPathComponent("stormglass-\(getpid())-\(UUID().uuidString).err").path
        Gnuplot.note(errPath, as: .errors)
        defer { unlink(errPath); Gnuplot.note(nil, as: .errors) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        // Nothing else of ours goes with it: a descriptor opened without close-on-exec (a results file, a
        // script another thread is writing) would stay open for as long as gnuplot runs.
        Gnuplot.closeInheritedDescriptors(&actions)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setpgroup(&attributes, 0)
        // The child starts with default signal handling and nothing blocked, whatever ours are.
        var all = sigset_t(), none = sigset_t()
        sigfillset(&all); sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var pid: pid_t = 0
        var spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        // "Text file busy": a program written a moment ago can still be open for writing in a child that
        // another thread forked meanwhile; that descriptor closes at the child's exec, so try again.
        for _ in 0..<100 where spawned == ETXTBSY {
            usleep(20_000)
            spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        }
        guard spawned == 0 else { return .failed("cannot start \(executable): \(String(cString: strerror(spawned)))") }
        Gnuplot.runningProcess = pid
        defer { Gnuplot.runningProcess = 0 }

        let deadline = Date().addingTimeInterval(timeout)
        // Whether gnuplot has exited, without reaping it: while it is a zombie its process group id
        // cannot be reused, so killing the group afterwards reaches only what gnuplot left behind.
        var ended: Bool {
            var info = siginfo_t()
            return waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_signo == SIGCHLD   // zeroed when nothing changed
        }
        var finish: Finish?
        while !ended {
            if shouldStop() { finish = .stopped; break }
            if Date() >= deadline { finish = .timedOut; break }
            usleep(20_000)
        }
        if let finish {
            kill(-pid, SIGTERM)
            let grace = Date().addingTimeInterval(1)
            while !ended {
                if Date() >= grace { kill(-pid, SIGKILL); break }
                usleep(20_000)
            }
            kill(-pid, SIGKILL)   // what it started and left behind
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
            switch finish {
            case .timedOut: throw ChartError.gnuplotTimedOut(seconds: timeout)
            case .stopped: throw Cancelled()
            }
        }
        kill(-pid, SIGKILL)       // what it started and left behind
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
        let exited = status & 0x7f == 0, code = (status >> 8) & 0xff
        if exited && code == 0 { return .succeeded }
        let tail = Gnuplot.tail(of: errPath, bytes: 4096)
        let lines = tail.split(separator: "\n").suffix(3).joined(separator: " | ")
        return .failed(lines.isEmpty ? (exited ? "gnuplot exited with \(code)" : "gnuplot killed by signal \(status & 0x7f)") : lines)
    }

    private enum Finish { case timedOut, stopped }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later; Swift's Glibc module does not
    /// export it), looked up once.
    private static let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    /// Closes every descriptor above standard error in the child; without `closefrom`, the ones open now.
    static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        if let addCloseFrom, addCloseFrom(&actions, 3) == 0 { return }
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in open.compactMap(Int32.init) where fd > 2 && fcntl(fd, F_GETFD) != -1 {
            posix_spawn_file_actions_addclose(&actions, fd)
        }
    }

    /// The last `bytes` of a file, as text.
    static func tail(of path: String, bytes: Int) -> String {
        guard let h = FileHandle(forReadingAtPath: path) else { return "" }
        defer { try? h.close() }
        let size = (try? h.seekToEnd()) ?? 0
        try? h.seek(toOffset: size > UInt64(bytes) ? size - UInt64(bytes) : 0)
        return String(decoding: (try? h.readToEnd()) ?? Data(), as: UTF8.self)
    }
}

public enum ChartError: Error, CustomStringConvertible {
    case gnuplotMissing
    case gnuplotFailed(String)
    case gnuplotTimedOut(seconds: Double)
    case unwritable(String)
    case emptyOutput(String)
    case badTimeLimit(String)

    public var description: String {
        switch self {
        case .gnuplotMissing:
            return "gnuplot is not installed, so no charts were drawn (results are saved); install it with: apt-get install gnuplot-nox"
        case .gnuplotFailed(let why): return "gnuplot failed: \(why)"
        case .gnuplotTimedOut(let s): return "gnuplot did not finish within \(String(format: "%g", s)) s and was stopped (STORMGLASS_GNUPLOT_TIMEOUT sets the limit)"
        case .unwritable(let dir): return "cannot write charts to \(dir)"
        case .emptyOutput(let file): return "gnuplot wrote nothing to \(file) (is the disk full?)"
        case .badTimeLimit(let text):
            return "STORMGLASS_GNUPLOT_TIMEOUT=\(text.debugDescription) is not a number of seconds in (0, \(Int(Gnuplot.longestLimit))]; unset it for the default of 60"
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
