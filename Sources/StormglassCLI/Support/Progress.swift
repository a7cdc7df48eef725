import Foundation
import Lab
import ScenarioKit

/// A one-line progress display on stderr, only when stderr is a terminal and not in CI.
final class ProgressLine: RunProgressDisplay, @unchecked Sendable {
    let enabled: Bool
    private var lastDraw = 0.0
    private let lock = NSLock()
    private var width = 0

    init(quiet: Bool = false) {
        enabled = !quiet && isatty(2) != 0 && ProcessInfo.processInfo.environment["CI"] == nil
    }

    /// Progress of one run: simulated time reached, events/s, ETA.
    func update(label: String, _ p: RunProgress) {
        guard enabled else { return }
        draw(String(format: "%@ %@ / %@ simulated  %4.1f M events/s  ETA %@", label,
                    p.simulated.description, p.total.description, p.eventsPerSecond / 1e6, eta(p.etaSeconds)))
    }

    /// Progress of many runs.
    func update(done: Int, of total: Int, started: Date) { update(done: done, of: total, started: started, detail: "") }

    func update(done: Int, of total: Int, started: Date, detail: String) {
        guard enabled else { return }
        let elapsed = Date().timeIntervalSince(started)
        let rate = done > 0 ? elapsed / Double(done) : .infinity
        let bar = String(repeating: "█", count: total > 0 ? done * 20 / total : 0)
        draw(String(format: "[%-20@] %d/%d runs  ETA %@ %@", bar as NSString, done, total,
                    eta(rate * Double(total - done)), detail))
    }

    func finish() {
        guard enabled else { return }
        lock.lock(); defer { lock.unlock() }
        if width > 0 { FileHandle.standardError.write(Data(("\r" + String(repeating: " ", count: width) + "\r").utf8)) }
        width = 0
    }

    /// A free-form status line (a live session's poll), when progress is shown at all.
    func status(_ text: String) {
        guard enabled else { return }
        draw(text)
    }

    private func draw(_ text: String) {
        lock.lock(); defer { lock.unlock() }
        let now = Date().timeIntervalSince1970
        guard now - lastDraw > 0.2 else { return }
        lastDraw = now
        let padded = text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0)
        width = text.count
        FileHandle.standardError.write(Data(("\r" + padded).utf8))
    }

    private func eta(_ s: Double) -> String {
        guard s.isFinite else { return "--" }
        if s < 60 { return String(format: "%.0fs", s) }
        if s < 3600 { return String(format: "%.0fm%02.0fs", (s / 60).rounded(.down), s.truncatingRemainder(dividingBy: 60)) }
        return String(format: "%.1fh", s / 3600)
    }
}
