/// The next external arrival of every traffic stream, kept beside the event queue rather than in
/// it: a stream always has exactly one next arrival, so it is cheaper to hold it here and compare
/// it with the queue's head (`EventQueue.precedesQueued`) than to push and pop it. Sequence
/// numbers come from the queue, so ties order exactly as if the arrivals were queued.
struct NextArrivals {
    struct Arrival {
        var time: Int64 = .max
        var sequence: UInt64 = .max
        var stream = -1
    }

    /// Per stream; time `.max` once a stream has ended.
    private var pending: [Arrival] = []
    /// The earliest of `pending` (time `.max` when none).
    private(set) var earliest = Arrival()

    @inline(__always)
    mutating func set(_ stream: Int, time: Int64, sequence: UInt64) {
        let arrival = Arrival(time: time, sequence: sequence, stream: stream)
        if stream == 0 && pending.count <= 1 {
            // One traffic stream (the usual case): nothing to compare, and `pending` (read only
            // to compare several streams) need not be kept.
            if pending.isEmpty { pending.append(arrival) }
            earliest = arrival
            return
        }
        while pending.count <= stream { pending.append(Arrival(stream: pending.count)) }
        pending[stream] = arrival
        earliest = pending.min { ($0.time, $0.sequence) < ($1.time, $1.sequence) } ?? Arrival()
    }
}
