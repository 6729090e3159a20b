import RealModule

/// True peak per ITU-R BS.1770-4 Annex 2: each channel oversampled 4× below 96 kHz (2× up to 192 kHz,
/// none above) by a 49-tap Hann-windowed sinc interpolator in polyphase form, the peak taken over the
/// oversampled signal and the original samples.
///
/// Exact, and cheap on speech: an interpolated value is at most `gain` (the largest phase's Σ|h|) times
/// the largest input it depends on, so a 64-frame chunk whose samples (and the taps of history before it)
/// stay below `peak / gain` cannot raise the peak and is not interpolated; `peak` there is the larger of the
/// interpolated peak so far and the sample peak up to the end of the current block. Only chunks near it are
/// interpolated, and there all phases of one input are evaluated at once in a `SIMD4<Float>`.
public struct TruePeakMeter: Sendable {
    static let taps = 49
    static let chunk = 64
    let factor: Int
    let phaseTaps: Int
    /// coefficients[k] holds tap k of every phase.
    let coefficients: [SIMD4<Float>]
    /// max over phases of Σ|h|: the largest gain from input magnitude to an interpolated value.
    let gain: Float
    let channels: Int
    /// Per channel: the last `phaseTaps - 1` inputs, then room for one chunk (deinterleaved).
    private var scratch: [Float]
    private var peak: Float = 0
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
        var sums = SIMD4<Float>.zero
        for v in coefficients { sums += v.replacing(with: -v, where: v .< 0) }
        gain = sums.max() * 1.0001  // rounding margin: never skip a chunk that could matter
        self.channels = channels
        scratch = [Float](repeating: 0, count: channels * (phaseTaps - 1 + Self.chunk))
    }

    /// Adds `frames` interleaved frames.
    public mutating func consume(_ interleaved: UnsafeBufferPointer<Float>, frames: Int) {
        // The result is max(interpolated peak, sample peak), so the block's sample peak is a floor for the
        // skip test from the first chunk on: the chunks of a block that lead up to its loudest one are not
        // interpolated when they cannot exceed it. Exact: a skipped value is at most that floor.
        samplePeak = max(samplePeak, LevelMeter.absolutePeak(UnsafeBufferPointer(rebasing: interleaved[0..<(frames * channels)])))
        guard factor > 1 else { return }
        var offset = 0
        while offset < frames {
            let n = min(Self.chunk, frames - offset)
            let chunk = UnsafeBufferPointer(rebasing: interleaved[(offset * channels)..<((offset + n) * channels)])
            let chunkPeak = LevelMeter.absolutePeak(chunk)
            let history = phaseTaps - 1
            let stride = history + Self.chunk
            var buffer = scratch  // moved out and back: no copy, no overlapping access to self
            scratch = []
            var running = max(peak, samplePeak)
            buffer.withUnsafeMutableBufferPointer { s in
                for c in 0..<channels {
                    let base = s.baseAddress! + c * stride
                    let historyPeak = LevelMeter.absolutePeak(UnsafeBufferPointer(start: base, count: history))
                    if max(chunkPeak, historyPeak) * gain > running {
                        for i in 0..<n { base[history + i] = chunk[i * channels + c] }
                        running = max(running, interpolatedPeak(base, history: history, count: n))
                        base.update(from: base + n, count: history)  // the last inputs, for the next chunk
                    } else if n >= history {
                        for i in 0..<history { base[i] = chunk[(n - history + i) * channels + c] }
                    } else {
                        base.update(from: base + n, count: history - n)
                        for i in 0..<n { base[history - n + i] = chunk[i * channels + c] }
                    }
                }
            }
            scratch = buffer
            peak = running
            offset += n
        }
    }

    /// max |y| over the oversampled outputs of inputs base[history ..< history + count].
    private func interpolatedPeak(_ base: UnsafeMutablePointer<Float>, history: Int, count: Int) -> Float {
        coefficients.withUnsafeBufferPointer { coef in
            var acc = SIMD4<Float>.zero
            for i in 0..<count {
                let newest = base + history + i
                var y = SIMD4<Float>.zero
                for k in 0..<phaseTaps { y += coef[k] * SIMD4(repeating: newest[-k]) }
                let magnitude = y.replacing(with: -y, where: y .< 0)
                acc.replace(with: magnitude, where: magnitude .> acc)
            }
            return acc.max()
        }
    }

    /// The true peak in dBTP (−∞ for digital silence).
    public var truePeakDBTP: Double {
        let p = Swift.max(peak, samplePeak)
        return p > 0 ? 20 * Double.log10(Double(p)) : -.infinity
    }
}
