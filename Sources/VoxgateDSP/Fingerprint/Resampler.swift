import RealModule

/// A streaming band-limiting resampler to a fixed output rate: windowed-sinc interpolation in polyphase form.
///
/// The prototype low-pass is a Blackman-windowed sinc cut at `cutoffHz`, `halfWidth` output samples on each
/// side; for downsampling it is stretched to the input rate, so everything above the cutoff is attenuated
/// (≥ 70 dB from about 700 Hz above it at the default width) before it could alias. The phases are exact when
/// the output rate divided by gcd(input, output) is at most ``maxPhases`` (every common rate: 8, 11.025,
/// 16, 22.05, 24, 32, 44.1, 48 kHz), otherwise the fractional position is rounded to 1/``maxPhases`` of an
/// input sample. Memory: one table of `phases × taps` and at most one block of pending input. With a single
/// phase (an integer ratio such as 24 → 8 kHz) and `kernels` `.avx2`, the dot products run in AVX2 registers
/// (``DSPKernels``; the same sums, bit for bit).
public struct StreamingResampler: Sendable {
    public static let maxPhases = 256
    public let inputRate: Int
    public let outputRate: Int
    @usableFromInline let taps: Int  // per phase, a multiple of 8
    @usableFromInline let phases: Int
    /// gcd(input, output) when the phases are exact (phases = output ÷ gcd), else 0.
    @usableFromInline let exactPhaseStep: Int
    @usableFromInline let table: [Float]  // phases × taps
    @usableFromInline var buffer: [Float]
    /// Stream index of `buffer[0]` (negative at first: the zero history before the first sample).
    @usableFromInline var bufferStart: Int
    /// Index of the next output sample.
    @usableFromInline var produced = 0
    @usableFromInline var consumed = 0
    @usableFromInline let kernels: DSPKernels

    public init(
        inputRate: Int, outputRate: Int, cutoffHz: Double, halfWidth: Int = 16, kernels: DSPKernels = .detected
    ) {
        precondition(inputRate > 0 && outputRate > 0 && cutoffHz < Double(outputRate) / 2)
        self.inputRate = inputRate
        self.outputRate = outputRate
        self.kernels = kernels
        let ratio = Double(inputRate) / Double(outputRate)
        let stretch = Swift.max(ratio, 1)  // kernel width in input samples per output sample
        // Cut-off in cycles per input sample: cutoffHz itself when downsampling; when upsampling, the same
        // fraction of the (lower) input rate.
        let cyclesPerInput = cutoffHz / Double(Swift.max(inputRate, outputRate))
        let half = Double(halfWidth) * stretch
        var n = 2 * Int(half.rounded(.up))
        n = (n + 7) / 8 * 8
        taps = n
        let g = Self.gcd(inputRate, outputRate)
        phases = Swift.min(outputRate / g, Self.maxPhases)
        exactPhaseStep = phases == outputRate / g ? g : 0
        // The same table for every clip of a rate: made once per process (issue 18: made per clip, its sines and
        // cosines were 0.3% of a run's CPU).
        let key = TableKey(inputRate: inputRate, outputRate: outputRate, cutoffHz: cutoffHz, halfWidth: halfWidth)
        let phaseCount = phases
        table = Self.cachedTable(key) {
            Self.makeTable(phases: phaseCount, taps: n, half: half, cyclesPerInput: cyclesPerInput)
        }
        buffer = [Float](repeating: 0, count: n / 2)
        buffer.reserveCapacity(8192 + n)
        bufferStart = -(n / 2)
    }

    static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }

    /// Adds input samples and appends every output sample that is now complete to `output`.
    @inlinable
    public mutating func consume(_ input: UnsafeBufferPointer<Float>, into output: inout [Float]) {
        buffer.append(contentsOf: input)
        consumed += input.count
        drain(into: &output)
    }

    /// Ends the stream: pads with zeros and appends the remaining outputs, ceil(inputs × out ÷ in) in all.
    @inlinable
    public mutating func finish(into output: inout [Float]) {
        let total = (consumed * outputRate + inputRate - 1) / inputRate
        buffer.append(contentsOf: repeatElement(0, count: taps))
        drain(limit: total, into: &output)
    }

    /// Halving by hand: `SIMD8.sum()` compiles to a long chain of shuffles on x86-64.
    @inlinable @inline(__always)
    static func horizontalSum(_ a: SIMD8<Float>) -> Float {
        let a4 = a.lowHalf + a.highHalf
        let a2 = a4.lowHalf + a4.highHalf
        return a2[0] + a2[1]
    }

    @inlinable
    mutating func drain(limit: Int = .max, into output: inout [Float]) {
        let n = taps
        let half = n / 2
        let scaledPhases = phases
        let outRate = outputRate
        let inRate = inputRate
        let bufferEnd = bufferStart + buffer.count
        // Output `next` needs base ≤ bufferEnd − half − 1 with base ≥ ⌊next·in/out⌋: at most this many are complete.
        let cap = Swift.max(0, Swift.min(limit, ((bufferEnd - half) * outRate + inRate - 1) / inRate + 1) - produced)
        let outStart = output.count
        output.appendZeros(cap)
        var next = produced
        let step = exactPhaseStep
        let singlePhase = step > 0 && scaledPhases == 1
        let wide = singlePhase && kernels == .avx2
        var written = 0
        output.withUnsafeMutableBufferPointer { out in
            buffer.withUnsafeBufferPointer { buf in
                table.withUnsafeBufferPointer { tab in
                    let raw = UnsafeRawPointer(buf.baseAddress!)
                    let traw = UnsafeRawPointer(tab.baseAddress!)
                    let bytes = n &* 4
                    // With exact phases, the input position advances by in/out samples per output: whole samples
                    // and phases (of 1/phases sample) counted without a division.
                    var base = 0, phase = 0
                    let baseStep = inRate / outRate, phaseStep = step > 0 ? (inRate % outRate) / step : 0
                    if step > 0 {
                        let position = next &* inRate
                        base = position / outRate
                        phase = (position - base &* outRate) / step
                    }
                    while next < limit && written < cap {
                        if step == 0 {
                            let position = next &* inRate
                            base = position / outRate
                            phase = (position - base &* outRate) &* scaledPhases
                            phase = (phase + outRate / 2) / outRate
                            if phase == scaledPhases {
                                phase = 0
                                base &+= 1
                            }
                        }
                        let first = base - half + 1
                        guard first + n <= bufferEnd else { break }
                        let x = raw + (first - bufferStart) &* 4
                        let h = traw + phase &* bytes
                        if wide {
                            // Every output that is complete, in one call (the same sums as below, in AVX2).
                            let count = Swift.min((bufferEnd - n - first) / baseStep + 1, cap - written, limit - next)
                            DSPKernels.resampleSinglePhaseAVX2(
                                x, step: baseStep, taps: h, count: n, into: out.baseAddress! + (outStart &+ written),
                                outputs: count)
                            written &+= count
                            next &+= count
                            base &+= count &* baseStep
                            continue
                        }
                        if singlePhase {
                            // One phase (an integer ratio): four outputs at a time share each load of the taps.
                            // Every output sums in the same order, alone or in a group of four, so the result does
                            // not depend on where the blocks end.
                            let stride = baseStep &* 4
                            if written &+ 4 <= cap && next &+ 4 <= limit && first + 3 &* baseStep + n <= bufferEnd {
                                var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
                                var k = 0
                                while k < bytes {
                                    let hv = h.loadUnaligned(fromByteOffset: k, as: SIMD8<Float>.self)
                                    s0 += x.loadUnaligned(fromByteOffset: k, as: SIMD8<Float>.self) * hv
                                    s1 += x.loadUnaligned(fromByteOffset: k &+ stride, as: SIMD8<Float>.self) * hv
                                    s2 += x.loadUnaligned(fromByteOffset: k &+ 2 &* stride, as: SIMD8<Float>.self) * hv
                                    s3 += x.loadUnaligned(fromByteOffset: k &+ 3 &* stride, as: SIMD8<Float>.self) * hv
                                    k &+= 32
                                }
                                out[outStart &+ written] = Self.horizontalSum(s0)
                                out[outStart &+ written &+ 1] = Self.horizontalSum(s1)
                                out[outStart &+ written &+ 2] = Self.horizontalSum(s2)
                                out[outStart &+ written &+ 3] = Self.horizontalSum(s3)
                                written &+= 4
                                next &+= 4
                                base &+= 4 &* baseStep
                            } else {
                                var s0 = SIMD8<Float>()
                                var k = 0
                                while k < bytes {
                                    s0 +=
                                        x.loadUnaligned(fromByteOffset: k, as: SIMD8<Float>.self)
                                        * h.loadUnaligned(fromByteOffset: k, as: SIMD8<Float>.self)
                                    k &+= 32
                                }
                                out[outStart &+ written] = Self.horizontalSum(s0)
                                written &+= 1
                                next &+= 1
                                base &+= baseStep
                            }
                            continue
                        }
                        // Four accumulators: the additions of one dot product overlap instead of waiting on each other.
                        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
                        var k = 0
                        while k &+ 128 <= bytes {
                            a0 +=
                                x.loadUnaligned(fromByteOffset: k, as: SIMD8<Float>.self)
                                * h.loadUnaligned(fromByteOffset: k, as: SIMD8<Float>.self)
                            a1 +=
                                x.loadUnaligned(fromByteOffset: k &+ 32, as: SIMD8<Float>.self)
                                * h.loadUnaligned(fromByteOffset: k &+ 32, as: SIMD8<Float>.self)
                            a2 +=
                                x.loadUnaligned(fromByteOffset: k &+ 64, as: SIMD8<Float>.self)
                                * h.loadUnaligned(fromByteOffset: k &+ 64, as: SIMD8<Float>.self)
                            a3 +=
                                x.loadUnaligned(fromByteOffset: k &+ 96, as: SIMD8<Float>.self)
                                * h.loadUnaligned(fromByteOffset: k &+ 96, as: SIMD8<Float>.self)
                            k &+= 128
                        }
                        while k < bytes {
                            a0 +=
                                x.loadUnaligned(fromByteOffset: k, as: SIMD8<Float>.self)
                                * h.loadUnaligned(fromByteOffset: k, as: SIMD8<Float>.self)
                            k &+= 32
                        }
                        out[outStart &+ written] = Self.horizontalSum((a0 + a1) + (a2 + a3))
                        written &+= 1
                        next &+= 1
                        if step > 0 {
                            base &+= baseStep
                            phase &+= phaseStep
                            if phase >= scaledPhases {
                                phase &-= scaledPhases
                                base &+= 1
                            }
                        }
                    }
                }
            }
        }
        output.removeLast(cap - written)
        produced = next
        // Drop the input no later output needs.
        let position = next &* inRate
        let keepFrom = Swift.min(position / outRate - half, bufferEnd)
        let drop = keepFrom - bufferStart
        if drop > 0 {
            buffer.removeFirst(drop)
            bufferStart += drop
        }
    }
}
