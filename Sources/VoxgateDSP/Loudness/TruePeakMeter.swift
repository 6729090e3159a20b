import RealModule

/// True peak per ITU-R BS.1770-4 Annex 2: each channel oversampled 4× below 96 kHz (2× up to 192 kHz,
/// none above) by a 49-tap Hann-windowed sinc interpolator in polyphase form, the peak taken over the
/// oversampled signal and the original samples.
///
/// Phase 0 of the interpolator is the input itself (the sinc is zero at every other integer, so its taps are
/// set to exactly 0 and 1): its outputs are the samples, covered by the sample peak, and only phases 1 …
/// factor−1 are computed.
///
/// Exact, and cheap on speech: an interpolated value is at most `gain` (the largest phase's Σ|h|, 1.864 at
/// 4×) times the largest input it depends on, so a span of 16 frames whose samples, and the inputs before it
/// that its outputs depend on, stay at or below `peak / gain` cannot raise the peak and is not interpolated;
/// `peak` there is the larger of the interpolated peak so far and the sample peak up to the end of the current
/// block. Only spans near the peak are interpolated, four outputs at a time in a `SIMD4<Float>` (one lane per
/// output, its even and its odd taps each summed in order and then added, as the tests' plain scalar loop does:
/// skipping and vectorising change no bit of the result; the tests compare with that unskipped interpolator).
public struct TruePeakMeter: Sendable {
    static let taps = 49
    /// Frames per skip test. Measured (callgrind, 28-clip bench subset, all meters): spans of 16, 32 and 64
    /// frames cost 177.9M, 184.5M and 202.1M instructions: speech has one loud stretch per pitch period, and
    /// a finer test interpolates less around it (28.4M, 39.6M and 59.4M of those are interpolation).
    static let span = 16
    let factor: Int
    /// Inputs before the newest that an interpolated output depends on (11 at 4×, 23 at 2×).
    let history: Int
    /// Tap k of phases 1, 2 and 3 at [3k], [3k+1], [3k+2], each in all four lanes (zero for the phases a
    /// factor below 4 does not have).
    let phaseTaps: [SIMD4<Float>]
    /// max over phases of Σ|h|, with a margin for rounding: the largest gain from input magnitude to an
    /// interpolated value.
    let gain: Float
    let channels: Int
    /// Per channel, the last `history` inputs (deinterleaved), oldest first.
    private var saved: [Float]
    /// max |x| over `saved`.
    private var savedPeak: Float = 0
    /// Room for one span of one channel with its history and three zeros after it (for the last group of four).
    private var stage: [Float]
    private var peak: Float = 0
    private var samplePeak: Float = 0

    public init(sampleRate: Int, channels: Int) {
        factor = sampleRate < 96_000 ? 4 : sampleRate < 192_000 ? 2 : 1
        // Made once per factor, not per clip (issue 18: its sines and cosines showed in a run's profile).
        let design = factor == 4 ? Self.designs.four : factor == 2 ? Self.designs.two : Self.designs.one
        (history, phaseTaps, gain) = (design.history, design.phaseTaps, design.gain)
        self.channels = channels
        saved = [Float](repeating: 0, count: channels * history)
        stage = [Float](repeating: 0, count: history + Self.span + 3)
    }

    /// The interpolator at one factor: ``history``, ``phaseTaps`` and ``gain``.
    struct Design: Sendable {
        let history: Int
        let phaseTaps: [SIMD4<Float>]
        let gain: Float

        init(factor: Int) {
            let taps = TruePeakMeter.interpolationTaps(factor: factor)
            history = max(taps.count - 1, 0)
            phaseTaps = taps.flatMap { t in (0..<3).map { SIMD4(repeating: t[$0]) } }
            var sums = SIMD3<Float>.zero
            for t in taps { sums += t.replacing(with: -t, where: t .< 0) }
            gain = sums.max() * 1.0001  // rounding margin: never skip a span that could matter
        }
    }

    static let designs = (one: Design(factor: 1), two: Design(factor: 2), four: Design(factor: 4))

    /// Taps of interpolation phases 1, 2, 3 at `factor`× (zeros for phases it does not have): tap k of phase
    /// p is the windowed sinc at k·factor + p, and output p of input n is Σ_k tap[k][p] · x[n − k].
    static func interpolationTaps(factor: Int) -> [SIMD3<Float>] {
        guard factor > 1 else { return [] }
        let count = (taps - 2) / factor + 1  // k with k·factor + 1 < taps
        return (0..<count).map { k in
            var v = SIMD3<Float>.zero
            for p in 1..<min(factor, 4) where k * factor + p < taps {
                let j = k * factor + p
                let m = Double(j - (taps - 1) / 2)
                let x = m * Double.pi / Double(factor)
                let hann = 0.5 * (1 - Double.cos(2 * Double.pi * Double(j) / Double(taps - 1)))
                v[p - 1] = Float(Double.sin(x) / x * hann)
            }
            return v
        }
    }

    /// Adds `frames` interleaved frames.
    /// - Returns: their sample peak, max |x| over all channels (NaN ignored): ``SignalMeters`` gives the level
    ///   meter and the clipping detector this figure instead of scanning the block again.
    @discardableResult
    public mutating func consume(_ interleaved: UnsafeBufferPointer<Float>, frames: Int) -> Float {
        guard frames > 0, let base = interleaved.baseAddress else { return 0 }
        precondition(interleaved.count >= frames * channels && history <= 2 * Self.span)
        let blockPeak = LevelMeter.absolutePeak(UnsafeBufferPointer(rebasing: interleaved[0..<(frames * channels)]))
        // The result is max(interpolated peak, sample peak), so the block's sample peak is a floor for the
        // skip test from the first span on. Exact: a skipped value is at most that floor.
        samplePeak = max(samplePeak, blockPeak)
        guard factor > 1 else { return blockPeak }
        var running = max(peak, samplePeak)
        // Blocks that are not near the loudest so far cannot raise the peak at all.
        if max(blockPeak, savedPeak) * gain > running {
            var stage = self.stage  // moved out and back: no copy, no overlapping access to self
            self.stage = []
            stage.withUnsafeMutableBufferPointer { stage in
                saved.withUnsafeBufferPointer { saved in
                    phaseTaps.withUnsafeBufferPointer { taps in
                        // A span is interpolated when any lane of its peak, or of the spans its outputs reach back
                        // to, exceeds running / gain: compared in eight lanes, never reduced to one number.
                        // Rounding: the quotient is within 2⁻²⁴ of exact, far inside the gain's 1.0001 margin.
                        var threshold = SIMD8<Float>(repeating: running / gain)
                        var previous1 = SIMD8<Float>(repeating: savedPeak), previous2 = previous1
                        var start = 0
                        while start < frames {
                            let n = min(Self.span, frames &- start)
                            let spanPeak =
                                n == Self.span
                                ? Self.spanPeak(base + start &* channels, vectors: Self.span / 8 &* channels)
                                : SIMD8(repeating: Self.absolutePeak(base + start &* channels, count: n &* channels))
                            var window = spanPeak
                            window.replace(with: previous1, where: previous1 .> window)
                            if history > Self.span { window.replace(with: previous2, where: previous2 .> window) }
                            if any(window .> threshold) {
                                for c in 0..<channels {
                                    let x: UnsafePointer<Float>
                                    if channels == 1 && start >= history && n == Self.span {
                                        x = base + start  // mono, inside the block: read in place
                                    } else {
                                        stageSpan(base, start: start, count: n, channel: c, saved: saved, into: stage)
                                        x = UnsafePointer(stage.baseAddress! + history)
                                    }
                                    running = max(running, interpolatedPeak(x, count: n, taps: taps))
                                }
                                threshold = SIMD8(repeating: running / gain)
                            }
                            (previous2, previous1) = (previous1, spanPeak)
                            start &+= n
                        }
                    }
                }
            }
            self.stage = stage
        }
        peak = running
        keepHistory(base, frames: frames)
        return blockPeak
    }

    /// Writes channel `channel`'s inputs from frame `start − history` to `start + count` of the block into
    /// `stage`, the frames before the block from `saved`, then three zeros.
    @inline(__always)
    private func stageSpan(
        _ base: UnsafePointer<Float>, start: Int, count: Int, channel: Int, saved: UnsafeBufferPointer<Float>,
        into stage: UnsafeMutableBufferPointer<Float>
    ) {
        // The frames before the block (frame start − history + m < 0) are saved[channel·history + start + m].
        let fromSaved = max(history &- start, 0)
        for m in 0..<fromSaved { stage[m] = saved[channel &* history &+ start &+ m] }
        var source = (start &- history &+ fromSaved) &* channels &+ channel
        for m in fromSaved..<(history &+ count) {
            stage[m] = base[source]
            source &+= channels
        }
        for m in (history &+ count)..<(history &+ count &+ 3) { stage[m] = 0 }
    }

    /// |x| over a whole span, `vectors` vectors of eight, lane by lane (not reduced: the skip test compares lanes).
    @inline(__always)
    static func spanPeak(_ x: UnsafePointer<Float>, vectors: Int) -> SIMD8<Float> {
        let raw = UnsafeRawPointer(x)
        var acc = SIMD8<Float>()
        for i in 0..<vectors {
            let v = raw.loadUnaligned(fromByteOffset: i &* 32, as: SIMD8<UInt32>.self) & 0x7FFF_FFFF
            let a = unsafeBitCast(v, to: SIMD8<Float>.self)
            acc.replace(with: a, where: a .> acc)
        }
        return acc
    }

    /// max |x| over x[0 ..< count]: ``LevelMeter/absolutePeak(_:)`` for short spans, inlined.
    @inline(__always)
    static func absolutePeak(_ x: UnsafePointer<Float>, count: Int) -> Float {
        let raw = UnsafeRawPointer(x)
        var acc = SIMD8<Float>()
        var i = 0
        while i &+ 8 <= count {
            let v = raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<UInt32>.self) & 0x7FFF_FFFF
            let a = unsafeBitCast(v, to: SIMD8<Float>.self)
            acc.replace(with: a, where: a .> acc)
            i &+= 8
        }
        var peak = max(max(max(acc[0], acc[1]), max(acc[2], acc[3])), max(max(acc[4], acc[5]), max(acc[6], acc[7])))
        while i < count {
            peak = max(peak, abs(x[i]))
            i &+= 1
        }
        return peak
    }

    /// Keeps each channel's last `history` inputs (and their peak) for the next block.
    private mutating func keepHistory(_ base: UnsafePointer<Float>, frames: Int) {
        let (history, channels) = (history, channels)
        var peak: Float = 0
        saved.withUnsafeMutableBufferPointer { saved in
            for c in 0..<channels {
                let s = saved.baseAddress! + c * history
                let kept = max(history - frames, 0)  // older inputs still among the last `history`
                s.update(from: s + (history - kept), count: kept)
                for m in kept..<history { s[m] = base[(frames - history + m) * channels + c] }
                for m in 0..<history { peak = max(peak, abs(s[m])) }
            }
        }
        savedPeak = peak
    }

    /// max |y| over the interpolated outputs (phases 1–3) of inputs x[0 ..< count], x[−history ..< 0] being
    /// the inputs before them; reads up to x[count + 2] (masked out).
    @inline(__always)
    private func interpolatedPeak(_ x: UnsafePointer<Float>, count: Int, taps: UnsafeBufferPointer<SIMD4<Float>>)
        -> Float
    {
        let raw = UnsafeRawPointer(x)
        var acc = SIMD4<Float>.zero
        var i = 0
        while i < count {
            // Even and odd taps summed apart, then added: two chains of additions instead of one, half as long
            // (one chain left the loop waiting on latency; kernels bench on noise: 9.4 -> 8.1 ns per sample).
            var y1 = SIMD4<Float>.zero, y2 = SIMD4<Float>.zero, y3 = SIMD4<Float>.zero
            var z1 = SIMD4<Float>.zero, z2 = SIMD4<Float>.zero, z3 = SIMD4<Float>.zero
            var k = 0
            while k < history {  // history + 1 taps, an even number
                let v = raw.loadUnaligned(fromByteOffset: (i &- k) &* 4, as: SIMD4<Float>.self)
                let w = raw.loadUnaligned(fromByteOffset: (i &- k &- 1) &* 4, as: SIMD4<Float>.self)
                y1 += taps[3 &* k] * v
                y2 += taps[3 &* k &+ 1] * v
                y3 += taps[3 &* k &+ 2] * v
                z1 += taps[3 &* k &+ 3] * w
                z2 += taps[3 &* k &+ 4] * w
                z3 += taps[3 &* k &+ 5] * w
                k &+= 2
            }
            (y1, y2, y3) = (y1 + z1, y2 + z2, y3 + z3)
            // |y| by clearing the sign bit, and lanes past `count` cleared with it; each phase then goes into the
            // running maximum by a masked select of its own (maxps). Comparing the phases with each other first
            // compiled to lane-by-lane branches, mispredicted on noise (kernels bench: 7.8 -> 2.7 ns per sample).
            let mask =
                count &- i >= 4
                ? SIMD4<UInt32>(repeating: 0x7FFF_FFFF)
                : SIMD4<UInt32>(repeating: 0).replacing(
                    with: 0x7FFF_FFFF, where: SIMD4<Int32>(0, 1, 2, 3) .< Int32(truncatingIfNeeded: count &- i))
            let m1 = unsafeBitCast(unsafeBitCast(y1, to: SIMD4<UInt32>.self) & mask, to: SIMD4<Float>.self)
            let m2 = unsafeBitCast(unsafeBitCast(y2, to: SIMD4<UInt32>.self) & mask, to: SIMD4<Float>.self)
            let m3 = unsafeBitCast(unsafeBitCast(y3, to: SIMD4<UInt32>.self) & mask, to: SIMD4<Float>.self)
            acc.replace(with: m1, where: m1 .> acc)
            acc.replace(with: m2, where: m2 .> acc)
            acc.replace(with: m3, where: m3 .> acc)
            i &+= 4
        }
        return max(max(acc[0], acc[1]), max(acc[2], acc[3]))
    }

    /// The true peak in dBTP (−∞ for digital silence).
    public var truePeakDBTP: Double {
        let p = Swift.max(peak, samplePeak)
        return p > 0 ? 20 * Double.log10(Double(p)) : -.infinity
    }
}
