/// Bit-error comparison of two fingerprints at a relative offset, skipping frames without reliable bits.
public enum FingerprintComparison {
    /// Bit errors and bits compared between `a[i]` and `b[i + offset]` over their overlap, leaving out pairs
    /// where either sub-fingerprint is 0 (a quiet frame).
    @inlinable
    public static func bitErrors(
        _ a: UnsafeBufferPointer<UInt32>, _ b: UnsafeBufferPointer<UInt32>, offset: Int
    ) -> (errors: Int, bits: Int) {
        let lo = Swift.max(0, -offset)
        let hi = Swift.min(a.count, b.count - offset)
        guard lo < hi else { return (0, 0) }
        var errors = 0, words = 0
        for i in lo..<hi {
            let x = a[i], y = b[i &+ offset]
            if x == 0 || y == 0 { continue }
            errors &+= (x ^ y).nonzeroBitCount
            words &+= 1
        }
        return (errors, words &* 32)
    }

    /// The offset in `offsets` with the lowest bit error rate among those comparing at least `minBits` bits.
    /// - Returns: the offset (b's frame for a's frame 0), the bit error rate and the bits compared; nil when
    ///   no offset compares enough bits.
    @inlinable
    public static func bestOffset(
        _ a: UnsafeBufferPointer<UInt32>, _ b: UnsafeBufferPointer<UInt32>, offsets: ClosedRange<Int>, minBits: Int
    ) -> (offset: Int, bitErrorRate: Double, bits: Int)? {
        var best: (offset: Int, bitErrorRate: Double, bits: Int)?
        for offset in offsets {
            let (errors, bits) = bitErrors(a, b, offset: offset)
            guard bits >= minBits else { continue }
            let rate = Double(errors) / Double(bits)
            if best == nil || rate < best!.bitErrorRate { best = (offset, rate, bits) }
        }
        return best
    }
}
