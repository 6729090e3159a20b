/// 128 bits that identify a value: a digest's first half, or a keyed hash of a string (``init(hashing:)``). With n
/// different values, two of them share their keys with probability about n² / 2^129: 1.3 × 10^-24 at 30 million.
public struct Key128: Hashable, Sendable {
    var words: (UInt32, UInt32, UInt32, UInt32)

    init(_ a: UInt64, _ b: UInt64) {
        words = (
            UInt32(truncatingIfNeeded: a), UInt32(truncatingIfNeeded: a >> 32), UInt32(truncatingIfNeeded: b),
            UInt32(truncatingIfNeeded: b >> 32)
        )
    }

    /// Two 64-bit SipHash values of `s` under the process's random key (Swift's `Hasher`), one per domain byte. They
    /// follow String equality (canonically equivalent spellings hash alike), and no one can choose two strings that
    /// collide without the key, which changes with every process: keys are for this process's tables, never stored.
    public init(hashing s: String) {
        var first = Hasher()
        first.combine(UInt8(0))
        first.combine(s)
        var second = Hasher()
        second.combine(UInt8(1))
        second.combine(s)
        self.init(UInt64(UInt(bitPattern: first.finalize())), UInt64(UInt(bitPattern: second.finalize())))
    }

    public static func == (l: Key128, r: Key128) -> Bool {
        l.words.0 == r.words.0 && l.words.1 == r.words.1 && l.words.2 == r.words.2 && l.words.3 == r.words.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(UInt64(words.0) | UInt64(words.1) << 32)
        hasher.combine(UInt64(words.2) | UInt64(words.3) << 32)
    }

    /// 32 mixed bits of the key (keys need not be random: a test's digests may be mostly zeros).
    var placement: UInt32 {
        var h = (UInt64(words.0) | UInt64(words.1) << 32) &* 0x9E37_79B9_7F4A_7C15
        h ^= UInt64(words.2) | UInt64(words.3) << 32
        h ^= h >> 29
        h = h &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 32
        return UInt32(truncatingIfNeeded: h)
    }
}
