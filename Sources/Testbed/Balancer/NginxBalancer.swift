import Foundation
import Telemetry
#if canImport(Glibc)
import Glibc
#endif

/// Debian's nginx in front of the workers: least-connections over an upstream rewritten and reloaded
/// (SIGHUP, nginx's graceful reload) as workers come and go, `stub_status` at `/nginx_status` for
/// the Prometheus exporter, and an access log of every request with its upstream and time.
public final class NginxBalancer: @unchecked Sendable {
    public let port: Int
    public let folder: String
    public private(set) var upstreams: [Int]
    private let process: ManagedProcess
    private var configuration: String { folder + "/nginx.conf" }
    public var accessLog: String { folder + "/access.log" }
    public var url: String { "http://127.0.0.1:\(port)" }

    private init(port: Int, folder: String, upstreams: [Int], process: ManagedProcess) {
        self.port = port; self.folder = folder; self.upstreams = upstreams; self.process = process
    }

    /// Starts nginx on a free loopback port in front of `upstreams` (worker ports), in `folder`.
    public static func start(in folder: String, upstreams: [Int], readyWithin: Double = 60) throws -> NginxBalancer {
        for sub in ["", "/tmp"] { try FileManager.default.createDirectory(atPath: folder + sub, withIntermediateDirectories: true) }
        var lastLog = ""
        for attempt in 1...3 {
            let port = try LoopbackPort.free()
            try AtomicWrite.write(configurationText(folder: folder, port: port, upstreams: upstreams), to: folder + "/nginx.conf")
            let process = try ManagedProcess(name: "nginx", executable: "nginx",
                                             arguments: ["-p", folder, "-c", folder + "/nginx.conf", "-e", folder + "/error.log"],
                                             log: folder + "/nginx-\(attempt).log")
            let balancer = NginxBalancer(port: port, folder: folder, upstreams: upstreams, process: process)
            let deadline = Date().addingTimeInterval(readyWithin)
            while process.isRunning && Date() < deadline && !LoopbackSocket.accepts(port: port) { usleep(50_000) }
            if process.isRunning && LoopbackSocket.accepts(port: port) { return balancer }
            lastLog = process.logTail() + "\n" + ((try? String(contentsOfFile: folder + "/error.log", encoding: .utf8)) ?? "")
            balancer.stop()
            if !lastLog.contains("Address already in use") { break }
        }
        throw TestbedError("nginx did not start; its log ends:\n\(lastLog.suffix(2000))")
    }

    /// Points the upstream at `ports` and reloads: nginx starts new worker processes with the new
    /// configuration and lets the old ones finish their requests.
    public func route(to ports: [Int]) throws {
        guard ports != upstreams else { return }
        try AtomicWrite.write(Self.configurationText(folder: folder, port: port, upstreams: ports), to: configuration)
        upstreams = ports
        guard process.isRunning else { throw TestbedError("nginx has stopped; its log ends:\n\(process.logTail())") }
        kill(process.pid, SIGHUP)
    }

    public var isRunning: Bool { process.isRunning }
    public func stop() { process.stop() }

    static func configurationText(folder: String, port: Int, upstreams: [Int]) -> String {
        // With no worker the upstream still needs a server: one marked down, so nginx answers 502.
        let servers = upstreams.isEmpty ? ["    server 127.0.0.1:9 down;"]
            : upstreams.map { "    server 127.0.0.1:\($0) max_fails=1 fail_timeout=2s;" }
        let tmp = folder + "/tmp"
        return """
        # Written by the Stormglass testbed; rewritten on every scale.
        daemon off;
        worker_processes 1;
        pid \(folder)/nginx.pid;
        error_log \(folder)/error.log warn;
        \(getuid() == 0 ? "user root;" : "")
        events { worker_connections 4096; }
        http {
          log_format testbed '$msec $status $request_time $upstream_addr $upstream_response_time';
          access_log \(folder)/access.log testbed;
          client_body_temp_path \(tmp)/body; proxy_temp_path \(tmp)/proxy; fastcgi_temp_path \(tmp)/fastcgi;
          uwsgi_temp_path \(tmp)/uwsgi; scgi_temp_path \(tmp)/scgi;
          upstream workers {
            least_conn;
        \(servers.joined(separator: "\n"))
          }
          server {
            listen 127.0.0.1:\(port);
            location = /nginx_status { stub_status; }
            location / {
              proxy_pass http://workers;
              proxy_next_upstream error timeout;
              proxy_connect_timeout 2s;
              proxy_read_timeout 60s;
            }
          }
        }

        """
    }
}

extension LoopbackSocket {
    /// True when something accepts a TCP connection on 127.0.0.1:`port`.
    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { _ = Glibc.close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
