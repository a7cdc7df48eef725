/// The future-event set: events ordered by (time, insertion sequence).
///
/// Ties on time run in the order they were scheduled, which is what makes a run reproducible
/// when many things happen "at once". Cancellation is lazy: a cancelled event stays queued and
/// is skipped when it surfaces, so `cancel` is O(1) and the hot path pays nothing for it while
/// no event is cancelled.
///
/// Besides the heap there are *lanes*, each holding at most one event: a source that always has
/// exactly one next event pending (an arrival stream) keeps it in its lane, and `next` takes the
/// earlier of the heap's head and the earliest lane. With open-loop traffic about half of all
/// events are arrivals, so this halves the heap's work. Lane events draw their sequence number
/// from the same counter, so the order of events is exactly what one heap would give.
///
/// Complexity: `schedule` and `next` are O(log n) in the number of heap events, plus O(lanes)
/// when a lane event is scheduled or delivered (lanes are few: one per traffic stream).
public struct EventQueue<Event> {
    /// A handle to a scheduled event, for cancelling it.
    public struct Token: Hashable, Sendable {
        public let sequence: UInt64
        @inlinable init(sequence: UInt64) { self.sequence = sequence }
    }

    @usableFromInline typealias Node = EventHeap<Event>.Node

    @usableFromInline var heap = EventHeap<Event>()
    /// One slot per lane; `nil` when the lane has nothing pending.
    @usableFromInline var lanes: [Node?] = []
    /// The lane holding the earliest lane event, or -1 when every lane is empty; and that event's
    /// key, kept as plain fields so the per-event comparison with the heap reads no optional.
    @usableFromInline var earliestLane = -1
    @usableFromInline var earliestLaneTime: Int64 = .max
    @usableFromInline var earliestLaneSequence: UInt64 = .max
    @usableFromInline var nextSequence: UInt64 = 0
    @usableFromInline var cancelled = Set<UInt64>()

    @usableFromInline var _now: Int64 = 0
    @usableFromInline var _processed: UInt64 = 0

    /// The instant of the event being processed (or of the last one processed).
    @inlinable public var now: SimTime { SimTime(nanoseconds: _now) }
    /// Events delivered by `next` so far (the figure `stormglass bench` reports per second).
    @inlinable public var processed: UInt64 { _processed }

    public init() {}

    /// Events waiting, including cancelled ones not yet skipped.
    public var pendingCount: Int { heap.count + lanes.reduce(0) { $0 + ($1 == nil ? 0 : 1) } }

    /// Schedules `event` at `time`; time must not be in the past.
    @inlinable @discardableResult
    public mutating func schedule(_ event: Event, at time: SimTime) -> Token {
        precondition(time >= now, "cannot schedule an event in the past (\(time) < \(now))")
        let seq = nextSequence
        nextSequence &+= 1
        heap.insert(.init(time: time.nanoseconds, sequence: seq, element: event))
        return Token(sequence: seq)
    }

    @inlinable @discardableResult
    public mutating func schedule(_ event: Event, after delay: SimDuration) -> Token {
        schedule(event, at: now + (delay.nanoseconds < 0 ? .zero : delay))
    }

    /// Schedules `event` at `time` in `lane`, which must have nothing pending (a lane holds one event).
    @inlinable @discardableResult
    public mutating func schedule(_ event: Event, at time: SimTime, lane: Int) -> Token {
        precondition(time >= now, "cannot schedule an event in the past (\(time) < \(now))")
        precondition(lane >= 0, "lanes are numbered from 0")
        if lane >= lanes.count { lanes += Array(repeating: nil, count: lane + 1 - lanes.count) }
        precondition(lanes[lane] == nil, "lane \(lane) already has an event pending")
        let seq = nextSequence
        nextSequence &+= 1
        let node = Node(time: time.nanoseconds, sequence: seq, element: event)
        lanes[lane] = node
        if time.nanoseconds < earliestLaneTime || (time.nanoseconds == earliestLaneTime && seq < earliestLaneSequence) {
            setEarliestLane(lane, node)
        }
        return Token(sequence: seq)
    }

    /// Whether `lane` has an event pending.
    public func isOccupied(lane: Int) -> Bool { lane < lanes.count && lanes[lane] != nil }

    /// Cancels a pending event. The token must belong to an event that has not run yet.
    public mutating func cancel(_ token: Token) {
        if token.sequence < nextSequence { cancelled.insert(token.sequence) }
    }

    /// The time of the next live event, if any.
    public mutating func peekTime() -> SimTime? {
        while let head = takeHead(notAfter: .max, remove: false) {
            if cancelled.isEmpty || !cancelled.contains(head.sequence) { return SimTime(nanoseconds: head.time) }
            _ = takeHead(notAfter: .max, remove: true)
            cancelled.remove(head.sequence)
        }
        return nil
    }

    /// Removes and returns the next event if it is due no later than `limit`, advancing the clock to it.
    @inlinable
    public mutating func next(notAfter limit: SimTime) -> Event? {
        while let head = takeHead(notAfter: limit.nanoseconds, remove: true) {
            if !cancelled.isEmpty, cancelled.remove(head.sequence) != nil { continue }
            _now = head.time
            _processed &+= 1
            return head.element
        }
        return nil
    }

    /// The earliest event of heap and lanes if due by `limit`; removed from its place when `remove`.
    @inlinable @inline(__always)
    mutating func takeHead(notAfter limit: Int64, remove: Bool) -> Node? {
        if earliestLane >= 0, heap.isEmptyOrAfter(time: earliestLaneTime, sequence: earliestLaneSequence) {
            if earliestLaneTime > limit { return nil }
            let lane = lanes[earliestLane]!
            if remove { vacateEarliestLane() }
            return lane
        }
        return remove ? heap.removeMin(notAfter: limit) : heap.min.flatMap { $0.time <= limit ? $0 : nil }
    }

    @inlinable
    mutating func vacateEarliestLane() {
        lanes[earliestLane] = nil
        setEarliestLane(-1, nil)
        if lanes.count == 1 { return }
        var i = 0
        while i < lanes.count {
            if let node = lanes[i], earliestLane < 0 || node.precedes(lanes[earliestLane]!) { setEarliestLane(i, node) }
            i &+= 1
        }
    }

    @inlinable @inline(__always)
    mutating func setEarliestLane(_ lane: Int, _ node: Node?) {
        earliestLane = lane
        earliestLaneTime = node?.time ?? .max
        earliestLaneSequence = node?.sequence ?? .max
    }

    /// Advances the clock to `time` with no event (e.g. to the end of a run horizon).
    public mutating func advance(to time: SimTime) {
        precondition(time >= now)
        _now = time.nanoseconds
    }
}

extension EventQueue {
    /// Runs events through `handle` until the queue is empty, `limit` is passed, or `maxEvents` ran.
    /// The clock ends at `limit` when the horizon was reached.
    @inlinable
    public mutating func run(until limit: SimTime = SimTime(nanoseconds: .max),
                             maxEvents: UInt64 = .max,
                             _ handle: (inout EventQueue<Event>, Event) -> Void) {
        var count: UInt64 = 0
        while count < maxEvents, let event = next(notAfter: limit) {
            handle(&self, event)
            count &+= 1
        }
        if count < maxEvents, limit.nanoseconds != .max, _now < limit.nanoseconds { _now = limit.nanoseconds }
    }
}
