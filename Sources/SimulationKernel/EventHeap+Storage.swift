/// Where queued events wait while their keys are ordered: slots that never move, reused last
/// freed first (so the next push writes memory the last pop just read).
///
/// The owner knows which slots are live (its keys name them) and deinitializes those before the
/// slab goes; the slab itself only frees memory.
@usableFromInline
struct EventSlab<Element>: ~Copyable {
    @usableFromInline var payloads: UnsafeMutablePointer<Element>
    /// Freed slots, a stack.
    @usableFromInline var free: UnsafeMutablePointer<Int32>
    @usableFromInline var capacity: Int
    @usableFromInline var freeCount = 0
    /// Slots `0 ..< used` have been handed out at least once.
    @usableFromInline var used = 0

    @usableFromInline static var maxCapacity: Int { 1 << 24 }

    @inlinable init() {
        capacity = 16
        payloads = .allocate(capacity: capacity)
        free = .allocate(capacity: capacity)
    }

    @inlinable deinit {
        payloads.deallocate()
        free.deallocate()
    }

    /// Moves `element` into a slot and returns the slot. O(1) amortised.
    @inlinable @inline(__always)
    mutating func store(_ element: Element) -> Int {
        let slot: Int
        if freeCount > 0 {
            freeCount &-= 1
            slot = Int(truncatingIfNeeded: free[freeCount])
        } else {
            if used == capacity { grow() }
            slot = used
            used &+= 1
        }
        (payloads + slot).initialize(to: element)
        return slot
    }

    /// Moves the element out of `slot` and frees the slot. O(1).
    @inlinable @inline(__always)
    mutating func take(_ slot: Int) -> Element {
        free[freeCount] = Int32(truncatingIfNeeded: slot)
        freeCount &+= 1
        return (payloads + slot).move()
    }

    /// Ends a live slot's element without freeing the slot (for the owner's deinit).
    @inlinable
    func deinitialize(_ slot: Int) {
        (payloads + slot).deinitialize(count: 1)
    }

    /// Doubles the slots. Called only when none is free, so every slot in use is live and moves.
    @inlinable @inline(never)
    mutating func grow() {
        precondition(capacity < EventSlab.maxCapacity, "more than \(EventSlab.maxCapacity) events pending at once")
        let newCapacity = Swift.min(capacity * 2, EventSlab.maxCapacity)
        let moved = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        moved.moveInitialize(from: payloads, count: used)
        payloads.deallocate()
        payloads = moved
        free.deallocate()
        free = .allocate(capacity: newCapacity)
        capacity = newCapacity
    }
}

extension EventHeap {
    /// Sorted shape, no room after the last key: slide down if the front has room enough to be
    /// worth it (amortised O(1) per push), otherwise grow.
    @inlinable @inline(never)
    mutating func makeRoomAtBack() {
        if head >= count / 2 &+ 8 { slideToFront() } else { growKeys() }
    }

    /// Doubles the key array, live keys first (`head` becomes 0).
    @inlinable @inline(never)
    mutating func growKeys() {
        let newCapacity = keyCapacity * 2
        let grown = UnsafeMutablePointer<Key>.allocate(capacity: newCapacity)
        grown.initialize(from: keys + (isSorted ? head : 0), count: count)
        keys.deallocate()
        keys = grown
        keyCapacity = newCapacity
        head = 0
    }

    /// Moves the sorted keys to the start of the array.
    @inlinable
    mutating func slideToFront() {
        if head > 0 { keys.update(from: keys + head, count: count) }
        head = 0
    }

    /// Sorted → heap: an ascending array already satisfies the heap order.
    @inlinable
    mutating func becomeHeap() {
        slideToFront()
        if count == keyCapacity { growKeys() }  // a spare slot for the push under way
        isSorted = false
    }

    @inlinable
    mutating func becomeSorted() {
        var live = UnsafeMutableBufferPointer(start: keys, count: count)
        live.sort { $0.precedes($1) }
        head = 0
        isSorted = true
    }
}
