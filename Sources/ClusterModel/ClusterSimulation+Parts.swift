import BasicContainers
import SimulationKernel
import Telemetry

/// Running a world in independent parts.
///
/// Services that do not call one another, directly or through others, cannot affect one another
/// between the instants the run loop stops the world (scrapes, faults, heartbeats) — unless a
/// replica is placed on a node in between, because a placement reads every node's usage. Such a
/// world runs a part at a time: each part's events on its own queue up to the stop, then the
/// next part's. Within a part, events run in exactly the order one queue gives them (the same
/// times and sequence numbers), so every result is what running everything in one order gives;
/// but the cache holds one part's services at a time, where with hundreds of services taking
/// turns nearly every request missed it several times.
///
/// Stretches in which a placement can happen mid-way (a node being provisioned, replicas waiting
/// for room, evictions waiting for their disruption budget) run in one order on one queue, and a
/// world whose replicas can restart at any moment (liveness probes, memory limits) always does.
///
/// Complexity: splitting and joining move every queued event once, O(n log n); between stops a
/// world that stays split moves only what was scheduled since the last stop.
extension ClusterSimulation {
    struct Parts: ~Copyable {
        /// Whether the world runs in parts at all: not when it is one part, nor when its replicas
        /// can restart at any moment.
        let enabled: Bool
        /// The part of each service: the connected components of the call graph.
        let ofService: [Int32]
        /// Each part's traffic streams.
        let streams: [[Int32]]
        /// Each stream's index among its part's streams.
        let leafInPart: [Int32]
        /// While split: each part's queue and next arrivals.
        var queues = UniqueArray<EventQueue<WorldEvent>>()
        var arrivals: [NextArrivals] = []
        var isSplit = false
        /// Stretches run in parts and in one order so far (for tests and benchmarks).
        var stretchesInParts = 0, stretchesInOrder = 0

        /// Not in parts (the world is built before its parts are known).
        init() { (enabled, ofService, streams, leafInPart) = (false, [], [], []) }

        init(ofService: [Int32], streams: [[Int32]], leafInPart: [Int32]) {
            (enabled, self.ofService, self.streams, self.leafInPart) = (true, ofService, streams, leafInPart)
        }

        /// The parts of `world`, or none when it is one part or its replicas can restart at any moment.
        static func of(_ world: borrowing ClusterSimulation) -> Parts {
            let n = world.services.count
            var root = Array(0..<n)
            func find(_ i: Int) -> Int {
                var i = i
                while root[i] != i { root[i] = root[root[i]]; i = root[i] }
                return i
            }
            for s in 0..<n {
                if world.services[s].spec.liveness != nil || world.services[s].requestsBeforeOOM != .max { return Parts() }
                for t in world.services[s].callTargets { root[find(s)] = find(Int(t)) }
            }
            var partOfRoot: [Int: Int32] = [:]
            var ofService = [Int32](repeating: 0, count: n)
            for s in 0..<n {
                let r = find(s)
                if partOfRoot[r] == nil { partOfRoot[r] = Int32(partOfRoot.count) }
                ofService[s] = partOfRoot[r]!
            }
            guard partOfRoot.count > 1 else { return Parts() }
            var streams = Array(repeating: [Int32](), count: partOfRoot.count)
            var leafInPart: [Int32] = []
            for target in world.trafficTargets {
                let p = Int(ofService[Int(target)])
                leafInPart.append(Int32(streams[p].count))
                streams[p].append(Int32(leafInPart.count - 1))
            }
            return Parts(ofService: ofService, streams: streams, leafInPart: leafInPart)
        }

        var count: Int { streams.count }
    }

    /// Runs up to and including `time` a part at a time when nothing can be placed on a node on
    /// the way, and in one order otherwise. (A placement mid-stretch: a replica waiting for room
    /// gets it when another ends; a refused eviction goes ahead when a replica gets ready, and its
    /// replacement is placed; a node being provisioned joins.)
    mutating func runInParts(until time: SimTime, stopIf shouldStop: () -> Bool) -> Bool {
        guard unplaced.isEmpty, blockedEvictions.isEmpty else {
            joinParts()
            parts.stretchesInOrder += 1
            return runInOrder(until: time, stopIf: shouldStop)
        }
        if !parts.isSplit { splitParts() }
        let start = events.now, firstSequence = events.nextSequenceNumber
        for p in 0..<parts.count { parts.queues[p].catchUp(to: start, sequence: firstSequence) }
        // What was scheduled since the last stop (control actions, faults) goes to its part;
        // node events stay, and one due before `time` means a placement on the way.
        var nodeEventDue = false
        for e in events.removeAll() {
            if let p = part(of: e.event) {
                parts.queues[p].insert(e.event, at: e.time, sequence: e.sequence)
            } else {
                events.insert(e.event, at: e.time, sequence: e.sequence)
                nodeEventDue = nodeEventDue || e.time <= time
            }
        }
        if nodeEventDue {
            joinParts()
            parts.stretchesInOrder += 1
            return runInOrder(until: time, stopIf: shouldStop)
        }
        parts.stretchesInParts += 1
        // Parts log their replicas' lives part by part; listeners hear them in time order.
        let listener = lifecycleHook
        let heard = TimelineBuffer()
        if listener != nil { lifecycleHook = { heard.events.append($0) } }
        var lastSequence = firstSequence, processed: UInt64 = 0, finished = true
        for p in 0..<parts.count {
            swap(&events, &parts.queues[p])
            swap(&nextArrivals, &parts.arrivals[p])
            let before = events.processed
            finished = runInOrder(until: time, stopIf: shouldStop)
            processed &+= events.processed &- before
            lastSequence = max(lastSequence, events.nextSequenceNumber)
            swap(&events, &parts.queues[p])
            swap(&nextArrivals, &parts.arrivals[p])
            if !finished { break }
        }
        events.catchUp(to: finished ? time : start, sequence: lastSequence, processed: processed)
        if let listener {
            lifecycleHook = listener
            for e in heard.events.enumerated().sorted(by: { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }) {
                listener(e.element)
            }
        }
        return finished
    }

    /// The part an event belongs to; nil for node events, which belong to all.
    func part(of e: WorldEvent) -> Int? {
        let service: Int32
        switch e.kind {
        case .nodeReady: return nil
        case .retry:
            service = e.jobParent >= 0 ? parents[Int(e.jobParent)].service
                : trafficTargets[Int(clients[Int(-2 - e.jobParent)].stream)]
        case .tryDeadline: service = parents[Int(e.jobParent)].service
        case .workDone, .queueDeadline, .replicaReady, .probe, .oomKill: service = Int32(e.target)
        }
        return Int(parts.ofService[Int(service)])
    }

    /// Gives each part its own queue and next arrivals (its events move there at the next run).
    mutating func splitParts() {
        guard !parts.isSplit else { return }
        parts.arrivals = Array(repeating: NextArrivals(), count: parts.count)
        for t in trafficTargets.indices {
            let a = nextArrivals.arrival(atLeaf: Int(streamLeaf[t]))
            let p = Int(parts.ofService[Int(trafficTargets[t])])
            parts.arrivals[p].set(Int(parts.leafInPart[t]), stream: t, time: a.time, sequence: a.sequence)
        }
        for _ in 0..<parts.count { parts.queues.append(EventQueue()) }
        parts.isSplit = true
        streamLeaf = parts.leafInPart
        nextArrivals = NextArrivals()
    }

    /// Puts every part's events and next arrivals back on the world's one queue and tree.
    mutating func joinParts() {
        guard parts.isSplit else { return }
        for p in 0..<parts.count {
            let moved = parts.queues[p].removeAll()
            events.catchUp(to: parts.queues[p].now, sequence: parts.queues[p].nextSequenceNumber)
            for e in moved { events.insert(e.event, at: e.time, sequence: e.sequence) }
        }
        for t in trafficTargets.indices {
            let a = parts.arrivals[Int(parts.ofService[Int(trafficTargets[t])])].arrival(atLeaf: Int(parts.leafInPart[t]))
            nextArrivals.set(t, stream: t, time: a.time, sequence: a.sequence)
        }
        streamLeaf = trafficTargets.indices.map(Int32.init)
        parts.queues.removeAll()
        parts.arrivals = []
        parts.isSplit = false
    }
}

/// Timeline events collected while the parts run (a class: the hook that fills it escapes).
private final class TimelineBuffer {
    var events: [TimelineEvent] = []
}
