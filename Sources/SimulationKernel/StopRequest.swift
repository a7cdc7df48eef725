#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A process-wide request to stop long work, set from a signal handler (Ctrl-C, SIGTERM).
///
/// It lives in the kernel so that loops below the run loop — the thinning search for a traffic
/// stream's next arrival — can give up too: a search over hours of near-zero rate, or against a
/// bound far above the rate, must not outlast a Ctrl-C.
public enum StopRequest {
    nonisolated(unsafe) public static var flag: sig_atomic_t = 0
    @inlinable public static var isSet: Bool { flag != 0 }
}

/// Long work gave up because a stop was requested (see `StopRequest`); the command exits 130.
public struct StopRequested: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "stopped on request" }
}
