/// What the near-duplicate index keeps of a clip's fingerprint: a few of its sub-fingerprints, each with its
/// frame, chosen so that a copy is likely to reproduce them.
///
/// The informative span (first to last sub-fingerprint that is not 0) is cut into ``size`` equal parts and
/// each part gives its most stable sub-fingerprint: the one whose low 24 bits differ least from its two
/// neighbours'. A stationary stretch of speech (a vowel) keeps its bits when the copy's frames fall a few
/// milliseconds off the original's or a codec smears its spectrum: measured on the transformation suite,
/// such frames reproduce their 24-bit keys about twice as often as frames chosen at random.
struct FingerprintSketch {
    /// Sub-fingerprints kept per clip.
    static let size = 16
    /// Bits of a sub-fingerprint that form its index key: the bands below about 2.2 kHz, which keep their
    /// bits best under noise and low-rate codecs (bit error rates 0.02–0.10 against 0.12–0.25 above).
    static let keyMask: UInt32 = 0x00FF_FFFF

    var words: [UInt32]
    var frames: [Int]

    init(_ fingerprint: [UInt32]) {
        words = []
        frames = []
        guard let first = fingerprint.firstIndex(where: { $0 != 0 }),
            let last = fingerprint.lastIndex(where: { $0 != 0 })
        else { return }
        let span = last - first + 1
        let parts = Swift.min(Self.size, span)
        for part in 0..<parts {
            let lo = first + span * part / parts
            let hi = first + span * (part + 1) / parts
            var best = -1
            var bestScore = Int.max
            for i in lo..<hi where fingerprint[i] & Self.keyMask != 0 {
                let w = fingerprint[i] & Self.keyMask
                let before = i > 0 ? fingerprint[i - 1] & Self.keyMask : 0
                let after = i + 1 < fingerprint.count ? fingerprint[i + 1] & Self.keyMask : 0
                let score = (w ^ before).nonzeroBitCount + (w ^ after).nonzeroBitCount
                if score < bestScore {
                    best = i
                    bestScore = score
                }
            }
            if best >= 0 {
                words.append(fingerprint[best])
                frames.append(best)
            }
        }
    }
}
