import VoxgateDSP

/// Finds the kept clips a fingerprint is a copy of, without comparing it with every clip.
///
/// Each registered clip contributes its ``FingerprintSketch`` (20 sub-fingerprints with their frames) to a
/// flat store, and the low 24 bits of each of them as a key to an open-addressing table whose 32-bit slots
/// hold the clip's ordinal and 6 check bits of the key's hash. A query looks up the key of every
/// informative sub-fingerprint it has (a copy reproduces a sketch key at the aligned frame in 13–99% of
/// frames, depending on the transformation), which yields candidate clips with an offset; each candidate is
/// confirmed by the bit error rate between its whole sketch and the query's sub-fingerprints at that offset
/// (± 2 frames). Unrelated speech differs in about 46% of the bits; a copy in 0–24%.
///
/// - Complexity: insert O(1) amortised; query O(query frames) probes, each touching a short run of slots,
///   independent of the number of clips as long as keys are spread (the table is kept at most 70% full).
///   Memory: about 6 bytes per slot key at that load plus 120 bytes of sketch, ≈ 250 bytes per clip.
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

    /// Largest bit error rate of a match, over the low 24 bits of the sketch's sub-fingerprints (the top 8,
    /// 2.2–3.4 kHz, are the first to go under noise). Measured on the transformation suite: copies at most
    /// 0.24 (white noise at 20 dB SNR; codecs at most 0.13); unrelated speech at least 0.29 (the same short
    /// sentence by two espeak-ng voices, which share their timing), real speech of others at least 0.38.
    public static let maxBitErrorRate = 0.16
    static let sketchSize = FingerprintSketch.size
    static let checkBits: UInt32 = 6
    static let maxLoad = 0.7
    static let maxFrame = Int(UInt16.max)

    private var sketchWords: [UInt32] = []
    private var sketchFrames: [UInt16] = []
    private var slots: [UInt32]
    private var used = 0
    private var shift: UInt64
    public private(set) var count = 0
    /// The bit error rate a match may reach (``maxBitErrorRate``; tests raise it to see the distributions).
    var threshold = NearDuplicateIndex.maxBitErrorRate

    /// - Parameter expectedClips: clips to size the table for (it grows when needed).
    public init(expectedClips: Int = 1024) {
        var capacity = 1024
        while Double(capacity) * Self.maxLoad < Double(expectedClips * Self.sketchSize) { capacity <<= 1 }
        slots = [UInt32](repeating: 0, count: capacity)
        shift = UInt64(64 - capacity.trailingZeroBitCount)
        sketchWords.reserveCapacity(expectedClips * Self.sketchSize)
        sketchFrames.reserveCapacity(expectedClips * Self.sketchSize)
    }

    /// Bytes held by the index: the slot table and the sketches.
    public var memoryBytes: Int { slots.count * 4 + sketchWords.count * 4 + sketchFrames.count * 2 }

    /// Registers a clip's fingerprint and returns its ordinal.
    @discardableResult
    public mutating func insert(_ fingerprint: [UInt32]) -> Int {
        precondition(count < 1 << (32 - Int(Self.checkBits)) - 1, "more clips than the index's 26-bit ordinals")
        let ordinal = count
        let sketch = FingerprintSketch(Array(fingerprint.prefix(Self.maxFrame)))
        for j in 0..<Self.sketchSize {
            sketchWords.append(j < sketch.words.count ? sketch.words[j] : 0)
            sketchFrames.append(j < sketch.words.count ? UInt16(sketch.frames[j]) : 0)
        }
        count += 1
        if Double(used + Self.sketchSize) > Double(slots.count) * Self.maxLoad {
            rebuild(capacity: slots.count * 2)
        } else {
            addKeys(of: ordinal)
        }
        return ordinal
    }

    private mutating func addKeys(of ordinal: Int) {
        let base = ordinal * Self.sketchSize
        for j in 0..<Self.sketchSize {
            let key = sketchWords[base + j] & FingerprintSketch.keyMask
            guard key != 0 else { continue }
            // One slot per distinct key of the clip: a query finds every sketch entry with the key in the sketch.
            if (0..<j).contains(where: { sketchWords[base + $0] & FingerprintSketch.keyMask == key }) { continue }
            let (home, check) = position(of: key)
            var slot = home
            let mask = slots.count - 1
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = UInt32(ordinal + 1) << Self.checkBits | check
            used += 1
        }
    }

    private mutating func rebuild(capacity: Int) {
        slots = [UInt32](repeating: 0, count: capacity)
        shift = UInt64(64 - capacity.trailingZeroBitCount)
        used = 0
        for ordinal in 0..<count { addKeys(of: ordinal) }
    }

    @inline(__always)
    private func position(of key: UInt32) -> (Int, UInt32) {
        let h = UInt64(key) &* 0x9E37_79B9_7F4A_7C15
        return (Int(truncatingIfNeeded: h >> shift), UInt32(truncatingIfNeeded: h >> 20) & (1 << Self.checkBits - 1))
    }

    /// The best confirmed match of `fingerprint` among the registered clips, skipping ordinals for which
    /// `exclude` is true; nil when none is confirmed.
    public func bestMatch(_ fingerprint: [UInt32], excluding exclude: (Int) -> Bool = { _ in false }) -> Match? {
        guard count > 0 else { return nil }
        // Candidate (ordinal, offset in frames) pairs and how many keys voted for them.
        var votes: [Int64: Int] = [:]
        let mask = slots.count - 1
        var previousKey: UInt32 = 0
        fingerprint.withUnsafeBufferPointer { query in
            slots.withUnsafeBufferPointer { table in
                sketchWords.withUnsafeBufferPointer { words in
                    sketchFrames.withUnsafeBufferPointer { frames in
                        for i in 0..<query.count {
                            let key = query[i] & FingerprintSketch.keyMask
                            if key == 0 || key == previousKey { continue }
                            previousKey = key
                            let (home, check) = position(of: key)
                            var slot = home
                            while true {
                                let entry = table[slot]
                                if entry == 0 { break }
                                slot = (slot &+ 1) & mask
                                guard entry & (1 << Self.checkBits - 1) == check else { continue }
                                let ordinal = Int(entry >> Self.checkBits) - 1
                                let base = ordinal * Self.sketchSize
                                for j in 0..<Self.sketchSize where words[base + j] & FingerprintSketch.keyMask == key {
                                    let offset = i - Int(frames[base + j])
                                    votes[Int64(ordinal) << 32 | Int64(offset + Int(Int32.max) / 2), default: 0] += 1
                                }
                            }
                        }
                    }
                }
            }
        }
        var best: Match?
        for (candidate, _) in votes {
            let ordinal = Int(candidate >> 32)
            if exclude(ordinal) { continue }
            let offset = Int(candidate & 0xFFFF_FFFF) - Int(Int32.max) / 2
            guard let m = confirm(fingerprint, ordinal: ordinal, offset: offset) else { continue }
            // Votes come out of a dictionary in no fixed order: ties are broken so the choice is deterministic.
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
        let entries = (0..<Self.sketchSize).filter { sketchWords[base + $0] != 0 }
        let needed = Swift.max(8, (entries.count + 1) / 2)
        var best: Match?
        for shift in (offset - 2)...(offset + 2) {
            var errors = 0, compared = 0
            for j in entries {
                let i = Int(sketchFrames[base + j]) + shift
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
