import RealModule

/// The K-weighting pre-filter of ITU-R BS.1770-4 §2.1: a high shelf (the head's acoustic effect) then a
/// high pass (RLB), both derived for the actual sample rate from their analog prototypes by the bilinear
/// transform, as libebur128 does, so every rate (8 kHz … 192 kHz) gets the exact response rather than
/// the standard's 48 kHz coefficients.
public struct KWeighting: Sendable {
    /// Transposed direct form II biquad coefficients, normalised so a0 = 1.
    @usableFromInline
    struct Biquad: Sendable {
        @usableFromInline var b0, b1, b2, a1, a2: Double
    }

    @usableFromInline let shelf: Biquad
    @usableFromInline let highPass: Biquad

    public init(sampleRate: Int) {
        let fs = Double(sampleRate)
        // Stage 1: high shelf, f0 = 1681.97 Hz, +4.0 dB, Q = 0.7072.
        var f0 = 1681.974450955533
        let gain = 3.999843853973347
        var q = 0.7071752369554196
        var k = Double.tan(Double.pi * f0 / fs)
        let vh = Double.pow(10, gain / 20)
        let vb = Double.pow(vh, 0.4996667741545416)
        var a0 = 1 + k / q + k * k
        shelf = Biquad(
            b0: (vh + vb * k / q + k * k) / a0, b1: 2 * (k * k - vh) / a0, b2: (vh - vb * k / q + k * k) / a0,
            a1: 2 * (k * k - 1) / a0, a2: (1 - k / q + k * k) / a0)
        // Stage 2: high pass, f0 = 38.14 Hz, Q = 0.5003.
        f0 = 38.13547087602444
        q = 0.5003270373238773
        k = Double.tan(Double.pi * f0 / fs)
        a0 = 1 + k / q + k * k
        highPass = Biquad(b0: 1, b1: -2, b2: 1, a1: 2 * (k * k - 1) / a0, a2: (1 - k / q + k * k) / a0)
    }

    /// Filter memories of one channel.
    public struct State: Sendable {
        @usableFromInline var s1 = 0.0, s2 = 0.0, h1 = 0.0, h2 = 0.0
        public init() {}
    }

    /// Filters channel `channel` of `frames` interleaved frames and returns Σ y² of the filtered samples.
    ///
    /// - Complexity: O(frames); the recursion is sequential per channel, so this is latency-bound.
    @inlinable
    public func sumOfSquares(
        _ interleaved: UnsafeBufferPointer<Float>, channel: Int, channels: Int, frames: Int, state: inout State
    ) -> Double {
        guard let base = interleaved.baseAddress else { return 0 }
        let (s, h) = (shelf, highPass)
        var (s1, s2, h1, h2) = (state.s1, state.s2, state.h1, state.h2)
        var sum = 0.0
        var i = channel
        for _ in 0..<frames {
            let x = Double(base[i])
            let y1 = s.b0 * x + s1
            s1 = s.b1 * x - s.a1 * y1 + s2
            s2 = s.b2 * x - s.a2 * y1
            let y = y1 + h1  // high-pass b0 = 1
            h1 = -2 * y1 - h.a1 * y + h2
            h2 = y1 - h.a2 * y
            sum += y * y
            i &+= channels
        }
        state = State(s1: s1, s2: s2, h1: h1, h2: h2)
        return sum
    }
}

extension KWeighting.State {
    @usableFromInline init(s1: Double, s2: Double, h1: Double, h2: Double) {
        self.s1 = s1
        self.s2 = s2
        self.h1 = h1
        self.h2 = h2
    }
}
