/// An entry of a ``ShardedTable``: a fixed-size value, all-zero when its slot is empty.
protocol TableEntry: Sendable {
    static var empty: Self { get }
    var isEmpty: Bool { get }
    /// 32 well-mixed bits that place the entry: the top 8 choose its shard, the low 24 its home slot there.
    var placement: UInt32 { get }
}

/// A hash set of fixed-size entries (open addressing, linear probing) in 256 shards, each grown on its own: no
/// heap block per entry, and growing rehashes one shard, so the table never holds two copies of itself (a
/// single table doubling at 2^k entries briefly holds 3× its entries' bytes).
///
/// A shard grows by half when it is 70% full, so the load stays within 47–70% (about 58% on average over
/// sizes): an entry of `e` bytes costs about e / 0.58 bytes.
struct ShardedTable<Entry: TableEntry>: Sendable {
    static var maxLoad: Double { 0.7 }

    private var shards: [[Entry]] = Array(repeating: [], count: 256)
    private var counts: [Int] = Array(repeating: 0, count: 256)
    private(set) var count = 0

    /// Bytes held by the slots.
    var memoryBytes: Int { shards.reduce(0) { $0 + $1.capacity * MemoryLayout<Entry>.stride } }

    @inline(__always)
    private static func home(_ placement: UInt32, capacity: Int) -> Int {
        Int((UInt64(placement & 0xFF_FFFF) &* UInt64(capacity)) >> 24)
    }

    /// The first entry found at `placement` for which `match` is true.
    func first(at placement: UInt32, where match: (Entry) -> Bool) -> Entry? {
        let shard = Int(placement >> 24)
        return shards[shard].withUnsafeBufferPointer { slots in
            guard !slots.isEmpty else { return nil }
            var i = Self.home(placement, capacity: slots.count)
            while true {
                let entry = slots[i]
                if entry.isEmpty { return nil }
                if match(entry) { return entry }
                i += 1
                if i == slots.count { i = 0 }
            }
        }
    }

    /// Adds `entry` (the caller knows it is not there yet).
    mutating func insert(_ entry: Entry) {
        let shard = Int(entry.placement >> 24)
        let capacity = shards[shard].count
        if Double(counts[shard] + 1) > Double(capacity) * Self.maxLoad {
            grow(shard, to: capacity < 64 ? Swift.max(16, capacity * 2) : capacity + capacity / 2)
        }
        Self.place(entry, in: &shards[shard])
        counts[shard] += 1
        count += 1
    }

    private static func place(_ entry: Entry, in slots: inout [Entry]) {
        slots.withUnsafeMutableBufferPointer { slots in
            var i = home(entry.placement, capacity: slots.count)
            while !slots[i].isEmpty {
                i += 1
                if i == slots.count { i = 0 }
            }
            slots[i] = entry
        }
    }

    private mutating func grow(_ shard: Int, to capacity: Int) {
        let old = shards[shard]
        shards[shard] = []  // the old slots are freed after the rehash, not kept beside a second copy
        var slots = [Entry](repeating: .empty, count: capacity)
        for entry in old where !entry.isEmpty { Self.place(entry, in: &slots) }
        shards[shard] = slots
    }
}

/// A ``Key128`` and the ordinal of the clip it leads to: 20 bytes.
struct KeyedOrdinal: TableEntry {
    var key: Key128
    /// The ordinal + 1 (0: empty slot).
    private var stored: UInt32

    init(_ key: Key128, ordinal: UInt32) {
        self.key = key
        stored = ordinal + 1
    }

    var ordinal: UInt32 { stored - 1 }
    static var empty: KeyedOrdinal { KeyedOrdinal(Key128(0, 0), stored: 0) }
    private init(_ key: Key128, stored: UInt32) {
        self.key = key
        self.stored = stored
    }
    var isEmpty: Bool { stored == 0 }
    var placement: UInt32 { key.placement }
}

/// A clip's ordinal and 32 bits of its path's hash (where it is placed, and a first check before the path is
/// compared): 8 bytes.
struct HashedOrdinal: TableEntry {
    var placement: UInt32
    /// The ordinal + 1 (0: empty slot).
    private var stored: UInt32

    init(placement: UInt32, ordinal: UInt32) {
        self.placement = placement
        stored = ordinal + 1
    }

    var ordinal: UInt32 { stored - 1 }
    static var empty: HashedOrdinal { HashedOrdinal(placement: 0, stored: 0) }
    private init(placement: UInt32, stored: UInt32) {
        self.placement = placement
        self.stored = stored
    }
    var isEmpty: Bool { stored == 0 }
}
