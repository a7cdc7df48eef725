/// The future-event set: events ordered by (time, insertion sequence).
///
/// Ties on time run in the order they were scheduled, which is what makes a run reproducible
/// when many things happen "at once". Cancellation is lazy: a cancelled event stays queued and
/// is skipped when it surfaces, so `cancel` is O(1) and the hot path pays nothing for it while
/// no event is cancelled.
///
/// A source that always has exactly one next event pending (an arrival stream) may keep that
/// event itself instead of pushing and popping it through the queue: it takes a sequence number
/// with `reserveSequence`, asks `precedesQueued` whether its event comes first, and reports it
/// with `deliverOutside`. With open-loop traffic about half of all events are arrivals, so this
/// halves the queue's work, and the order of events is exactly what one queue would give.
///
/// Complexity: `schedule` and `next` are O(log n) in the number of queued events (O(1) pops
/// while few are queued; see `EventHeap`).
///
/// Noncopyable: it owns its event storage outright, so pushes and pops make no copy-on-write check.
public struct EventQueue<Event>: ~Copyable {
    /// A handle to a scheduled event, for cancelling it.
    public struct Token: Hashable, Sendable {
        public let sequence: UInt64
        @inlinable init(sequence: UInt64) { self.sequence = sequence }
    }

    @usableFromInline var heap = EventHeap<Event>()
    @usableFromInline var nextSequence: UInt64 = 0
    @usableFromInline var cancelled = Set<UInt64>()

    @usableFromInline var _now: Int64 = 0
    @usableFromInline var _processed: UInt64 = 0

    /// The instant of the event being processed (or of the last one processed).
    @inlinable public var now: SimTime { SimTime(nanoseconds: _now) }
    /// Events delivered so far by `next` and `deliverOutside` (the figure `stormglass bench` reports per second).
    @inlinable public var processed: UInt64 { _processed }

    public init() {}

    /// Events waiting, including cancelled ones not yet skipped.
    public var pendingCount: Int { heap.count }

    /// Schedules `event` at `time`; time must not be in the past.
    @inlinable @inline(__always) @discardableResult
    public mutating func schedule(_ event: Event, at time: SimTime) -> Token {
        precondition(time >= now, "cannot schedule an event in the past (\(time) < \(now))")
        let seq = nextSequence
        nextSequence &+= 1
        heap.insert(time: time.nanoseconds, sequence: seq, element: event)
        return Token(sequence: seq)
    }

    @inlinable @discardableResult
    public mutating func schedule(_ event: Event, after delay: SimDuration) -> Token {
        schedule(event, at: now + (delay.nanoseconds < 0 ? .zero : delay))
    }

    /// A sequence number for an event held outside the queue (see the type's documentation).
    @inlinable
    public mutating func reserveSequence() -> UInt64 {
        let seq = nextSequence
        precondition(seq >> 40 == 0, "event sequence numbers exhausted (2^40 events in one run)")
        nextSequence &+= 1
        return seq
    }

    /// True when an outside event at (time, sequence) comes before every live queued event.
    @inlinable
    public mutating func precedesQueued(time: SimTime, sequence: UInt64) -> Bool {
        if !cancelled.isEmpty { dropCancelledHead() }
        return heap.isEmptyOrAfter(time: time.nanoseconds, sequence: sequence)
    }

    /// Delivers an outside event: the clock moves to its time and it counts as processed.
    @inlinable
    public mutating func deliverOutside(at time: SimTime) {
        precondition(time >= now, "cannot deliver an event in the past (\(time) < \(now))")
        _now = time.nanoseconds
        _processed &+= 1
    }

    /// Cancels a pending event. The token must belong to an event that has not run yet.
    public mutating func cancel(_ token: Token) {
        if token.sequence < nextSequence { cancelled.insert(token.sequence) }
    }

    /// The time of the next live event, if any.
    public mutating func peekTime() -> SimTime? {
        dropCancelledHead()
        return heap.minKey.map { SimTime(nanoseconds: $0.time) }
    }

    /// Removes and returns the next event if it is due no later than `limit`, advancing the clock to it.
    @inlinable @inline(__always)
    public mutating func next(notAfter limit: SimTime) -> Event? {
        while let head = heap.removeMin(notAfter: limit.nanoseconds) {
            if !cancelled.isEmpty, cancelled.remove(head.sequence) != nil { continue }
            _now = head.time
            _processed &+= 1
            return head.element
        }
        return nil
    }

    @usableFromInline mutating func dropCancelledHead() {
        while let head = heap.minKey, !cancelled.isEmpty, cancelled.contains(head.sequence) {
            _ = heap.removeMin(notAfter: .max)
            cancelled.remove(head.sequence)
        }
    }

    /// Advances the clock to `time` with no event (e.g. to the end of a run horizon).
    public mutating func advance(to time: SimTime) {
        precondition(time >= now)
        _now = time.nanoseconds
    }
}

/// Moving events between queues, for a model run as independent parts (each part on its own
/// queue for a stretch of time, see `ClusterSimulation`): events keep their times and sequence
/// numbers, so within a part they run in exactly the order one queue would give.
extension EventQueue {
    /// The sequence number the next scheduled event will get.
    public var nextSequenceNumber: UInt64 { nextSequence }

    /// Removes and returns every live event with its time and sequence, in order (cancelled
    /// events are dropped).
    public mutating func removeAll() -> [(time: SimTime, sequence: UInt64, event: Event)] {
        var out: [(time: SimTime, sequence: UInt64, event: Event)] = []
        out.reserveCapacity(heap.count)
        while let head = heap.removeMin(notAfter: .max) {
            if !cancelled.isEmpty, cancelled.remove(head.sequence) != nil { continue }
            out.append((SimTime(nanoseconds: head.time), head.sequence, head.element))
        }
        cancelled.removeAll()
        return out
    }

    /// Queues an event taken from another queue, with its own time and sequence number.
    public mutating func insert(_ event: Event, at time: SimTime, sequence: UInt64) {
        precondition(time >= now, "cannot schedule an event in the past (\(time) < \(now))")
        heap.insert(time: time.nanoseconds, sequence: sequence, element: event)
    }

    /// Moves the clock forward to `time` and the sequence counter up to `sequence` (neither goes
    /// back), and counts `processed` more events as delivered.
    public mutating func catchUp(to time: SimTime, sequence: UInt64, processed: UInt64 = 0) {
        _now = Swift.max(_now, time.nanoseconds)
        nextSequence = Swift.max(nextSequence, sequence)
        _processed &+= processed
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
