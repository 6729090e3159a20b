import VoxgateDSP

/// Finds the kept clips a fingerprint is a copy of, without comparing it with every clip.
///
/// Each registered clip contributes its ``FingerprintSketch`` (14 sub-fingerprints with their frames and the
/// low 16 bits of the word 32 ms later) to a flat store, and one slot per sketch entry to an open-addressing
/// table (linear probing) placed by a 28-bit key: the low 17 bits of the word and the low 11 bits of the word
/// 32 ms later. A slot holds the clip's ordinal, the word's next 6 bits and the later word's 16 bits, so a probe
/// reads a short run of contiguous slots and accepts entries whose 11 bits outside the key are within
/// ``tolerance`` of the query's. A query probes its stable frames (``maxQueryInstability``: about a third
/// of a speech clip's frames, the ones a sketch keeps) with the later word taken at 32 ms and at one frame either
/// side (a copy whose frames fall between the original's keeps the key in one of them); each candidate (clip,
/// offset) is confirmed by the bit error rate between the clip's whole sketch and the query's sub-fingerprints
/// at that offset (± 2 frames). Unrelated speech differs in about 46% of the bits; a copy in 0–24%.
///
/// Why 28 exact bits: a probe's cost must not grow with the index. With 20-bit keys (and the later word only
/// checked in the slot) 1M clips put 16 entries on every key and queries ran at 2.1k/s, against 51k/s at 10k
/// clips. At 28 bits 1M clips leave 0.05 entries per key and a probe reads 2.4 slots on average; beyond 2.4M
/// clips the keys lengthen (``secondKeyBits(capacity:)``: 3.4 slots per probe at 10M).
/// Fewer bits of the first word keep recall: on 174 clips of 1–10 s (espeak-ng and real speech; 14
/// transformations) Opus 24 kb/s recall is 0.989 with 17 + 11 bits, 0.954 with 20 + 8, and 0.983 with the
/// previous 20-bit keys.
///
/// Why 14 sub-fingerprints and a table at most 62% full: a probe that finds nothing reads the run of slots
/// from its home to the first empty one, 6.9 slots on average at 72% load and 2.4 at 58%, and that scan and
/// the cache line it spills into were half of a query's time. 14 sketch entries instead of 16 pay for the
/// emptier table within 256 bytes per clip and lose no recall on the 174 clips but for noise at 20 dB SNR
/// (0.902 against 0.931, a transformation beyond the test suite's).
///
/// Why a probe reads at most ``clipsPerKey`` clips: keys are not uniform. Resolved harmonics give alternating band
/// differences, and a few keys are held by a share of all clips (the most common by 0.16% of the frames of real
/// read speech, 0.48% of the synthetic corpus's; the unbiased Σp² of the 28-bit keys is 4.4e-6 and 1.6e-6 over two
/// real collections against 3.7e-9 for uniform keys). Without a bound, a probe of such a key read the sketch of
/// every clip holding it: 256 per probe at 1M synthetic clips, and the lookups were 83% of a 1M-clip first run's
/// CPU, growing as N². A probe now reads the latest ``clipsPerKey`` clips that hold its key (by ordinal: path
/// order), so that the decision depends on the clips registered, not on the table's layout; a copy shares 14
/// sketch entries with its original, most on keys far rarer than that.
///
/// - Complexity: insert O(1) amortised; query O(query frames) probes of a run of contiguous slots each (longer for
///   a common key: its entries are contiguous), reading at most ``clipsPerKey`` sketches, issued in batches of 16
///   independent loads, one batch ahead. Memory: 14 slots of 6 bytes at 54–62% load
///   plus 98 bytes of sketch, 234–254 bytes per clip.
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

    /// The work a query did: what makes its cost, counted so that a benchmark can show it does not grow with
    /// the index.
    public struct QueryWork: Sendable {
        /// Table probes (distinct keys of the query's stable frames).
        public var probes = 0
        /// Slots read, over all probes.
        public var slots = 0
        /// Sketches read: the clips of slots that agreed with a probe, latest first, until ``clipsPerKey`` held its
        /// key (a slot of another key that agrees by chance costs a read too).
        public var sketches = 0
        /// Distinct (clip, offset) candidates confirmed against their sketch.
        public var candidates = 0
        public init() {}
    }

    /// Largest bit error rate of a match, over the low 20 bits of the sketch's sub-fingerprints (the top bits,
    /// the highest bands, are the first to go under noise). Measured on the transformation suite: copies at most
    /// 0.24 (white noise at 20 dB SNR; codecs at most 0.13); unrelated speech at least 0.29 (the same short
    /// sentence by two espeak-ng voices, which share their timing), real speech of others at least 0.38.
    public static let maxBitErrorRate = 0.16
    /// Bits out of the 11 beside the key (the word's bits 17–22 and the later word's bits 11–15) by which an
    /// entry may differ from the probe. They reject most entries that share a key by chance (5.6% of random
    /// ones pass) without losing copies: on the 174 clips, Opus 24 kb/s recall is 0.977 with them, 0.989 without.
    static let tolerance = 3
    /// Bits of the word beside the key that a slot keeps (17–22).
    static let tagBits: UInt32 = 6
    static let sketchSize = FingerprintSketch.size
    /// Load at which the table grows.
    static let maxLoad = 0.62
    /// Growth factor of the table: small, so that the load (and the bytes per clip) stays within 54–62%.
    static let growth = 1.15
    static let maxFrame = Int(UInt16.max)
    /// Bytes per sketch entry: the word's low 24 bits, its frame (16 bits) and the later word's low 16 bits.
    static let entryBytes = 7

    /// The sketches, ``entryBytes`` per entry and ``sketchSize`` entries per clip (an absent entry is all 0),
    /// so that a clip's sketch is one read of 98 contiguous bytes; one byte of padding at the end lets any
    /// entry be read as one 8-byte load.
    private var sketches: [UInt8] = [0]
    /// The table: 6-byte slots, each (ordinal + 1) << tagBits | the word's bits 17–22 (0: empty), then the later
    /// word's low 16 bits.
    private var table: SlotTable
    private var capacity: Int { table.capacity }
    private var used = 0
    /// Bits of the later word in the keys (``secondKeyBits(capacity:)``), or a fixed number (tests).
    private var secondKeyBits: Int
    private let fixedSecondKeyBits: Int?
    public private(set) var count = 0
    /// The bit error rate a match may reach (``maxBitErrorRate``; tests raise it to see the distributions).
    var threshold = NearDuplicateIndex.maxBitErrorRate

    /// - Parameter expectedClips: clips to size the table for (it grows when needed).
    public init(expectedClips: Int = 1024) { self.init(expectedClips: expectedClips, secondKeyBits: nil) }

    init(expectedClips: Int, secondKeyBits fixed: Int?) {
        let capacity = Swift.max(1024, Int(Double(expectedClips * Self.sketchSize) / Self.maxLoad) + 1)
        table = SlotTable(capacity: capacity)
        fixedSecondKeyBits = fixed
        secondKeyBits = fixed ?? Self.secondKeyBits(capacity: capacity)
        sketches.reserveCapacity(expectedClips * Self.sketchSize * Self.entryBytes + 1)
    }

    /// Bytes held by the index: the slot table and the sketches.
    public var memoryBytes: Int { table.byteCount + sketches.count }

    /// A sketch entry: (word's low 24 bits, frame, later word's low 16 bits); the word is 0 for an absent entry.
    @inline(__always)
    private static func entry(_ sketches: UnsafeRawPointer, _ e: Int) -> (word: UInt32, frame: Int, second: UInt32) {
        let x = sketches.loadUnaligned(fromByteOffset: e * entryBytes, as: UInt64.self)
        return (
            UInt32(truncatingIfNeeded: x) & 0xFF_FFFF, Int(truncatingIfNeeded: x >> 24) & 0xFFFF,
            UInt32(truncatingIfNeeded: x >> 40) & 0xFFFF
        )
    }

    /// The bits beside a key that a slot keeps, packed for one comparison: the later word's bits above the key's
    /// (11–15 when the key takes 11), then the word's bits 17–22.
    @inline(__always)
    private static func beside(word: UInt32, second: UInt32, secondBits: Int) -> UInt32 {
        (second & 0xFFFF) >> UInt32(secondBits) | (word >> 17 & (1 << tagBits - 1)) << UInt32(16 - secondBits)
    }

    /// Registers a clip's fingerprint and returns its ordinal.
    @discardableResult
    public mutating func insert(_ fingerprint: [UInt32]) -> Int {
        precondition(count < 1 << (32 - Int(Self.tagBits)) - 1, "more clips than the index's 26-bit ordinals")
        let ordinal = count
        let sketch = FingerprintSketch(Array(fingerprint.prefix(Self.maxFrame)))
        sketches.removeLast()
        for j in 0..<Self.sketchSize {
            var x: UInt64 = 0
            if j < sketch.words.count {
                x =
                    UInt64(sketch.words[j] & 0xFF_FFFF) | UInt64(sketch.frames[j]) << 24 | UInt64(sketch.seconds[j])
                    << 40
            }
            for b in 0..<Self.entryBytes { sketches.append(UInt8(truncatingIfNeeded: x >> (8 * UInt64(b)))) }
        }
        sketches.append(0)
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
        let raw = table.bytes
        var added = 0
        sketches.withUnsafeBytes { store in
            let store = store.baseAddress!
            for j in 0..<Self.sketchSize {
                let (word, _, second) = Self.entry(store, base + j)
                guard word & FingerprintSketch.keyMask != 0 else { continue }
                // One slot per distinct key and bits beside it: a query finds every sketch entry with them.
                if (0..<j).contains(where: {
                    let other = Self.entry(store, base + $0)
                    return other.word & 0x7F_FFFF == word & 0x7F_FFFF && other.second == second
                }) {
                    continue
                }
                var slot = Self.home(
                    of: FingerprintSketch.key(word, second: second, secondBits: secondKeyBits), capacity: capacity)
                while raw.loadUnaligned(fromByteOffset: slot * 6, as: UInt32.self) != 0 {
                    slot += 1
                    if slot == capacity { slot = 0 }
                }
                let tag = word >> 17 & (1 << Self.tagBits - 1)
                raw.storeBytes(of: UInt32(ordinal + 1) << Self.tagBits | tag, toByteOffset: slot * 6, as: UInt32.self)
                raw.storeBytes(of: UInt16(second), toByteOffset: slot * 6 + 4, as: UInt16.self)
                added += 1
            }
        }
        used += added
    }

    /// Bits of the later word in the keys of a table of `capacity` slots: 11, plus one for each doubling of the
    /// entries it can hold beyond 2^25 (2.4M clips), so that there are at least 8 keys per entry and an entry
    /// shares a probe's key by chance at most once in 8 probes; at most 16 (the whole later word). With 28-bit
    /// keys at any size, a query of a 10M-clip index read 110 sketches by chance (11 at 1M) and ran at 5.7k/s.
    /// Longer keys cost some recall: on the 174 clips, Opus 24 kb/s recall is 0.977 with 11–13 bits (up to
    /// 9.6M clips), 0.966 with 14 (to 19M) and 0.960 with 15 (to 38M).
    static func secondKeyBits(capacity: Int) -> Int {
        let keys = Swift.max(2, Int(Double(capacity) * maxLoad) * 8)  // 8 keys per entry the table can hold
        let bits = Int.bitWidth - (keys - 1).leadingZeroBitCount - 17  // ⌈log2 keys⌉ - 17
        return Swift.min(16, Swift.max(FingerprintSketch.secondKeyBits, bits))
    }

    /// Bits of the keys (17 of the word, and those of the later word).
    public var keyBits: Int { 17 + secondKeyBits }

    private mutating func rebuild(capacity: Int) {
        table = SlotTable(capacity: capacity)
        secondKeyBits = fixedSecondKeyBits ?? Self.secondKeyBits(capacity: capacity)
        used = 0
        for ordinal in 0..<count { addKeys(of: ordinal) }
    }

    /// The home slot of a 28-bit key (multiply-shift onto any capacity).
    @inline(__always)
    static func home(of key: UInt64, capacity: Int) -> Int {
        var h = key &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 29
        h = h &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 32
        return Int(truncatingIfNeeded: ((h >> 32) &* UInt64(capacity)) >> 32)
    }

    /// The best confirmed match of `fingerprint` among the registered clips, skipping ordinals for which
    /// `exclude` is true; nil when none is confirmed.
    public func bestMatch(_ fingerprint: [UInt32], excluding exclude: (Int) -> Bool = { _ in false }) -> Match? {
        var work = QueryWork()
        return bestMatch(fingerprint, excluding: exclude, work: &work)
    }

    /// ``bestMatch(_:excluding:)``, adding what the query did to `work`.
    public func bestMatch(
        _ fingerprint: [UInt32], excluding exclude: (Int) -> Bool = { _ in false }, work: inout QueryWork
    ) -> Match? {
        guard count > 0 else { return nil }
        // Candidate (ordinal, offset in frames) pairs.
        var candidates: [Int64] = []
        fingerprint.withUnsafeBufferPointer { query in
            collectCandidates(query, into: &candidates, work: &work)
        }
        // Each (clip, offset) once.
        candidates.sort()
        var distinct = 0
        for candidate in candidates where distinct == 0 || candidates[distinct - 1] != candidate {
            candidates[distinct] = candidate
            distinct += 1
        }
        work.candidates += distinct
        var best: Match?
        for candidate in candidates[..<distinct] {
            let ordinal = Int(candidate >> 32)
            let offset = Int(candidate & 0xFFFF_FFFF) - Int(Int32.max) / 2
            // Excluded after the confirmation, not before: few candidates are confirmed, and `exclude` (a path
            // comparison, for the index's callers) cost as much as confirming every candidate in a 1M-clip run.
            guard let m = confirm(fingerprint, ordinal: ordinal, offset: offset), !exclude(ordinal) else { continue }
            if best == nil
                || (m.similarity, -m.ordinal, -abs(m.offsetMilliseconds), -m.offsetMilliseconds)
                    > (best!.similarity, -best!.ordinal, -abs(best!.offsetMilliseconds), -best!.offsetMilliseconds)
            {
                best = m
            }
        }
        return best
    }

    /// Largest ``FingerprintSketch/instabilities(_:into:)`` of a query frame that is always probed. A sketch keeps the
    /// most stable frame of each part of a clip, and a copy keeps those frames stable (34% of speech frames are
    /// within 8 bits, 32% of its copies through Opus at 24 kb/s), so the query's unstable frames rarely find
    /// anything: on the 174 clips, probing only frames within 8 bits (a third of them) costs one clip of recall
    /// under MP3 at 32 kb/s and none under the other transformations. A query whose frames are less stable
    /// than speech's (noise-like sounds, or heavy noise over speech) also probes its most stable
    /// ``probedShare`` of frames, where its sketch's frames would be.
    static let maxQueryInstability = 8
    static let probedShare = 0.3
    /// Probes whose home slots are loaded together.
    static let batch = 16

    /// One key to look up: a stable query frame, one of its later words, and the other later words that give
    /// the same key (whose bits beside the key may differ).
    struct Probe {
        var home: Int
        var frame: Int32
        var seconds: (UInt16, UInt16, UInt16)
    }

    /// Probes the table with the keys of every stable query frame and appends each (ordinal, offset) whose
    /// sketch holds the key to `candidates`, once.
    private func collectCandidates(
        _ query: UnsafeBufferPointer<UInt32>, into candidates: inout [Int64], work: inout QueryWork
    ) {
        let d = FingerprintSketch.pairDistance
        let n = query.count
        guard n > d + 1 else { return }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: n) { instabilities in
            let limit = Self.stableFrames(query, instabilities: instabilities.baseAddress!)
            withUnsafeTemporaryAllocation(of: Probe.self, capacity: 3 * n) { probeBuffer in
                let count = makeProbes(
                    query, instabilities: instabilities.baseAddress!, limit: limit, into: probeBuffer.baseAddress!)
                work.probes += count
                withUnsafeTemporaryAllocation(of: Int32.self, capacity: Self.clipsPerKey + Self.spareReads) { heap in
                    runProbes(
                        UnsafeBufferPointer(start: probeBuffer.baseAddress!, count: count), query: query,
                        heap: heap.baseAddress!, into: &candidates, work: &work)
                }
            }
        }
    }

    /// Writes each frame's instability to `instabilities` (``FingerprintSketch/instabilities(_:into:)``) and returns
    /// the largest that is probed: ``maxQueryInstability``, or the bound below which
    /// ``probedShare`` of the frames fall if that is higher.
    private static func stableFrames(_ query: UnsafeBufferPointer<UInt32>, instabilities: UnsafeMutablePointer<UInt8>)
        -> Int
    {
        FingerprintSketch.instabilities(query, into: instabilities)
        var histogram = [Int](repeating: 0, count: 67)
        var informative = 0
        for i in 0..<query.count where instabilities[i] != FingerprintSketch.noKey {
            histogram[Int(instabilities[i])] += 1
            informative += 1
        }
        var below = 0
        for bound in 0..<histogram.count {
            below += histogram[bound]
            if Double(below) >= Double(informative) * Self.probedShare {
                return Swift.max(Self.maxQueryInstability, bound)
            }
        }
        return Self.maxQueryInstability
    }

    /// The probes of every frame whose instability is at most `limit`, in frame order: the later word at 32 ms
    /// and one frame either side (a copy whose frames fall between the original's keeps the key in one of
    /// them), those giving the same key sharing one probe, and none repeating one of the last four.
    private func makeProbes(
        _ query: UnsafeBufferPointer<UInt32>, instabilities: UnsafePointer<UInt8>, limit: Int,
        into probes: UnsafeMutablePointer<Probe>
    ) -> Int {
        let d = FingerprintSketch.pairDistance
        let buckets = capacity
        let secondBits = secondKeyBits
        let keyBits = UInt16(1 << secondBits - 1)
        var count = 0
        var recent: (UInt64, UInt64, UInt64, UInt64) = (.max, .max, .max, .max)
        @inline(__always) func add(_ frame: Int, _ word: UInt32, _ seconds: (UInt16, UInt16, UInt16)) {
            let tag =
                UInt64(word & 0x7F_FFFF) | UInt64(seconds.0) << 23 | UInt64(seconds.1 ^ seconds.0) << 39 | UInt64(
                    seconds.2 ^ seconds.0) << 48
            if tag == recent.0 || tag == recent.1 || tag == recent.2 || tag == recent.3 { return }
            recent = (tag, recent.0, recent.1, recent.2)
            let home = Self.home(
                of: FingerprintSketch.key(word, second: UInt32(seconds.0), secondBits: secondBits), capacity: buckets)
            probes[count] = Probe(home: home, frame: Int32(frame), seconds: seconds)
            count += 1
        }
        for i in 0..<query.count where Int(instabilities[i]) <= limit {
            let word = query[i]
            let s0 = UInt16(truncatingIfNeeded: query[i + d])
            var s1 = query[i + d - 1] != 0 ? UInt16(truncatingIfNeeded: query[i + d - 1]) : s0
            var s2 = query[i + d + 1] != 0 ? UInt16(truncatingIfNeeded: query[i + d + 1]) : s0
            var first = (s0, s0, s0)
            if (s1 ^ s0) & keyBits == 0 { (first.1, s1) = (s1, s0) }
            if (s2 ^ s0) & keyBits == 0 { (first.2, s2) = (s2, s0) }
            add(i, word, first)
            if s1 != s0 {
                var second = (s1, s1, s1)
                if (s2 ^ s1) & keyBits == 0 { (second.1, s2) = (s2, s0) }
                add(i, word, second)
            }
            if s2 != s0 { add(i, word, (s2, s2, s2)) }
        }
        return count
    }

    /// Looks the probes up in batches, one batch ahead: one independent load of each home slot of the next batch
    /// (and of the cache line after it, where a run of slots often continues) while the current batch is
    /// scanned, so that the cache misses overlap instead of waiting for each other behind the scanning loops'
    /// branches.
    private func runProbes(
        _ probes: UnsafeBufferPointer<Probe>, query: UnsafeBufferPointer<UInt32>, heap: UnsafeMutablePointer<Int32>,
        into candidates: inout [Int64], work: inout QueryWork
    ) {
        let raw = UnsafeRawPointer(table.bytes)
        var touched: UInt32 = 0
        @inline(__always) func load(_ range: Range<Int>) {
            for k in range {
                let offset = probes[k].home &* 6
                touched |= raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
                if offset & 63 > 40 { touched |= raw.loadUnaligned(fromByteOffset: offset &+ 64, as: UInt32.self) }
            }
        }
        var slots = 0, sketchesRead = 0
        var start = 0
        load(0..<Swift.min(probes.count, Self.batch))
        while start < probes.count {
            let end = Swift.min(probes.count, start + Self.batch)
            load(end..<Swift.min(probes.count, end + Self.batch))
            for k in start..<end {
                scan(
                    probes[k], word: query[Int(probes[k].frame)], raw: raw, heap: heap, into: &candidates,
                    slots: &slots, sketches: &sketchesRead)
            }
            start = end
        }
        work.slots += slots
        work.sketches += sketchesRead
        // `touched` only keeps the batch loads from being optimised away.
        if touched == .max { candidates.reserveCapacity(candidates.count + 1) }
    }

    /// Reads the run of slots from a probe's home to the first empty one and takes the clips of the entries that
    /// agree with it (``agrees``), the ``clipsPerKey`` latest (highest ordinals) first; for each, finds the sketch
    /// entries with the key and adds their (ordinal, offset) candidates, until ``clipsPerKey`` clips held the key.
    ///
    /// Which clips a probe reads is a function of the clips registered with the key, not of where the table
    /// placed them (its capacity, rebuilds, the order of other keys' inserts): the entries are ranked by ordinal,
    /// which is path order in a first run and in a nightly run whose new clips follow the released ones.
    @inline(__always)
    private func scan(
        _ p: Probe, word: UInt32, raw: UnsafeRawPointer, heap: UnsafeMutablePointer<Int32>,
        into candidates: inout [Int64], slots: inout Int, sketches sketchesRead: inout Int
    ) {
        let capacity = self.capacity
        let seconds = (UInt32(p.seconds.0), UInt32(p.seconds.1), UInt32(p.seconds.2))
        let secondBits = secondKeyBits
        let keyMask: UInt32 = 1 << UInt32(secondBits) - 1
        let besides = (
            Self.beside(word: word, second: seconds.0, secondBits: secondBits),
            Self.beside(word: word, second: seconds.1, secondBits: secondBits),
            Self.beside(word: word, second: seconds.2, secondBits: secondBits)
        )
        @inline(__always) func agrees(tag: UInt32, second: UInt32) -> Bool {
            guard (second ^ seconds.0) & keyMask == 0 else { return false }
            let b = Self.beside(word: tag << 17, second: second, secondBits: secondBits)
            return (b ^ besides.0).nonzeroBitCount <= Self.tolerance
                || (b ^ besides.1).nonzeroBitCount <= Self.tolerance
                || (b ^ besides.2).nonzeroBitCount <= Self.tolerance
        }
        // Whether the clip's sketch holds the key (an agreeing slot may be another key's, placed in this run);
        // adds its candidates if so.
        @inline(__always) func read(_ ordinal: Int) -> Bool {
            sketchesRead += 1
            let base = ordinal * Self.sketchSize
            var held = false
            sketches.withUnsafeBytes { store in
                for j in 0..<Self.sketchSize {
                    let e = Self.entry(store.baseAddress!, base + j)
                    guard (e.word ^ word) & FingerprintSketch.keyMask == 0,
                        agrees(tag: e.word >> 17 & (1 << Self.tagBits - 1), second: e.second)
                    else { continue }
                    held = true
                    candidates.append(Int64(ordinal) << 32 | Int64(Int(p.frame) - e.frame + Int(Int32.max) / 2))
                }
            }
            return held
        }
        let heapCapacity = Self.clipsPerKey + Self.spareReads
        var held = 0
        var below = Int32.max  // only ordinals below this: the clips of a pass before are read
        while true {
            // The latest `heapCapacity` agreeing ordinals below `below`, in a min-heap.
            var count = 0
            var dropped = false
            var slot = p.home
            while true {
                let packed = raw.loadUnaligned(fromByteOffset: slot * 6, as: UInt64.self)
                let head = UInt32(truncatingIfNeeded: packed)
                if head == 0 { break }
                slot += 1
                if slot == capacity { slot = 0 }
                let second = UInt32(truncatingIfNeeded: packed >> 32) & 0xFFFF
                guard agrees(tag: head & (1 << Self.tagBits - 1), second: second) else { continue }
                let ordinal = Int32(head >> Self.tagBits) - 1
                guard ordinal < below else { continue }
                if count < heapCapacity {
                    Self.heapPush(ordinal, heap, &count)
                } else {
                    dropped = true
                    if ordinal > heap[0] { Self.heapReplaceMinimum(ordinal, heap, count) }
                }
            }
            if below == Int32.max { slots += slot - p.home + (slot < p.home ? capacity : 0) }  // the first pass
            // Latest first, each clip once.
            var taken = UnsafeMutableBufferPointer(start: heap, count: count)
            if count > 1 { taken.sort(by: >) }
            var previous: Int32 = -1
            for ordinal in taken where ordinal != previous {
                previous = ordinal
                below = ordinal
                if read(Int(ordinal)) {
                    held += 1
                    if held == Self.clipsPerKey { return }
                }
            }
            // Fewer than clipsPerKey of them held the key (the others were other keys' entries, or a clip's
            // second entry): read on below the last one taken, if the heap left any.
            guard dropped else { return }
        }
    }

    /// Clips a probe reads at most: the latest that hold its key. A key a few sounds make (alternating band
    /// differences from resolved harmonics, say) is held by a share of all clips, so without a bound the
    /// clips a probe reads grow with the index, and a first run with the square of the corpus.
    static let clipsPerKey = 32
    /// Ordinals taken beyond ``clipsPerKey`` in one pass over a run, for entries that turn out not to hold the key.
    static let spareReads = 8

    @inline(__always)
    private static func heapPush(_ value: Int32, _ heap: UnsafeMutablePointer<Int32>, _ count: inout Int) {
        var i = count
        count += 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard heap[parent] > value else { break }
            heap[i] = heap[parent]
            i = parent
        }
        heap[i] = value
    }

    @inline(__always)
    private static func heapReplaceMinimum(_ value: Int32, _ heap: UnsafeMutablePointer<Int32>, _ count: Int) {
        var i = 0
        while true {
            let left = 2 * i + 1
            guard left < count else { break }
            let right = left + 1
            let child = right < count && heap[right] < heap[left] ? right : left
            guard heap[child] < value else { break }
            heap[i] = heap[child]
            i = child
        }
        heap[i] = value
    }

    /// The sketch of `ordinal` against `fingerprint` at `offset` ± 2 frames: the best alignment that compares
    /// at least half the sketch (and 8 sub-fingerprints) within ``maxBitErrorRate``.
    func confirm(_ fingerprint: [UInt32], ordinal: Int, offset: Int) -> Match? {
        let base = ordinal * Self.sketchSize
        // The sketch's entries on the stack, not in two arrays: this runs for every candidate of every lookup.
        typealias Entry = (word: UInt32, frame: Int)
        return withUnsafeTemporaryAllocation(of: Entry.self, capacity: Self.sketchSize) { entries in
            var count = 0
            sketches.withUnsafeBytes { store in
                for k in 0..<Self.sketchSize {
                    let e = Self.entry(store.baseAddress!, base + k)
                    guard e.word & FingerprintSketch.compareMask != 0 else { continue }
                    entries[count] = (e.word, e.frame)
                    count += 1
                }
            }
            let needed = Swift.max(8, (count + 1) / 2)
            var best: Match?
            for shift in (offset - 2)...(offset + 2) {
                var errors = 0, compared = 0
                for e in entries[..<count] {
                    let i = e.frame + shift
                    guard i >= 0, i < fingerprint.count, fingerprint[i] != 0 else { continue }
                    errors += ((fingerprint[i] ^ e.word) & FingerprintSketch.compareMask).nonzeroBitCount
                    compared += 1
                }
                guard compared >= needed else { continue }
                let rate = Double(errors) / Double(compared * FingerprintSketch.compareMask.nonzeroBitCount)
                guard rate <= threshold else { continue }
                let m = Match(
                    ordinal: ordinal, similarity: 1 - rate,
                    offsetMilliseconds: shift * AudioFingerprint.millisecondsPerFrame, compared: compared)
                if best == nil || m.similarity > best!.similarity { best = m }
            }
            return best
        }
    }
}
