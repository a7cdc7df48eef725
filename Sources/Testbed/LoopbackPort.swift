import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A TCP socket bound to 127.0.0.1 on a port the kernel picks (bind to port 0).
///
/// Listening, it is a server that accepts connections (the kernel does, into its backlog) and never
/// answers: what a hung server looks like to a client.
public final class LoopbackSocket: @unchecked Sendable {
    public let port: Int
    private var fd: Int32

    public init(listening: Bool = false) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestbedError("no socket on loopback: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let socketFD = fd
        let ok = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { a in
                bind(socketFD, a, length) == 0 && (!listening || listen(socketFD, 16) == 0) && getsockname(socketFD, a, &length) == 0
            }
        }
        guard ok else {
            let reason = String(cString: strerror(errno))
            _ = Glibc.close(fd)
            throw TestbedError("no free loopback port: \(reason)")
        }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// Closes the socket; safe to call more than once.
    public func close() {
        if fd >= 0 { _ = Glibc.close(fd); fd = -1 }
    }

    deinit { close() }
}

/// A TCP port on 127.0.0.1 that nothing listens on at the moment of asking.
///
/// Another process may take it before ours binds, so a server started on it is retried on a new port
/// when its address is in use (see ``PrometheusServer``).
public enum LoopbackPort {
    public static func free() throws -> Int { try LoopbackSocket().port }
}

/// What went wrong starting or running a part of the testbed, in words.
public struct TestbedError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
