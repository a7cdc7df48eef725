import Foundation
import SimulationKernel

/// Ctrl-C handling: the first interrupt asks running simulations to stop after the current scrape
/// (so the database stays consistent and the run is marked aborted); a second one exits at once.
public enum Interrupt {
    /// The kernel's stop flag, so that loops below the run loop see it too.
    public static var requested: sig_atomic_t {
        get { StopRequest.flag }
        set { StopRequest.flag = newValue }
    }
    /// Called by the second interrupt just before exiting (it must be async-signal-safe): kills child
    /// processes, such as a running gnuplot, that would otherwise be orphaned.
    nonisolated(unsafe) public static var beforeExit: (@convention(c) () -> Void)? = nil

    /// SIGINT and SIGTERM alike (CI cancellation and `timeout` send SIGTERM): the first asks every
    /// long loop to stop at its next check, a second exits at once.
    public static func install() {
        let handler: @convention(c) (Int32) -> Void = { _ in
            if Interrupt.requested != 0 { Interrupt.beforeExit?(); _exit(130) }
            Interrupt.requested = 1
            let msg = "\nstormglass: interrupted — stopping at the next consistent point (again to quit now)\n"
            _ = msg.withCString { write(2, $0, strlen($0)) }
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
        // A parent may start us with these blocked (the mask survives exec): unblock them, or
        // cancellation would never arrive.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    public static var isRequested: Bool { requested != 0 }
}
