@testable import Charts
import Foundation
import Recorder
import Testing

/// gnuplot as a subprocess: a hung, chatty or stubborn gnuplot never hangs or orphans Stormglass.
/// Each test runs a small shell script in gnuplot's place. The bounds are loose because the whole suite
/// shares two cores: what they prove is that gnuplot's 600 s sleep was cut short. Time limits are a few
/// seconds, so that even on a busy machine the fake gnuplot has started (and written its pid) by then.
@Suite struct GnuplotProcessTests {
    /// Writes an executable script and returns its path.
    func fakeGnuplot(_ body: String, in dir: String) throws -> String {
        let path = dir + "/gnuplot"
        try ("#!/bin/sh\n" + body + "\n").write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    func recordedPID(_ dir: String) -> pid_t? {
        (try? String(contentsOfFile: dir + "/pid", encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Waits up to `seconds` for `pid` to be gone (it is our grandchild at most, so it may linger as a zombie
    /// of the shell for a moment).
    func isGone(_ pid: pid_t, within seconds: Double = 60) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if kill(pid, 0) != 0 { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    @Test func aHungGnuplotIsStoppedAtTheTimeLimit() async throws {
        let dir = temporaryDirectory()
        let exe = try fakeGnuplot("echo $$ > '\(dir)/pid'; exec sleep 600", in: dir)
        // Timed on the supervising thread itself: the async `run` resumes its caller on the shared pool, which
        // the rest of a busy suite can hold for minutes (342 s once, on two loaded cores).
        let (elapsed, timedOut) = await withCheckedContinuation { (done: CheckedContinuation<(Double, Bool), Never>) in
            Thread {
                let started = Date()
                let outcome = Result { try Gnuplot(executable: exe, timeout: 5).runSupervised(arguments: [], shouldStop: { false }) }
                guard case .failure(let error) = outcome, error is ChartError else { return done.resume(returning: (Date().timeIntervalSince(started), false)) }
                done.resume(returning: (Date().timeIntervalSince(started), true))
            }.start()
        }
        #expect(timedOut && elapsed < 300, "\(elapsed) s")
        await #expect(throws: ChartError.self) {
            _ = try await Gnuplot(executable: exe, timeout: 1).run(arguments: [], shouldStop: { false })
        }
        let pid = try #require(recordedPID(dir))
        #expect(isGone(pid), "gnuplot \(pid) still running after the time limit")
    }

    @Test func aGnuplotThatIgnoresSIGTERMIsKilled() async throws {
        let dir = temporaryDirectory()
        let exe = try fakeGnuplot("trap '' TERM; echo $$ > '\(dir)/pid'; while :; do sleep 0.1; done", in: dir)
        do {
            let outcome = try await Gnuplot(executable: exe, timeout: 5).run(arguments: [], shouldStop: { false })
            Issue.record("a hung gnuplot returned: \(outcome)")
        } catch let e as ChartError {
            #expect(e.description.contains("did not finish within"))
        }
        let pid = try #require(recordedPID(dir))
        #expect(isGone(pid))
    }

    /// More standard error than a pipe holds (64 KiB) must not stall it; the last lines are the message.
    @Test func aChattyGnuplotCannotDeadlockAndItsLastLinesAreTheError() async throws {
        let dir = temporaryDirectory()
        let exe = try fakeGnuplot("yes 'warning: noise' | head -n 200000 >&2; echo 'line 7: undefined variable: x' >&2; exit 1", in: dir)
        let outcome = try await Gnuplot(executable: exe, timeout: 300).run(arguments: [], shouldStop: { false })
        guard case .failed(let why) = outcome else { Issue.record("a failing gnuplot succeeded"); return }
        #expect(why.hasSuffix("line 7: undefined variable: x"))
        #expect(why.count < 200)
    }

    @Test func aStopRequestKillsGnuplotAndThrowsCancelled() async throws {
        let dir = temporaryDirectory()
        let exe = try fakeGnuplot("echo $$ > '\(dir)/pid'; exec sleep 600", in: dir)
        let asked = Date()
        // The stop is asked for once gnuplot is surely running (on a busy machine it may take a while to start).
        let started: @Sendable () -> Bool = { ((try? String(contentsOfFile: dir + "/pid", encoding: .utf8)) ?? "").hasSuffix("\n") }
        await #expect(throws: Cancelled.self) {
            _ = try await Gnuplot(executable: exe, timeout: 60).run(arguments: [], shouldStop: started)
        }
        #expect(Date().timeIntervalSince(asked) < 300)
        let pid = try #require(recordedPID(dir))
        #expect(isGone(pid))
    }

    @Test func aGnuplotThatSucceedsReturnsSuccessAndGetsItsArguments() async throws {
        let dir = temporaryDirectory()
        let exe = try fakeGnuplot("echo \"$1\" > '\(dir)/args'; echo chatter >&2; exit 0", in: dir)
        let outcome = try await Gnuplot(executable: exe, timeout: 300).run(arguments: ["script with spaces `id`.gp"], shouldStop: { false })
        #expect(outcome == .succeeded)
        #expect(try String(contentsOfFile: dir + "/args", encoding: .utf8) == "script with spaces `id`.gp\n")
    }

    /// gnuplot gets standard input, output and error, and none of our other descriptors: one left open
    /// (a results file, a script another test is writing) would stay open for as long as gnuplot runs.
    @Test func gnuplotInheritsNoOtherDescriptor() async throws {
        let dir = temporaryDirectory()
        let held = open(dir + "/held", O_CREAT | O_WRONLY, 0o600)   // no close-on-exec, as Foundation's writes
        defer { close(held) }
        #expect(held > 2)
        let exe = try fakeGnuplot("ls /proc/$$/fd > '\(dir)/fds'", in: dir)
        #expect(try await Gnuplot(executable: exe, timeout: 300).run(arguments: [], shouldStop: { false }) == .succeeded)
        let fds = try String(contentsOfFile: dir + "/fds", encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(!fds.contains(String(held)), "gnuplot inherited descriptor \(held): \(fds)")
    }
}
