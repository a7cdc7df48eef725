import Foundation

/// Ctrl-C handling: the first interrupt asks running simulations to stop after the current scrape
/// (so the database stays consistent and the run is marked aborted); a second one exits at once.
public enum Interrupt {
    nonisolated(unsafe) public static var requested: sig_atomic_t = 0

    public static func install() {
        signal(SIGINT) { _ in
            if Interrupt.requested != 0 { _exit(130) }
            Interrupt.requested = 1
            let msg = "\nstormglass: interrupted — finishing the current batch and marking the run aborted (Ctrl-C again to quit now)\n"
            _ = msg.withCString { write(2, $0, strlen($0)) }
        }
        signal(SIGTERM) { _ in Interrupt.requested = 1 }
    }

    public static var isRequested: Bool { requested != 0 }
}
