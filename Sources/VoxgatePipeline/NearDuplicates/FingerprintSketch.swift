/// What the near-duplicate index keeps of a clip's fingerprint: a few of its sub-fingerprints, each with its
/// frame and the low 16 bits of the word ``pairDistance`` frames later, chosen so that a copy is likely to
/// reproduce them.
///
/// The informative span (first to last sub-fingerprint that is not 0) is cut into ``size`` equal parts and
/// each part gives its most stable frame: the one whose key bits differ least from its neighbours'
/// (``instabilities(_:into:)``). Frames 4 apart (32 ms, the fingerprint's own lag) carry nearly independent bits
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

    /// Marks a frame without a key in ``instabilities(_:into:)``.
    static let noKey: UInt8 = 255

    /// Writes, for each frame, the key bits of the frame and of its later word that differ from their
    /// neighbours' (0 to 66): low for a frame inside a steady sound, whose key a copy reproduces even when its
    /// frames fall between the original's. ``noKey`` for a frame without a key (quiet, a quiet later word, or
    /// too near the end for the later word's neighbour). Words outside the fingerprint count as 0.
    static func instabilities(_ fp: UnsafeBufferPointer<UInt32>, into out: UnsafeMutablePointer<UInt8>) {
        let d = pairDistance
        let n = fp.count
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 2 * (n + 1)) { buffer in
            // Bits that change from frame k - 1 to frame k in the first and the second part of a key: a frame's
            // instability is four of them.
            let keyChanges = buffer.baseAddress!, secondChanges = buffer.baseAddress! + (n + 1)
            var previous: UInt32 = 0
            for k in 0...n {
                let word = k < n ? fp[k] : 0
                keyChanges[k] = UInt8(truncatingIfNeeded: ((previous ^ word) & keyMask).nonzeroBitCount)
                secondChanges[k] = UInt8(truncatingIfNeeded: ((previous ^ word) & secondMask).nonzeroBitCount)
                previous = word
            }
            for i in 0..<n {
                guard i + d + 1 < n, fp[i] & keyMask != 0, fp[i + d] != 0 else {
                    out[i] = noKey
                    continue
                }
                out[i] = keyChanges[i] + keyChanges[i + 1] + secondChanges[i + d] + secondChanges[i + d + 1]
            }
        }
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
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: fp.count) { buffer in
                let instability = buffer.baseAddress!
                Self.instabilities(fp, into: instability)
                for part in 0..<parts {
                    let lo = first + span * part / parts
                    let hi = first + span * (part + 1) / parts
                    var best = -1
                    var bestScore = Self.noKey
                    for i in lo..<hi where instability[i] < bestScore {
                        best = i
                        bestScore = instability[i]
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
}
