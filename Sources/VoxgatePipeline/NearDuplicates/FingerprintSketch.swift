/// What the near-duplicate index keeps of a clip's fingerprint: a few of its sub-fingerprints, each with its
/// frame and the low 16 bits of the word ``pairDistance`` frames later, chosen so that a copy is likely to
/// reproduce them.
///
/// The informative span (first to last sub-fingerprint that is not 0) is cut into ``size`` equal parts and
/// each part gives its most stable frame: the one whose key bits differ least from its neighbours'
/// (``instability(_:at:)``). Frames 4 apart (32 ms, the fingerprint's own lag) carry nearly independent bits
/// (measured on espeak-ng and real speech: 51% of bits differ, against 16% between neighbours), so a key made
/// of two such words is long without needing more bits of either.
struct FingerprintSketch {
    /// Sub-fingerprints kept per clip.
    static let size = 14
    /// Bits of a sub-fingerprint that the confirmation compares: the bands below about 2.2 kHz, which keep
    /// their bits best under noise and low-rate codecs (bit error rates 0.02–0.10 against 0.12–0.25 above).
    static let compareMask: UInt32 = 0x000F_FFFF
    /// Bits of a kept word that form the first part of its index key (the 17 lowest bands).
    static let keyMask: UInt32 = 0x0001_FFFF
    /// Bits of the later word kept with each entry (checked within ``NearDuplicateIndex``'s tolerance).
    static let secondMask: UInt32 = 0xFFFF
    /// Bits of the later word that complete the index key at least (17 + 11 = 28 exact bits); a large index
    /// takes more (``NearDuplicateIndex/secondKeyBits(capacity:)``).
    static let secondKeyBits = 11
    /// Frames between a kept word and the word that completes its key.
    static let pairDistance = 4

    var words: [UInt32]
    var frames: [Int]
    /// The low 16 bits of the word ``pairDistance`` frames after each kept word.
    var seconds: [UInt16]

    /// The index key of a word and its later word: the word's 17 key bits and the later word's low
    /// `secondBits` bits.
    @inline(__always)
    static func key(_ word: UInt32, second: UInt32, secondBits: Int) -> UInt64 {
        UInt64(word & keyMask) | UInt64(second & (1 << UInt32(secondBits) - 1)) << 17
    }

    /// Key bits of frame `i` and of its later word that differ from their neighbours' (0 to 66): low for a
    /// frame inside a steady sound, whose key a copy reproduces even when its frames fall between the
    /// original's. Words outside the fingerprint count as 0.
    @inline(__always)
    static func instability(_ fp: UnsafeBufferPointer<UInt32>, at i: Int) -> Int {
        @inline(__always) func word(_ k: Int) -> UInt32 { k >= 0 && k < fp.count ? fp[k] : 0 }
        let d = pairDistance
        let w = word(i) & keyMask
        let s = word(i + d) & secondMask
        return (w ^ word(i - 1) & keyMask).nonzeroBitCount + (w ^ word(i + 1) & keyMask).nonzeroBitCount
            + (s ^ word(i + d - 1) & secondMask).nonzeroBitCount + (s ^ word(i + d + 1) & secondMask).nonzeroBitCount
    }

    init(_ fingerprint: [UInt32]) {
        words = []
        frames = []
        seconds = []
        guard let first = fingerprint.firstIndex(where: { $0 != 0 }),
            let last = fingerprint.lastIndex(where: { $0 != 0 })
        else { return }
        let span = last - first + 1
        let parts = Swift.min(Self.size, span)
        let d = Self.pairDistance
        fingerprint.withUnsafeBufferPointer { fp in
            for part in 0..<parts {
                let lo = first + span * part / parts
                let hi = first + span * (part + 1) / parts
                var best = -1
                var bestScore = Int.max
                for i in lo..<hi where fp[i] & Self.keyMask != 0 && i + d < fp.count && fp[i + d] != 0 {
                    let score = Self.instability(fp, at: i)
                    if score < bestScore {
                        best = i
                        bestScore = score
                    }
                }
                if best >= 0 {
                    words.append(fp[best])
                    frames.append(best)
                    seconds.append(UInt16(truncatingIfNeeded: fp[best + d] & Self.secondMask))
                }
            }
        }
    }
}
