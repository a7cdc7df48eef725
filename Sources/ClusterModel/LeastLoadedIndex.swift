import BasicContainers

/// The routable replicas of a service grouped by outstanding requests, so that least-outstanding
/// routing finds a least-loaded replica in O(1) however many replicas the service has (a scan
/// is O(replicas) per request, and on 800 replicas it was most of a run's time).
///
/// Each load level is a FIFO list, linked through the replicas (`next`/`previous`, indexed by
/// replica): a replica joins the tail of its level whenever its load changes, and `leastLoaded`
/// is the head of the lowest non-empty level — the replica that has been least loaded longest,
/// so ties rotate through the replicas as round robin would.
///
/// Complexity: `update` O(1) for the ±1 changes requests make (a larger jump in load may walk the
/// levels between); `insert` O(1); `remove` O(1), or O(levels) when it empties the lowest level;
/// `leastLoaded` O(1). Memory: three integers per replica and two per load level.
struct LeastLoadedIndex: ~Copyable {
    /// A replica's place: its level (-1 when not in the index) and its neighbours there. One
    /// record per replica, and uniquely held storage, so an update touches one cache line per
    /// replica and checks no reference counts.
    struct Place { var level: Int32 = -1, next: Int32 = -1, previous: Int32 = -1 }
    struct Level { var head: Int32 = -1, tail: Int32 = -1 }
    private var places = UniqueArray<Place>()
    private var levels = UniqueArray<Level>()
    /// The lowest non-empty level (meaningful when `count` > 0).
    private var lowest = 0
    private(set) var count = 0

    init() {}

    /// The least-loaded routable replica, or nil when none is.
    @inline(__always)
    var leastLoaded: Int32? { count > 0 ? levels[lowest].head : nil }

    func contains(_ replica: Int32) -> Bool { Int(replica) < places.count && places[Int(replica)].level >= 0 }
    func load(of replica: Int32) -> Int32 { places[Int(replica)].level }

    /// Adds a replica that became routable, with its current load.
    mutating func insert(_ replica: Int32, load: Int32) {
        let r = Int(replica)
        while places.count <= r { places.append(Place()) }
        precondition(places[r].level < 0, "replica \(replica) is already routable")
        link(r, at: Int(load))
        count += 1
        if count == 1 || Int(load) < lowest { lowest = Int(load) }
    }

    /// Takes out a replica that is no longer routable.
    mutating func remove(_ replica: Int32) {
        let r = Int(replica)
        guard r < places.count, places[r].level >= 0 else { return }
        let l = Int(places[r].level)
        unlink(r)
        count -= 1
        if count == 0 { lowest = 0; return }
        if l == lowest { raiseLowest() }
    }

    /// The replica's outstanding requests changed.
    @inline(__always)
    mutating func update(_ replica: Int32, load: Int32) {
        let r = Int(replica)
        let old = Int(places[r].level), new = Int(load)
        guard old != new else { return }
        unlink(r)
        link(r, at: new)
        if new < lowest { lowest = new } else if old == lowest { raiseLowest() }
    }

    @inline(__always)
    private mutating func raiseLowest() {
        while levels[lowest].head < 0 { lowest += 1 }
    }

    @inline(__always)
    private mutating func link(_ r: Int, at l: Int) {
        while levels.count <= l { levels.append(Level()) }
        let last = levels[l].tail
        places[r] = Place(level: Int32(l), next: -1, previous: last)
        if last >= 0 { places[Int(last)].next = Int32(r) } else { levels[l].head = Int32(r) }
        levels[l].tail = Int32(r)
    }

    @inline(__always)
    private mutating func unlink(_ r: Int) {
        let place = places[r]
        let l = Int(place.level), p = Int(place.previous), n = Int(place.next)
        if p >= 0 { places[p].next = Int32(n) } else { levels[l].head = Int32(n) }
        if n >= 0 { places[n].previous = Int32(p) } else { levels[l].tail = Int32(p) }
        places[r].level = -1
    }

    /// Problems with the index's own structure (for `ClusterSimulation.invariantViolations`).
    func structuralProblems() -> [String] {
        var problems: [String] = [], seen = 0
        for l in 0..<levels.count {
            var r = Int(levels[l].head), before = -1
            while r >= 0 {
                if places[r].level != l { problems.append("replica \(r) listed at load \(l) but recorded at \(places[r].level)") }
                if places[r].previous != before { problems.append("replica \(r): broken link at load \(l)") }
                seen += 1; before = r; r = Int(places[r].next)
                if seen > places.count { return problems + ["a cycle at load \(l)"] }
            }
            if levels[l].tail != before { problems.append("load \(l): tail is not the last replica") }
            if l < lowest && levels[l].head >= 0 { problems.append("load \(l) is below the lowest recorded (\(lowest))") }
        }
        if seen != count { problems.append("\(seen) replicas listed, \(count) counted") }
        if count > 0 && levels[lowest].head < 0 { problems.append("lowest load \(lowest) is empty") }
        return problems
    }
}
