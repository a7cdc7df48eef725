/// The future-event set's storage: a min-priority queue keyed by (time, sequence).
///
/// Keys and payloads live apart. The ordered part holds 16-byte keys — the time, and the
/// sequence number with the payload's slot in its low bits — and the events themselves wait in
/// a slab of slots that never move (see `EventHeap+Storage.swift`). Keeping order moves keys
/// only, so a push shifts 16 bytes per event passed instead of the whole event.
///
/// Two shapes of the key array, one at a time:
/// - **Sorted** (up to `sortedLimit` events): `keys[head ..< head + count]` in ascending order. A
///   pop takes the front (O(1)); a push shifts whichever side of its place is shorter (the later
///   half up, or, when there is room before `head`, the earlier half down), so it moves at most
///   about half the others. A simulation at moderate load keeps a few dozen events pending, and
///   there this beats any heap.
/// - **Heap** (beyond it): a 4-ary min-heap that sifts with a hole (one move per level), with
///   four children per node to halve the depth. An ascending array is already a valid heap, so
///   the switch is free; switching back (below a quarter of the limit) is a sort.
///
/// swift-collections' `Heap` is a min-max heap: it keeps both ends ordered, which cost about a
/// third of a simulation's run time on pops we never need. Storage is held directly (the type is
/// noncopyable), so a push or pop makes no copy-on-write check.
///
/// Limits: 2⁴⁰ sequence numbers (about 10¹² events in one run) and 2²⁴ events pending at once.
///
/// Complexity: `insert` is O(n) worst case and about O(1) typically while sorted (n ≤ 256), and
/// O(log n) as a heap; `removeMin` is O(1) while sorted and O(log n) as a heap; `min` is O(1).
@usableFromInline
struct EventHeap<Element>: ~Copyable {
    /// An event going in or coming out.
    @usableFromInline struct Node {
        @usableFromInline var time: Int64
        @usableFromInline var sequence: UInt64
        @usableFromInline var element: Element
        @inlinable init(time: Int64, sequence: UInt64, element: Element) {
            self.time = time; self.sequence = sequence; self.element = element
        }
    }

    /// A queued event's place in the order: (time, sequence), with the payload's slot packed
    /// under the sequence. Sequences are distinct, so the slot bits never decide a comparison.
    @usableFromInline struct Key {
        @usableFromInline var time: Int64
        @usableFromInline var tag: UInt64

        @usableFromInline static var slotBits: UInt64 { 24 }

        @inlinable @inline(__always)
        init(time: Int64, sequence: UInt64, slot: Int) {
            self.time = time
            self.tag = sequence << Key.slotBits | UInt64(truncatingIfNeeded: slot)
        }
        @inlinable var sequence: UInt64 { tag >> Key.slotBits }
        @inlinable var slot: Int { Int(truncatingIfNeeded: tag & (1 << Key.slotBits &- 1)) }

        /// Lexicographic (time, tag), written without short-circuits so that it compiles to flag
        /// arithmetic: which child is smallest is a coin toss, and a mispredicted jump costs more
        /// than doing both comparisons.
        @inlinable @inline(__always)
        func precedes(_ other: Key) -> Bool {
            let earlier = time < other.time, tie = time == other.time, firstIn = tag < other.tag
            return earlier != (tie && firstIn)  // never both true, so != is "or"
        }
    }

    @usableFromInline static var sortedLimit: Int { 256 }

    /// The live keys: `keys[head ..< head + count]`, sorted, or `keys[0 ..< count]` as a heap.
    @usableFromInline var keys: UnsafeMutablePointer<Key>
    @usableFromInline var keyCapacity: Int
    @usableFromInline var head = 0
    @usableFromInline var count = 0
    @usableFromInline var isSorted = true
    @usableFromInline var slab: EventSlab<Element>

    @inlinable init() {
        keyCapacity = 16
        keys = .allocate(capacity: keyCapacity)
        slab = EventSlab()
    }

    @inlinable deinit {
        let first = isSorted ? head : 0
        for i in first ..< first + count { slab.deinitialize(keys[i].slot) }
        keys.deallocate()
    }

    /// The least key, if any.
    @inlinable var minKey: Key? { count == 0 ? nil : keys[isSorted ? head : 0] }

    /// True when the heap is empty or (time, sequence) comes before its minimum.
    @inlinable @inline(__always)
    func isEmptyOrAfter(time: Int64, sequence: UInt64) -> Bool {
        count == 0 || Key(time: time, sequence: sequence, slot: 0).precedes(keys[isSorted ? head : 0])
    }

    @inlinable @inline(__always)
    mutating func insert(time: Int64, sequence: UInt64, element: Element) {
        precondition(sequence >> (64 &- Key.slotBits) == 0, "event sequence numbers exhausted (2^40 events in one run)")
        insert(Key(time: time, sequence: sequence, slot: slab.store(element)))
    }

    /// The common case — sorted, with room after the last key — is inlined into the caller;
    /// growing, sliding and the heap shape are not.
    @inlinable @inline(__always)
    mutating func insert(_ key: Key) {
        let (start, n) = (head, count)
        guard isSorted && n < EventHeap.sortedLimit && start &+ n < keyCapacity else {
            return insertSlowly(key)
        }
        if start > 0 && n > 1 && key.precedes(keys[start &+ n >> 1]) {
            shiftEarlierDown(key)
        } else {
            shiftLaterUp(key)
        }
        checkInvariants()
    }

    /// Sorted, room before `head`, and the key belongs in the earlier half: the keys before its
    /// place move down one.
    @inlinable @inline(__always)
    mutating func shiftEarlierDown(_ key: Key) {
        var i = head &- 1
        while keys[i &+ 1].precedes(key) { keys[i] = keys[i &+ 1]; i &+= 1 }
        keys[i] = key
        head &-= 1
        count &+= 1
    }

    /// Sorted, room after the last key: the keys after its place move up one.
    @inlinable @inline(__always)
    mutating func shiftLaterUp(_ key: Key) {
        let start = head
        var i = start &+ count
        while i > start && key.precedes(keys[i &- 1]) { keys[i] = keys[i &- 1]; i &-= 1 }
        keys[i] = key
        count &+= 1
    }

    @inlinable @inline(never)
    mutating func insertSlowly(_ key: Key) {
        if isSorted {
            if count == EventHeap.sortedLimit {
                becomeHeap()
            } else {
                makeRoomAtBack()  // the fast path declined a sorted push only for want of room
                shiftLaterUp(key)
                checkInvariants()
                return
            }
        } else if count == keyCapacity {
            growKeys()
        }
        var i = count
        while i > 0 {
            let parent = (i &- 1) >> 2
            if !key.precedes(keys[parent]) { break }
            keys[i] = keys[parent]
            i = parent
        }
        keys[i] = key
        count &+= 1
        checkInvariants()
    }

    /// Removes and returns the minimum if its time is ≤ `limit` (one pass for the check and the pop).
    /// The sorted shape's pop is inlined into the caller's loop; the heap's sift is not.
    @inlinable @inline(__always)
    mutating func removeMin(notAfter limit: Int64) -> Node? {
        let n = count
        if n == 0 { return nil }
        if !isSorted { return removeHeapMin(notAfter: limit) }
        let top = keys[head]
        if top.time > limit { return nil }
        count = n &- 1
        head = count == 0 ? 0 : head &+ 1
        checkInvariants()
        return Node(time: top.time, sequence: top.sequence, element: slab.take(top.slot))
    }

    @inlinable @inline(never)
    mutating func removeHeapMin(notAfter limit: Int64) -> Node? {
        let top = keys[0]
        if top.time > limit { return nil }
        let m = count &- 1
        let last = keys[m]
        var i = 0
        while true {
            let first = 4 &* i &+ 1
            if first >= m { break }
            var child: Int
            if first &+ 3 < m {
                // All four children: a small tournament, two independent comparisons then one.
                let a = keys[first &+ 1].precedes(keys[first]) ? first &+ 1 : first
                let b = keys[first &+ 3].precedes(keys[first &+ 2]) ? first &+ 3 : first &+ 2
                child = keys[b].precedes(keys[a]) ? b : a
            } else {
                child = first
                var c = first &+ 1
                while c < m {
                    if keys[c].precedes(keys[child]) { child = c }
                    c &+= 1
                }
            }
            if !keys[child].precedes(last) { break }
            keys[i] = keys[child]
            i = child
        }
        keys[i] = last
        count = m
        if count < EventHeap.sortedLimit / 4 { becomeSorted() }
        checkInvariants()
        return Node(time: top.time, sequence: top.sequence, element: slab.take(top.slot))
    }
}
