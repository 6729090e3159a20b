import VoxgateDSP

/// Finds the kept clips a fingerprint is a copy of, without comparing it with every clip.
///
/// Each registered clip contributes its ``FingerprintSketch`` (16 sub-fingerprints with their frames and the
/// low 16 bits of the word 32 ms later) to a flat store, and one slot per sketch entry to an open-addressing
/// table (linear probing) placed by the low 20 bits of the word. A slot holds the clip's ordinal, 6 check bits
/// of the 20-bit key's hash and the 16 later bits, so a probe reads a short run of contiguous slots and accepts
/// only entries whose later word also agrees (at most ``secondTolerance`` bits apart from the query's word 32 ms
/// later or either neighbour of it): a 40-bit key, tolerant of one flipped bit and one frame of drift in its
/// second half. A query probes every informative frame it has (a copy reproduces a
/// sketch key at the aligned frame in many frames, depending on the transformation); each candidate (clip,
/// offset) is confirmed by the bit error rate between the clip's whole sketch and the query's sub-fingerprints
/// at that offset (± 2 frames). Unrelated speech differs in about 46% of the bits; a copy in 0–24%.
///
/// - Complexity: insert O(1) amortised; query O(query frames) probes of a few contiguous slots each, issued in
///   batches of 16 independent loads. Random 20-bit key collisions grow with the index, but only those whose 16
///   later bits also agree (3 × 137 / 65536 ≈ 0.6% of them) reach the sketch store. Memory: 16 slots of 6 bytes
///   at 70–80% load plus 112 bytes of sketch, ≤ 250 bytes per clip. Measured (`voxgate-bench fingerprint-index`)
///   the probes' cache and TLB misses still make a query slower in a table of 100 MB than in one of 1 MB.
public struct NearDuplicateIndex: Sendable {
    /// A confirmed match.
    public struct Match: Sendable, Hashable {
        /// The registered clip's ordinal (the order of ``insert(_:)`` calls).
        public var ordinal: Int
        /// 1 − bit error rate over the compared sub-fingerprints.
        public var similarity: Double
        /// How much later the shared audio starts in the query than in the registered clip, in ms.
        public var offsetMilliseconds: Int
        /// Sub-fingerprints compared.
        public var compared: Int
    }

    /// Largest bit error rate of a match, over the low 20 bits of the sketch's sub-fingerprints (the top bits,
    /// the highest bands, are the first to go under noise). Measured on the transformation suite: copies at most
    /// 0.24 (white noise at 20 dB SNR; codecs at most 0.13); unrelated speech at least 0.29 (the same short
    /// sentence by two espeak-ng voices, which share their timing), real speech of others at least 0.38.
    public static let maxBitErrorRate = 0.16
    /// Bits by which a key's second half may differ from the registered one.
    static let secondTolerance = 2
    static let sketchSize = FingerprintSketch.size
    static let checkBits: UInt32 = 6
    static let maxLoad = 0.8
    /// Growth factor of the table: small, so that the load (and the bytes per clip) stays within 70–80%.
    static let growth = 1.15
    static let maxFrame = Int(UInt16.max)

    /// Per sketch entry: the low 20 bits of the word, and the low 8 bits of its frame in the top byte.
    private var sketchWords: [UInt32] = []
    private var sketchFrameHigh: [UInt8] = []
    private var sketchSeconds: [UInt16] = []
    /// The table: 6-byte slots, each (ordinal + 1) << checkBits | check (0: empty) then the key's second half,
    /// packed so that a probe touches one cache line (two bytes of padding after the last slot).
    private var table: SlotTable
    private var capacity: Int { table.capacity }
    private var used = 0
    public private(set) var count = 0
    /// The bit error rate a match may reach (``maxBitErrorRate``; tests raise it to see the distributions).
    var threshold = NearDuplicateIndex.maxBitErrorRate

    /// - Parameter expectedClips: clips to size the table for (it grows when needed).
    public init(expectedClips: Int = 1024) {
        let capacity = Swift.max(1024, Int(Double(expectedClips * Self.sketchSize) / Self.maxLoad) + 1)
        table = SlotTable(capacity: capacity)
        sketchWords.reserveCapacity(expectedClips * Self.sketchSize)
        sketchFrameHigh.reserveCapacity(expectedClips * Self.sketchSize)
        sketchSeconds.reserveCapacity(expectedClips * Self.sketchSize)
    }

    /// Bytes held by the index: the slot table and the sketches.
    public var memoryBytes: Int { table.byteCount + sketchWords.count * 7 }

    @inline(__always)
    private func frame(_ e: Int) -> Int { Int(sketchFrameHigh[e]) << 8 | Int(sketchWords[e] >> 24) }

    /// Registers a clip's fingerprint and returns its ordinal.
    @discardableResult
    public mutating func insert(_ fingerprint: [UInt32]) -> Int {
        precondition(count < 1 << (32 - Int(Self.checkBits)) - 1, "more clips than the index's 26-bit ordinals")
        let ordinal = count
        let sketch = FingerprintSketch(Array(fingerprint.prefix(Self.maxFrame)))
        for j in 0..<Self.sketchSize {
            let present = j < sketch.words.count
            let frame = present ? sketch.frames[j] : 0
            sketchWords.append(present ? sketch.words[j] & FingerprintSketch.keyMask | UInt32(frame & 0xFF) << 24 : 0)
            sketchFrameHigh.append(UInt8(frame >> 8))
            sketchSeconds.append(present ? sketch.seconds[j] : 0)
        }
        count += 1
        if !isKnownUniquelyReferenced(&table) { table = table.copy() }
        if Double(used + Self.sketchSize) > Double(capacity) * Self.maxLoad {
            rebuild(capacity: Int(Double(capacity) * Self.growth) + 1)
        } else {
            addKeys(of: ordinal)
        }
        return ordinal
    }

    private mutating func addKeys(of ordinal: Int) {
        let base = ordinal * Self.sketchSize
        let capacity = self.capacity
        for j in 0..<Self.sketchSize {
            let key = sketchWords[base + j] & FingerprintSketch.keyMask
            guard key != 0 else { continue }
            let second = sketchSeconds[base + j]
            // One slot per distinct key of the clip: a query finds every sketch entry with the key in the sketch.
            if (0..<j).contains(where: {
                sketchWords[base + $0] & FingerprintSketch.keyMask == key && sketchSeconds[base + $0] == second
            }) { continue }
            let (home, check) = Self.position(of: key, capacity: capacity)
            do {
                let raw = table.bytes
                var slot = home
                while raw.loadUnaligned(fromByteOffset: slot * 6, as: UInt32.self) != 0 {
                    slot += 1
                    if slot == capacity { slot = 0 }
                }
                raw.storeBytes(of: UInt32(ordinal + 1) << Self.checkBits | check, toByteOffset: slot * 6, as: UInt32.self)
                raw.storeBytes(of: second, toByteOffset: slot * 6 + 4, as: UInt16.self)
            }
            used += 1
        }
    }

    private mutating func rebuild(capacity: Int) {
        table = SlotTable(capacity: capacity)
        used = 0
        for ordinal in 0..<count { addKeys(of: ordinal) }
    }

    /// The home slot of a 20-bit key (multiply-shift onto any capacity) and its check bits.
    @inline(__always)
    static func position(of key: UInt32, capacity: Int) -> (Int, UInt32) {
        var h = UInt64(key) &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 29
        h = h &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 32
        let home = Int(truncatingIfNeeded: ((h >> 32) &* UInt64(capacity)) >> 32)
        return (home, UInt32(truncatingIfNeeded: h) & (1 << Self.checkBits - 1))
    }

    /// The best confirmed match of `fingerprint` among the registered clips, skipping ordinals for which
    /// `exclude` is true; nil when none is confirmed.
    public func bestMatch(_ fingerprint: [UInt32], excluding exclude: (Int) -> Bool = { _ in false }) -> Match? {
        guard count > 0 else { return nil }
        // Candidate (ordinal, offset in frames) pairs, each once.
        var candidates: [Int64] = []
        let capacity = self.capacity
        let d = FingerprintSketch.pairDistance
        let batch = 16
        var homes = (0..<batch).map { _ in (frame: 0, home: 0, check: UInt32(0)) }
        var previous: (UInt32, UInt32) = (0, 0)
        var touched: UInt32 = 0
        fingerprint.withUnsafeBufferPointer { query in
            do {
                let raw = UnsafeRawPointer(table.bytes)
                guard query.count > d + 1 else { return }
                var i = 0
                let end = query.count - d - 1
                while i < end {
                    // A batch of probe positions first, then one independent load each, so that their cache
                    // misses overlap instead of waiting for each other behind the probing loops' branches.
                    var n = 0
                    while i < end && n < batch {
                        let key = query[i] & FingerprintSketch.keyMask
                        let s1 = query[i + d] & FingerprintSketch.secondMask
                        if key != 0 && query[i + d] != 0 && (key, s1) != previous {
                            previous = (key, s1)
                            let (home, check) = Self.position(of: key, capacity: capacity)
                            homes[n] = (i, home, check)
                            n += 1
                        }
                        i += 1
                    }
                    for k in 0..<n { touched |= raw.loadUnaligned(fromByteOffset: homes[k].home * 6, as: UInt32.self) }
                    for k in 0..<n {
                        let (q, home, check) = homes[k]
                        let key = query[q] & FingerprintSketch.keyMask
                        // The later word of the pair, and its neighbours: a copy whose frames fall between the
                        // original's keeps the key in one of them. All three share the first half, hence the probe.
                        let s0 = query[q + d - 1] & FingerprintSketch.secondMask
                        let s1 = query[q + d] & FingerprintSketch.secondMask
                        let s2 = query[q + d + 1] & FingerprintSketch.secondMask
                        @inline(__always) func agrees(_ x: UInt32) -> Bool {
                            (x ^ s1).nonzeroBitCount <= Self.secondTolerance
                                || (x ^ s0).nonzeroBitCount <= Self.secondTolerance
                                || (x ^ s2).nonzeroBitCount <= Self.secondTolerance
                        }
                        var slot = home
                        while true {
                            let packed = raw.loadUnaligned(fromByteOffset: slot * 6, as: UInt64.self)
                            let entry = UInt32(truncatingIfNeeded: packed)
                            if entry == 0 { break }
                            slot += 1
                            if slot == capacity { slot = 0 }
                            guard entry & (1 << Self.checkBits - 1) == check,
                                agrees(UInt32(truncatingIfNeeded: packed >> 32) & 0xFFFF)
                            else { continue }
                            let ordinal = Int(entry >> Self.checkBits) - 1
                            let base = ordinal * Self.sketchSize
                            for j in 0..<Self.sketchSize
                            where sketchWords[base + j] & FingerprintSketch.keyMask == key
                                && agrees(UInt32(sketchSeconds[base + j]))
                            {
                                let offset = q - frame(base + j)
                                let candidate = Int64(ordinal) << 32 | Int64(offset + Int(Int32.max) / 2)
                                if !candidates.contains(candidate) { candidates.append(candidate) }
                            }
                        }
                    }
                }
            }
        }
        // `touched` only keeps the batch loads from being optimised away.
        if touched == .max { candidates.reserveCapacity(candidates.count + 1) }
        var best: Match?
        for candidate in candidates {
            let ordinal = Int(candidate >> 32)
            if exclude(ordinal) { continue }
            let offset = Int(candidate & 0xFFFF_FFFF) - Int(Int32.max) / 2
            guard let m = confirm(fingerprint, ordinal: ordinal, offset: offset) else { continue }
            if best == nil || (m.similarity, -m.ordinal, -abs(m.offsetMilliseconds), -m.offsetMilliseconds)
                > (best!.similarity, -best!.ordinal, -abs(best!.offsetMilliseconds), -best!.offsetMilliseconds)
            {
                best = m
            }
        }
        return best
    }

    /// The sketch of `ordinal` against `fingerprint` at `offset` ± 2 frames: the best alignment that compares
    /// at least half the sketch (and 8 sub-fingerprints) within ``maxBitErrorRate``.
    func confirm(_ fingerprint: [UInt32], ordinal: Int, offset: Int) -> Match? {
        let base = ordinal * Self.sketchSize
        let entries = (0..<Self.sketchSize).filter { sketchWords[base + $0] & FingerprintSketch.keyMask != 0 }
        let needed = Swift.max(8, (entries.count + 1) / 2)
        var best: Match?
        for shift in (offset - 2)...(offset + 2) {
            var errors = 0, compared = 0
            for j in entries {
                let i = frame(base + j) + shift
                guard i >= 0, i < fingerprint.count, fingerprint[i] != 0 else { continue }
                errors += ((fingerprint[i] ^ sketchWords[base + j]) & FingerprintSketch.keyMask).nonzeroBitCount
                compared += 1
            }
            guard compared >= needed else { continue }
            let rate = Double(errors) / Double(compared * FingerprintSketch.keyMask.nonzeroBitCount)
            guard rate <= threshold else { continue }
            let m = Match(
                ordinal: ordinal, similarity: 1 - rate, offsetMilliseconds: shift * AudioFingerprint.millisecondsPerFrame, compared: compared)
            if best == nil || m.similarity > best!.similarity { best = m }
        }
        return best
    }
}
