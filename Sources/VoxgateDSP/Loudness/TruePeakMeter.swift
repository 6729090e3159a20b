import RealModule

/// True peak per ITU-R BS.1770-4 Annex 2: each channel oversampled 4× below 96 kHz (2× up to 192 kHz,
/// none above) by a 49-tap Hann-windowed sinc interpolator in polyphase form, the peak taken over the
/// oversampled signal and the original samples.
///
/// The inner loop evaluates all phases of one input sample at once in a `SIMD4<Float>`.
public struct TruePeakMeter: Sendable {
    static let taps = 49
    let factor: Int
    let phaseTaps: Int
    /// coefficients[k] holds tap k of every phase.
    let coefficients: [SIMD4<Float>]
    let channels: Int
    /// Per channel, the last `phaseTaps` inputs, stored twice so a window is always contiguous.
    private var history: [Float]
    private var position: [Int]
    private var peak: SIMD4<Float> = .zero
    private var samplePeak: Float = 0

    public init(sampleRate: Int, channels: Int) {
        factor = sampleRate < 96_000 ? 4 : sampleRate < 192_000 ? 2 : 1
        phaseTaps = (Self.taps + factor - 1) / factor
        var c = [Double](repeating: 0, count: Self.taps)
        for j in 0..<Self.taps {
            let m = Double(j - (Self.taps - 1) / 2)
            let x = m * Double.pi / Double(factor)
            let sinc = abs(m) < 1e-9 ? 1.0 : Double.sin(x) / x
            let hann = 0.5 * (1 - Double.cos(2 * Double.pi * Double(j) / Double(Self.taps - 1)))
            c[j] = sinc * hann
        }
        var coefficients: [SIMD4<Float>] = []
        for k in 0..<phaseTaps {
            var v = SIMD4<Float>.zero
            for p in 0..<min(factor, 4) where k * factor + p < Self.taps { v[p] = Float(c[k * factor + p]) }
            coefficients.append(v)
        }
        self.coefficients = coefficients
        self.channels = channels
        history = [Float](repeating: 0, count: 2 * phaseTaps * channels)
        position = [Int](repeating: 0, count: channels)
    }

    /// Adds `frames` interleaved frames.
    public mutating func consume(_ interleaved: UnsafeBufferPointer<Float>, frames: Int) {
        samplePeak = max(samplePeak, LevelMeter.absolutePeak(UnsafeBufferPointer(rebasing: interleaved[0..<frames * channels])))
        guard factor > 1 else { return }
        let n = phaseTaps
        for c in 0..<channels {
            var pos = position[c]
            var acc = peak
            history.withUnsafeMutableBufferPointer { h in
                coefficients.withUnsafeBufferPointer { coef in
                    let buf = h.baseAddress! + c * 2 * n
                    var i = c
                    for _ in 0..<frames {
                        let x = interleaved[i]
                        pos = pos + 1 == n ? 0 : pos + 1
                        buf[pos] = x
                        buf[pos + n] = x
                        // newest sample at buf[pos + n], oldest at buf[pos + 1]
                        var y = SIMD4<Float>.zero
                        let newest = buf + pos + n
                        for k in 0..<n { y += coef[k] * SIMD4(repeating: newest[-k]) }
                        let magnitude = y.replacing(with: -y, where: y .< 0)
                        acc.replace(with: magnitude, where: magnitude .> acc)
                        i &+= channels
                    }
                }
            }
            peak = acc
            position[c] = pos
        }
    }

    /// The true peak in dBTP (−∞ for digital silence).
    public var truePeakDBTP: Double {
        let p = Swift.max(peak.max(), samplePeak)
        return p > 0 ? 20 * Double.log10(Double(p)) : -.infinity
    }
}
