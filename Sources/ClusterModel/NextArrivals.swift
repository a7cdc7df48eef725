/// The next external arrival of every traffic stream, kept beside the event queue rather than in
/// it: a stream always has exactly one next arrival, so it is cheaper to hold it here and compare
/// it with the queue's head (`EventQueue.precedesQueued`) than to push and pop it. Sequence
/// numbers come from the queue, so ties order exactly as if the arrivals were queued.
///
/// Several streams are kept in a tournament tree: leaves are the streams' next arrivals, each inner
/// node the earlier of its two children, the root the earliest of all. Setting a stream's next
/// arrival replays its path to the root: O(log streams), so a model with hundreds of traffic
/// streams pays a handful of comparisons per arrival, not hundreds. `earliest` is O(1).
struct NextArrivals {
    struct Arrival {
        var time: Int64 = .max
        var sequence: UInt64 = .max
        var stream = -1
    }

    /// An arrival as one 128-bit number that orders as (time, sequence): time in the high half,
    /// then the sequence (below 2^40, see `EventQueue.reserveSequence`) and the stream (below
    /// 2^16) in the low half. Comparing two is branch-free, and the tree stays small.
    typealias Key = UInt128

    @inline(__always)
    static func key(time: Int64, sequence: UInt64, stream: Int) -> Key {
        (Key(UInt64(bitPattern: time)) << 64) | Key((sequence & 0xFFFF_FFFF_FFFF) << 16 | UInt64(stream))
    }

    /// The tree in an array: node i's children are 2i and 2i + 1; leaves start at `leaves`
    /// (a power of two ≥ the streams); index 0 is unused.
    private var tree: [Key] = []
    private var leaves = 0
    /// The earliest of all streams (time `.max` when none).
    private(set) var earliest = Arrival()

    @inline(__always)
    mutating func set(_ stream: Int, time: Int64, sequence: UInt64) {
        if stream == 0 && leaves <= 1 {
            // One traffic stream (the usual case): nothing to compare, no tree to keep.
            leaves = 1
            earliest = Arrival(time: time, sequence: sequence, stream: 0)
            return
        }
        if stream >= leaves { grow(toHold: stream) }
        let root = tree.withUnsafeMutableBufferPointer { t -> Key in
            var i = leaves + stream
            t[i] = Self.key(time: time, sequence: sequence, stream: stream)
            while i > 1 {
                let winner = min(t[i], t[i ^ 1])
                i >>= 1
                t[i] = winner
            }
            return t[1]
        }
        earliest = Self.arrival(root)
    }

    @inline(__always)
    static func arrival(_ k: Key) -> Arrival {
        let time = Int64(bitPattern: UInt64(truncatingIfNeeded: k >> 64))
        let low = UInt64(truncatingIfNeeded: k)
        guard time != .max else { return Arrival() }
        return Arrival(time: time, sequence: low >> 16, stream: Int(low & 0xFFFF))
    }

    /// Rebuilds the tree with room for `stream` (streams are added once, at the start of a run).
    private mutating func grow(toHold stream: Int) {
        precondition(stream < 1 << 16, "at most 65,536 traffic streams")
        let old: [Key] = leaves == 0 ? [] : leaves == 1 ? [Self.key(time: earliest.time, sequence: earliest.sequence, stream: 0)]
            : Array(tree[leaves..<(2 * leaves)])
        var size = 2
        while size <= stream { size *= 2 }
        leaves = size
        let ended = Self.key(time: .max, sequence: .max, stream: 0)
        tree = Array(repeating: ended, count: 2 * size)
        for (k, key) in old.enumerated() { tree[size + k] = key }
        for i in stride(from: size - 1, through: 1, by: -1) { tree[i] = min(tree[2 * i], tree[2 * i + 1]) }
        earliest = Self.arrival(tree[1])
    }
}
