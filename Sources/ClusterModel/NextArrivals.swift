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

    /// Sets the next arrival of `stream`, held at `leaf` (the stream's own index, unless this
    /// tree holds only some of the streams: see `ClusterSimulation`'s parts).
    @inline(__always)
    mutating func set(_ leaf: Int, stream: Int, time: Int64, sequence: UInt64) {
        if leaf == 0 && leaves <= 1 {
            // One traffic stream (the usual case): nothing to compare, no tree to keep.
            leaves = 1
            earliest = Arrival(time: time, sequence: sequence, stream: stream)
            return
        }
        if leaf >= leaves { grow(toHold: leaf) }
        let root = tree.withUnsafeMutableBufferPointer { t -> Key in
            var i = leaves + leaf
            var winner = Self.key(time: time, sequence: sequence, stream: stream)
            t[i] = winner
            // Sixteen levels at most (65,536 streams), written out rather than looped: which
            // stream wins a match is a coin toss, so a branch on it is mispredicted about half the
            // time at every level — most of an arrival's cost with 200 streams — and the compiler
            // turns a select inside a loop into just such a branch. Straight-line, it stays a
            // conditional move; the `i > 1` tests are the same on every call, so they predict.
            Self.climb(t, &i, &winner); Self.climb(t, &i, &winner); Self.climb(t, &i, &winner); Self.climb(t, &i, &winner)
            Self.climb(t, &i, &winner); Self.climb(t, &i, &winner); Self.climb(t, &i, &winner); Self.climb(t, &i, &winner)
            Self.climb(t, &i, &winner); Self.climb(t, &i, &winner); Self.climb(t, &i, &winner); Self.climb(t, &i, &winner)
            Self.climb(t, &i, &winner); Self.climb(t, &i, &winner); Self.climb(t, &i, &winner); Self.climb(t, &i, &winner)
            return winner
        }
        earliest = Self.arrival(root)
    }

    /// One level up the path from node `i`: the parent's key becomes the earlier of `winner` and
    /// the sibling's.
    @inline(__always)
    static func climb(_ t: UnsafeMutableBufferPointer<Key>, _ i: inout Int, _ winner: inout Key) {
        guard i > 1 else { return }
        let sibling = t[i ^ 1]
        winner = sibling < winner ? sibling : winner
        i >>= 1
        t[i] = winner
    }

    @inline(__always)
    static func arrival(_ k: Key) -> Arrival {
        let time = Int64(bitPattern: UInt64(truncatingIfNeeded: k >> 64))
        let low = UInt64(truncatingIfNeeded: k)
        guard time != .max else { return Arrival() }
        return Arrival(time: time, sequence: low >> 16, stream: Int(low & 0xFFFF))
    }

    /// The next arrival held at `leaf` (time `.max` when its stream has ended or was never set).
    func arrival(atLeaf leaf: Int) -> Arrival {
        if leaves <= 1 { return leaf == 0 ? earliest : Arrival() }
        return leaf < leaves ? Self.arrival(tree[leaves + leaf]) : Arrival()
    }

    /// Rebuilds the tree with room for `leaf` (streams are added once, at the start of a run).
    private mutating func grow(toHold leaf: Int) {
        precondition(leaf < 1 << 16, "at most 65,536 traffic streams")
        let old: [Key] = leaves == 0 ? [] : leaves == 1 ? [Self.key(time: earliest.time, sequence: earliest.sequence, stream: earliest.stream)]
            : Array(tree[leaves..<(2 * leaves)])
        var size = 2
        while size <= leaf { size *= 2 }
        leaves = size
        let ended = Self.key(time: .max, sequence: .max, stream: 0)
        tree = Array(repeating: ended, count: 2 * size)
        for (k, key) in old.enumerated() { tree[size + k] = key }
        for i in stride(from: size - 1, through: 1, by: -1) { tree[i] = min(tree[2 * i], tree[2 * i + 1]) }
        earliest = Self.arrival(tree[1])
    }
}
