/// SplitMix64: the benchmarks' seeded random numbers (the same sequence on every machine).
struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// A mask with each bit set with probability 2^-k: the AND of k random words.
    mutating func mask(andOf k: Int) -> UInt32 {
        var m = UInt32.max
        for _ in 0..<k { m &= UInt32(truncatingIfNeeded: next()) }
        return m
    }
    /// Speech-like sub-fingerprints (as `fingerprint-index` makes them): 15.2% of the bits change per frame, a
    /// tenth of the frames quiet (0) in pauses.
    mutating func fingerprint(frames: Int) -> [UInt32] {
        var words = [UInt32](repeating: 0, count: frames)
        var w = UInt32(truncatingIfNeeded: next())
        var quiet = false
        for i in 0..<frames {
            w ^= mask(andOf: 3) | mask(andOf: 5)
            quiet = quiet ? next() % 25 != 0 : next() % 225 == 0
            words[i] = quiet ? 0 : w
        }
        return words
    }
}
