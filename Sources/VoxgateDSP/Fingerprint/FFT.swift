import RealModule

/// An in-place radix-2 complex FFT of one fixed power-of-two size, with its tables computed once.
///
/// Split real and imaginary arrays; iterative decimation in time (bit-reversal permutation, then log2(n)
/// butterfly passes). The fingerprint needs one 512-point transform per 16 ms of audio, so a plain
/// transform is ample; it is checked against a direct DFT in the tests.
public struct RadixTwoFFT: Sendable {
    public let size: Int
    @usableFromInline let cosines: [Float]
    @usableFromInline let sines: [Float]
    @usableFromInline let reversed: [Int32]

    public init(size: Int) {
        precondition(size >= 2 && size & (size - 1) == 0, "FFT size must be a power of two")
        self.size = size
        cosines = (0..<size / 2).map { Float(Double.cos(2 * .pi * Double($0) / Double(size))) }
        sines = (0..<size / 2).map { Float(-Double.sin(2 * .pi * Double($0) / Double(size))) }
        let bits = size.trailingZeroBitCount
        reversed = (0..<size).map { i in
            var r = 0
            for b in 0..<bits where i & (1 << b) != 0 { r |= 1 << (bits - 1 - b) }
            return Int32(r)
        }
    }

    /// Transforms `re` + i·`im` (each `size` long) in place: X[k] = Σ x[n] e^(−2πikn/N).
    @inlinable
    public func transform(re: UnsafeMutablePointer<Float>, im: UnsafeMutablePointer<Float>) {
        let n = size
        reversed.withUnsafeBufferPointer { rev in
            for i in 0..<n {
                let j = Int(rev[i])
                if j > i {
                    swap(&re[i], &re[j])
                    swap(&im[i], &im[j])
                }
            }
        }
        cosines.withUnsafeBufferPointer { cs in
            sines.withUnsafeBufferPointer { sn in
                var length = 2
                while length <= n {
                    let halfLength = length >> 1
                    let step = n / length
                    var start = 0
                    while start < n {
                        var k = 0
                        for j in start..<(start &+ halfLength) {
                            let wr = cs[k], wi = sn[k]
                            let l = j &+ halfLength
                            let tr = re[l] * wr - im[l] * wi
                            let ti = re[l] * wi + im[l] * wr
                            re[l] = re[j] - tr
                            im[l] = im[j] - ti
                            re[j] += tr
                            im[j] += ti
                            k &+= step
                        }
                        start &+= length
                    }
                    length <<= 1
                }
            }
        }
    }
}
