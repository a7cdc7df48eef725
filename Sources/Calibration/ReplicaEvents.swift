import Foundation

/// What happened to the service's replicas, from an event log: when each started and became ready
/// (the start-up latency's observations), and when one died unasked (an incident to replay).
///
/// Reads the testbed's `events.csv` (`time,event,worker,detail`: `started`, `ready`, `exited`,
/// `desired`); from Kubernetes the same rows come from `kube_pod_created` and
/// `kube_pod_status_ready_time` (one `started` and one `ready` row per pod) and from pod restarts.
public struct ReplicaEvents: Sendable, Equatable {
    public struct StartUp: Sendable, Equatable {
        public var replica: String
        public var started: Double
        public var ready: Double
        public var seconds: Double { ready - started }
        public init(replica: String, started: Double, ready: Double) { self.replica = replica; self.started = started; self.ready = ready }
    }
    public var startUps: [StartUp] = []
    /// Unix times at which a replica exited unasked (killed, crashed).
    public var deaths: [Double] = []
    /// Unix times and counts of each change of the desired replicas.
    public var desired: [(time: Double, replicas: Int)] = []

    public init(startUps: [StartUp] = [], deaths: [Double] = [], desired: [(time: Double, replicas: Int)] = []) {
        self.startUps = startUps; self.deaths = deaths; self.desired = desired
    }

    public static func == (a: ReplicaEvents, b: ReplicaEvents) -> Bool {
        a.startUps == b.startUps && a.deaths == b.deaths && a.desired.map(\.time) == b.desired.map(\.time) && a.desired.map(\.replicas) == b.desired.map(\.replicas)
    }

    /// The events within [from, to).
    public func between(_ from: Double, _ to: Double) -> ReplicaEvents {
        ReplicaEvents(startUps: startUps.filter { $0.started >= from && $0.started < to }, deaths: deaths.filter { $0 >= from && $0 < to },
                      desired: desired.filter { $0.time >= from && $0.time < to })
    }

    public static let maximumBytes = 64 << 20

    public static func load(_ path: String) throws -> ReplicaEvents {
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size > maximumBytes {
            throw CalibrationError(["\(path): \(size >> 20) MiB is more than an event log may be (\(maximumBytes >> 20) MiB)"])
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw CalibrationError(["\(path): cannot read it as UTF-8 text"])
        }
        return try parse(text, origin: path)
    }

    public static func parse(_ text: String, origin: String) throws -> ReplicaEvents {
        var problems: [String] = []
        var started: [String: Double] = [:]
        var events = ReplicaEvents()
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.first.map({ $0.hasPrefix("time,event,worker") }) == true else {
            throw CalibrationError(["\(origin):1: an event log starts with the header `time,event,worker,detail`"])
        }
        for (n, raw) in lines.enumerated().dropFirst() where !raw.isEmpty {
            if problems.count >= 20 { problems.append("\(origin): … (more problems not shown)"); break }
            let cells = raw.split(separator: ",", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
            guard cells.count >= 3, let t = Double(cells[0]), t.isFinite else {
                problems.append("\(origin):\(n + 1): not `time,event,worker,detail` with a number for time"); continue
            }
            let replica = cells[2]
            switch cells[1] {
            case "started": started[replica] = t
            case "ready":
                guard let s = started.removeValue(forKey: replica) else { continue }   // started before the log
                guard t >= s else { problems.append("\(origin):\(n + 1): replica \(replica) ready before it started"); continue }
                events.startUps.append(.init(replica: replica, started: s, ready: t))
            case "exited": events.deaths.append(t); started[replica] = nil
            case "desired":
                let detail = cells.count > 3 ? cells[3] : ""
                if let to = detail.components(separatedBy: "→").last.flatMap({ Int($0.trimmingCharacters(in: CharacterSet(charactersIn: " \""))) }) {
                    events.desired.append((t, to))
                }
            default: continue
            }
        }
        guard problems.isEmpty else { throw CalibrationError(problems) }
        return events
    }
}
