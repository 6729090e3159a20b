import CVoxgateKernels
import RealModule

/// A streaming decimator by 2 with a 23-tap half-band low-pass (Kaiser-windowed sinc cut at a quarter of the
/// input rate, β = 10): the first stage of the fingerprint's resampling from rates that are multiples of 16 kHz
/// from 48 kHz up (48 kHz → 24 kHz), before ``StreamingResampler`` takes the halved rate to 8 kHz.
///
/// Every other tap of a half-band filter is zero, so an output costs 7 multiplications (6 symmetric pairs and
/// the centre). Designed for what the second stage keeps: below 4.6 kHz at 48 kHz in, the gain is flat within
/// 0.0003 dB, and what would alias there (19.4–24 kHz) is attenuated by more than 95 dB. Zero phase: output j
/// is centred on input 2j (zeros before the first sample and after the last, as ``StreamingResampler`` does),
/// ceil(n / 2) outputs for n inputs. Memory: at most 23 samples of history and a stage of 64 more; the caller's
/// block is read in place, never copied whole (the copy was 40% of the decimator's time in a profile, issue 18).
/// With `kernels` `.avx2` the groups of eight outputs run in AVX2 (``DSPKernels``; the same sums, bit for bit).
public struct HalfBandDecimator: Sendable {
    /// Half the filter's span: taps run from −11 to +11 around the centre.
    @usableFromInline static let reach = 11
    /// The centre tap and the taps at odd distances 1, 3, …, 11 (the even ones are zero).
    @usableFromInline static let (center, odd): (Float, [Float]) = {
        let length = 2 * reach + 1
        func bessel0(_ x: Double) -> Double {
            var sum = 1.0, term = 1.0, k = 1.0
            while term > 1e-12 * sum {
                term *= (x / (2 * k)) * (x / (2 * k))
                sum += term
                k += 1
            }
            return sum
        }
        let beta = 10.0
        var taps = [Double](repeating: 0, count: length)
        for i in 0..<length {
            let t = Double(i - reach)
            let sinc = t == 0 ? 0.5 : Double.sin(.pi * t / 2) / (.pi * t)
            let r = t / Double(reach)
            taps[i] = sinc * bessel0(beta * (1 - r * r).squareRoot()) / bessel0(beta)
        }
        let sum = taps.reduce(0, +)
        return (Float(taps[reach] / sum), (0..<6).map { Float(taps[reach + 2 * $0 + 1] / sum) })
    }()

    /// The centre tap, then the odd ones, for the AVX2 kernel.
    static let taps = [center] + odd

    /// The inputs from stream index `tailStart` to the end of the stream so far that the next output needs (zeros
    /// before the first sample at first): at most 2 × ``reach`` + 1 of them between blocks.
    @usableFromInline var tail: [Float]
    @usableFromInline var tailStart = -reach
    /// The tail followed by the first ``staged`` inputs of a block: the outputs that need both are computed here,
    /// the others straight from the caller's block, which is never copied whole.
    @usableFromInline var stage: [Float] = []
    @usableFromInline static let staged = 64
    @usableFromInline var produced = 0
    @usableFromInline var consumed = 0
    @usableFromInline let kernels: DSPKernels

    public init(kernels: DSPKernels = .detected) {
        self.kernels = kernels
        tail = [Float](repeating: 0, count: Self.reach)
        tail.reserveCapacity(4 * Self.reach + Self.staged)
        stage.reserveCapacity(4 * Self.reach + Self.staged)
    }

    /// Adds input samples and appends every output that is now complete to `output`.
    public mutating func consume(_ input: UnsafeBufferPointer<Float>, into output: inout [Float]) {
        consumed += input.count
        process(input, limit: .max, into: &output)
    }

    /// Ends the stream: pads with zeros and appends the remaining outputs, ceil(inputs ÷ 2) in all.
    public mutating func finish(into output: inout [Float]) {
        let zeros = [Float](repeating: 0, count: 2 * Self.reach + 2)
        zeros.withUnsafeBufferPointer { process($0, limit: (consumed + 1) / 2, into: &output) }
    }

    /// The outputs complete once the stream reaches `end` (output j needs inputs up to 2j + reach).
    @inline(__always)
    static func complete(before end: Int) -> Int { end - reach > 0 ? (end - reach - 1) / 2 + 1 : 0 }

    @usableFromInline
    mutating func process(_ input: UnsafeBufferPointer<Float>, limit: Int, into output: inout [Float]) {
        let reach = Self.reach
        let start = tailStart + tail.count  // stream index of input[0]
        let end = start + input.count
        let total = Swift.max(0, Swift.min(limit, Self.complete(before: end)) - produced)
        guard total > 0 else {
            tail.append(contentsOf: input)
            return
        }
        let head = Swift.min(input.count, Self.staged)
        var stage = self.stage  // moved out and back: no copy, no overlapping access to self
        self.stage = []
        stage.removeAll(keepingCapacity: true)
        stage.append(contentsOf: tail)
        stage.append(contentsOf: UnsafeBufferPointer(rebasing: input[0..<head]))
        // Outputs whose inputs are all in the stage; the rest lie wholly inside `input` (their first input is at
        // least staged − 2 × reach past its start).
        let fromStage = Swift.min(total, Swift.max(0, Self.complete(before: start + head) - produced))
        let outStart = output.count
        output.appendZeros(total)
        output.withUnsafeMutableBufferPointer { out in
            let o = out.baseAddress! + outStart
            stage.withUnsafeBufferPointer { s in
                let base = 2 * produced - tailStart
                Self.filter(
                    s.baseAddress! + base, available: s.count - base, count: fromStage, into: o, kernels: kernels)
            }
            if total > fromStage {
                let base = 2 * (produced + fromStage) - start
                Self.filter(
                    input.baseAddress! + base, available: input.count - base, count: total - fromStage,
                    into: o + fromStage, kernels: kernels)
            }
        }
        self.stage = stage
        produced += total
        // Keep the inputs the next output needs: from 2·produced − reach on.
        let keepFrom = Swift.min(2 * produced - reach, end)
        if keepFrom >= start {
            tail.removeAll(keepingCapacity: true)
            tail.append(contentsOf: UnsafeBufferPointer(rebasing: input[(keepFrom - start)...]))
        } else {
            tail.removeFirst(keepFrom - tailStart)
            tail.append(contentsOf: input)
        }
        tailStart = keepFrom
    }

    /// `count` outputs, the first centred on `x0[0]`; `x0[-reach]` … `x0[available − 1]` are readable.
    @inline(__always)
    static func filter(
        _ x0: UnsafePointer<Float>, available: Int, count: Int, into o: UnsafeMutablePointer<Float>,
        kernels: DSPKernels
    ) {
        let c = Self.center
        let h = Self.odd
        let h0 = h[0], h1 = h[1], h2 = h[2], h3 = h[3], h4 = h[4], h5 = h[5]
        var j = 0
        #if arch(x86_64)
            if kernels == .avx2 {
                // The groups the loop below would take (2j + 27 ≤ available for each), in one call.
                let groups = Swift.min(count / 8, available >= 27 ? (available - 27) / 16 + 1 : 0)
                if groups > 0 {
                    Self.taps.withUnsafeBufferPointer { vg_half_band_avx2(x0, groups, $0.baseAddress!, o) }
                    j = 8 * groups
                }
            }
        #endif
        // Eight outputs at a time: the even lanes of 16 consecutive inputs at each odd distance.
        @inline(__always) func at(_ p: UnsafePointer<Float>, _ d: Int) -> SIMD8<Float> {
            UnsafeRawPointer(p + d).loadUnaligned(as: SIMD16<Float>.self).evenHalf
        }
        // (A 16-lane load at distance 11 reads one input past what the group's last output needs.) Eight at a time
        // or one at a time, an output sums the same products in the same order: where blocks end changes no bit.
        while j + 8 <= count, 2 * j + 27 <= available {
            let x = x0 + 2 * j
            var s = c * at(x, 0)
            s += h0 * (at(x, -1) + at(x, 1))
            s += h1 * (at(x, -3) + at(x, 3))
            s += h2 * (at(x, -5) + at(x, 5))
            s += h3 * (at(x, -7) + at(x, 7))
            s += h4 * (at(x, -9) + at(x, 9))
            s += h5 * (at(x, -11) + at(x, 11))
            UnsafeMutableRawPointer(o + j).storeBytes(of: s, as: SIMD8<Float>.self)
            j += 8
        }
        while j < count {
            let x = x0 + 2 * j
            var s = c * x[0]
            s += h0 * (x[-1] + x[1])
            s += h1 * (x[-3] + x[3])
            s += h2 * (x[-5] + x[5])
            s += h3 * (x[-7] + x[7])
            s += h4 * (x[-9] + x[9])
            s += h5 * (x[-11] + x[11])
            o[j] = s
            j += 1
        }
    }
}
