import RealModule

/// The K-weighting pre-filter of ITU-R BS.1770-4 §2.1: a high shelf (the head's acoustic effect) then a
/// high pass (RLB), both derived for the actual sample rate from their analog prototypes by the bilinear
/// transform, as libebur128 does, so every rate (8 kHz … 192 kHz) gets the exact response rather than
/// the standard's 48 kHz coefficients.
///
/// The recursion is sequential per sample and latency-bound on mono audio, so a run of 4 × `segment` frames
/// is filtered as four segments side by side in the lanes of a `SIMD4<Float>`: lane 0 starts from the true
/// filter state, lanes 1–3 from zero. The filter is linear, so the true output of a segment is its zero-state
/// output plus the free response of its true initial state z, which is C·Aᵗ·z at t samples in, and its true
/// final state is its zero-state final state plus A^segment·z. Once lane 0 is done its final state is the
/// true initial state of lane 1, and so on: the second pass adds each segment's free response from a table
/// of C·Aᵗ. Exact, with no warm-up overlap (the 38 Hz high pass would need thousands of samples of it):
/// only Float rounding differs from the sequential recursion (tests: sample by sample against the recursion in
/// Double, within 3× the sequential Float recursion's own error and 0.002 LU even on a 0.5 DC offset; libebur128
/// within 0.001 LU on 20 s of noise with hum). The lanes run in a function of their own, on the transposed block.
/// Measured (callgrind, 28-clip bench subset): 175.7M → 96.8M instructions, about 27 → 14.7 per sample, over the
/// 4-sample block state-space form it replaces (7.2 per sample in the lanes, the rest in the two transposes and
/// the free-response pass).
public struct KWeighting: Sendable {
    /// Frames per lane: runs of 4 × 256 frames go through the lanes, the rest sample by sample.
    public static let segment = 256
    // The cascade as a 4-state system z = [shelf s1, s2, high-pass h1, h2] (transposed direct form II),
    // with the input terms folded in so that only one multiply and one add per state sit on the recursion:
    // y1 = g·x + s1;  s1' = (p1·x + s2) − a1·s1;  s2' = p2·x − a2·s1;
    // y = y1 + h1;    h1' = (q1·y1 + h2) − c1·h1;  h2' = q2·y1 − c2·h1.
    let g, p1, p2, a1, a2, q1, q2, c1, c2: Float
    /// freeResponse[i·segment + t]: component i of C·Aᵗ, the output t samples after state z with no input
    /// being Σᵢ freeResponse[i·segment + t]·zᵢ.
    let freeResponse: [Float]
    /// Rows of A^segment: the free evolution of the state over one segment.
    let jump: [SIMD4<Double>]

    public init(sampleRate: Int) {
        let fs = Double(sampleRate)
        // Stage 1: high shelf, f0 = 1681.97 Hz, +4.0 dB, Q = 0.7072.
        var k = Double.tan(Double.pi * 1681.974450955533 / fs)
        var q = 0.7071752369554196
        let vh = Double.pow(10, 3.999843853973347 / 20)
        let vb = Double.pow(vh, 0.4996667741545416)
        var a0 = 1 + k / q + k * k
        let (sb0, sb1, sb2) = ((vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0)
        let (sa1, sa2) = (2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0)
        // Stage 2: high pass, f0 = 38.14 Hz, Q = 0.5003; b = (1, −2, 1).
        k = Double.tan(Double.pi * 38.13547087602444 / fs)
        q = 0.5003270373238773
        a0 = 1 + k / q + k * k
        let (ha1, ha2) = (2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0)
        let (hq1, hq2) = (-2 - ha1, 1 - ha2)
        (g, p1, p2, a1, a2) = (Float(sb0), Float(sb1 - sa1 * sb0), Float(sb2 - sa2 * sb0), Float(sa1), Float(sa2))
        (q1, q2, c1, c2) = (Float(hq1), Float(hq2), Float(ha1), Float(ha2))
        // The same system in matrix form (z' = A z + B x, y = C z + D x), in Double, for the lanes' corrections:
        // the columns of A, then the rows C Aᵗ for t < segment and the rows of A^segment by repeated products.
        // A is built from the Float coefficients the recursion runs with, not the exact ones: the high pass's
        // double pole near 1 is so sensitive to its coefficients that the exact free response differed from the
        // Float filter's by 1e-4 of a DC offset (0.009 LU on a signal riding on one, in the tests).
        let (da1, da2, dq1, dq2, dc1, dc2) = (Double(a1), Double(a2), Double(q1), Double(q2), Double(c1), Double(c2))
        let columns = [SIMD4(-da1, -da2, dq1, dq2), SIMD4(1, 0, 0, 0), SIMD4(0, 0, -dc1, -dc2), SIMD4(0, 0, 1, 0)]
        func timesA(_ row: SIMD4<Double>) -> SIMD4<Double> {
            SIMD4(
                (row * columns[0]).sum(), (row * columns[1]).sum(), (row * columns[2]).sum(), (row * columns[3]).sum())
        }
        var row = SIMD4<Double>(1, 0, 1, 0)  // C
        var power = [SIMD4<Double>(1, 0, 0, 0), SIMD4(0, 1, 0, 0), SIMD4(0, 0, 1, 0), SIMD4(0, 0, 0, 1)]
        var table = [Float](repeating: 0, count: 4 * Self.segment)
        for t in 0..<Self.segment {
            for i in 0..<4 { table[i * Self.segment + t] = Float(row[i]) }
            row = timesA(row)
            for i in 0..<4 { power[i] = timesA(power[i]) }
        }
        freeResponse = table
        jump = power
    }

    /// The size of the scratch space ``filter(_:channel:channels:frames:state:into:scratch:)`` needs.
    public static let scratchCount = 4 * segment

    /// Filter memories of one channel.
    public struct State: Sendable {
        var z = SIMD4<Float>.zero
        public init() {}
    }

    /// Writes channel `channel` of `frames` interleaved frames, K-weighted, to `out` (contiguous).
    /// - Parameter scratch: room for ``scratchCount`` floats (the lanes' outputs before they are put in time order).
    public func filter(
        _ interleaved: UnsafeBufferPointer<Float>, channel: Int, channels: Int, frames: Int, state: inout State,
        into out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>
    ) {
        guard let base = interleaved.baseAddress, frames > 0 else { return }
        precondition(interleaved.count >= frames * channels)
        // Mono is read in place; other layouts are gathered into `out` first and filtered there.
        var x = UnsafePointer(base)
        if channels > 1 {
            for f in 0..<frames { out[f] = base[f &* channels &+ channel] }
            x = UnsafePointer(out)
        }
        let run = 4 * Self.segment
        var f = 0
        while f &+ run <= frames {
            filterLanes(x + f, out + f, scratch: scratch, state: &state)
            f &+= run
        }
        var (s1, s2, h1, h2) = (state.z[0], state.z[1], state.z[2], state.z[3])
        while f < frames {
            let input = x[f]
            let y1 = g * input + s1
            (s1, s2) = ((p1 * input + s2) - a1 * s1, p2 * input - a2 * s1)
            out[f] = y1 + h1
            (h1, h2) = ((q1 * y1 + h2) - c1 * h1, q2 * y1 - c2 * h1)
            f &+= 1
        }
        state.z = SIMD4(s1, s2, h1, h2)
    }

    /// Filters `count` (even) instants of four signals in place (`x[4t + k]`: sample t of signal k), from and to the
    /// states (s1, s2, h1, h2) of the four lanes. Not inlined: inlined into its caller, whose lane extracts
    /// and inserts made LLVM split the state vectors into scalars (90 instructions per instant instead of 32).
    @inline(never)
    func filterInLanes(
        _ x: UnsafeMutablePointer<Float>, count: Int,
        states: inout (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>)
    ) {
        let (xg, xp1, xp2, xa1, xa2) = (
            SIMD4(repeating: g), SIMD4(repeating: p1), SIMD4(repeating: p2),
            SIMD4(repeating: a1), SIMD4(repeating: a2)
        )
        let (xq1, xq2, xc1, xc2) = (
            SIMD4(repeating: q1), SIMD4(repeating: q2), SIMD4(repeating: c1),
            SIMD4(repeating: c2)
        )
        var (s1, s2, h1, h2) = states
        let lanes = UnsafeMutableRawPointer(x)
        // Two instants per iteration, written out: the register moves that rotate the states between iterations
        // go away (callgrind on the subset: 53.0M -> 47.3M). A local function for the step scalarised the lanes.
        var t = 0
        while t < count {
            let input = lanes.loadUnaligned(fromByteOffset: t &* 16, as: SIMD4<Float>.self)
            let y1 = xg * input + s1
            let (n1, n2) = ((xp1 * input + s2) - xa1 * s1, xp2 * input - xa2 * s1)
            lanes.storeBytes(of: y1 + h1, toByteOffset: t &* 16, as: SIMD4<Float>.self)
            let (m1, m2) = ((xq1 * y1 + h2) - xc1 * h1, xq2 * y1 - xc2 * h1)
            let next = lanes.loadUnaligned(fromByteOffset: t &* 16 &+ 16, as: SIMD4<Float>.self)
            let u1 = xg * next + n1
            (s1, s2) = ((xp1 * next + n2) - xa1 * n1, xp2 * next - xa2 * n1)
            lanes.storeBytes(of: u1 + m1, toByteOffset: t &* 16 &+ 16, as: SIMD4<Float>.self)
            (h1, h2) = ((xq1 * u1 + m2) - xc1 * m1, xq2 * u1 - xc2 * m1)
            t &+= 2
        }
        states = (s1, s2, h1, h2)
    }

    /// Transposes four rows of `count` floats (row k at `rows + k·count`) into `count` groups of four
    /// (`lanes + 4t`: element t of every row), or back when `toRows` is set, through 4 × 4 register tiles.
    @inline(__always)
    static func transpose(
        rows: UnsafeMutablePointer<Float>, lanes: UnsafeMutablePointer<Float>, count: Int, toRows: Bool
    ) {
        // A tile at instant t: its four vectors start at `from + t·step + j·row` and go to `to + t·step' + j·row'`.
        let (from, to) =
            toRows
            ? (UnsafeRawPointer(lanes), UnsafeMutableRawPointer(rows))
            : (UnsafeRawPointer(rows), UnsafeMutableRawPointer(lanes))
        let (fromStep, fromRow) = toRows ? (16, 16) : (4, count &* 4)  // in bytes
        let (toStep, toRow) = toRows ? (4, count &* 4) : (16, 16)
        var t = 0
        while t < count {
            let a = t &* fromStep, b = t &* toStep
            let r0 = from.loadUnaligned(fromByteOffset: a, as: SIMD4<Float>.self)
            let r1 = from.loadUnaligned(fromByteOffset: a &+ fromRow, as: SIMD4<Float>.self)
            let r2 = from.loadUnaligned(fromByteOffset: a &+ 2 &* fromRow, as: SIMD4<Float>.self)
            let r3 = from.loadUnaligned(fromByteOffset: a &+ 3 &* fromRow, as: SIMD4<Float>.self)
            to.storeBytes(of: SIMD4(r0[0], r1[0], r2[0], r3[0]), toByteOffset: b, as: SIMD4<Float>.self)
            to.storeBytes(of: SIMD4(r0[1], r1[1], r2[1], r3[1]), toByteOffset: b &+ toRow, as: SIMD4<Float>.self)
            to.storeBytes(of: SIMD4(r0[2], r1[2], r2[2], r3[2]), toByteOffset: b &+ 2 &* toRow, as: SIMD4<Float>.self)
            to.storeBytes(of: SIMD4(r0[3], r1[3], r2[3], r3[3]), toByteOffset: b &+ 3 &* toRow, as: SIMD4<Float>.self)
            t &+= 4
        }
    }

    /// Filters 4 × `segment` frames from `x` to `out` (which may be `x`): the four segments in the lanes,
    /// then the free responses of lanes 1–3's true initial states added (see the type's comment). The lanes'
    /// outputs go to `scratch` as they come (one instant of all four at a time), then to `out` in time order.
    func filterLanes(
        _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
        state: inout State
    ) {
        let L = Self.segment
        // The four segments side by side: scratch[4t + k] is sample t of segment k.
        Self.transpose(rows: UnsafeMutablePointer(mutating: x), lanes: scratch, count: L, toRows: false)
        var lanes = (
            SIMD4<Float>(state.z[0], 0, 0, 0), SIMD4<Float>(state.z[1], 0, 0, 0),
            SIMD4<Float>(state.z[2], 0, 0, 0), SIMD4<Float>(state.z[3], 0, 0, 0)
        )
        filterInLanes(scratch, count: L, states: &lanes)
        let (s1, s2, h1, h2) = lanes
        Self.transpose(rows: out, lanes: scratch, count: L, toRows: true)
        // Lane k's true final state is its own plus A^L times its true initial state, lane k−1's true final state.
        // In Double: the states carried from lane to lane are not rounded on the way (which made the result
        // depend on the block size by up to 1.6e-6 LU in the block-size test; 1e-6 is its bound).
        var z = SIMD4<Double>(SIMD4(s1[0], s2[0], h1[0], h2[0]))
        freeResponse.withUnsafeBufferPointer { table in
            let rows = UnsafeRawPointer(table.baseAddress!)
            let (r1, r2, r3) = (L &* 4, 2 &* L &* 4, 3 &* L &* 4)  // byte offsets of rows 1, 2, 3
            for lane in 1..<4 {
                let zf = SIMD4<Float>(z)
                let z0 = SIMD4(repeating: zf[0]), z1 = SIMD4(repeating: zf[1])
                let z2 = SIMD4(repeating: zf[2]), z3 = SIMD4(repeating: zf[3])
                let o = UnsafeMutableRawPointer(out + lane &* L)
                var b = 0
                while b < L &* 4 {
                    let f0 = rows.loadUnaligned(fromByteOffset: b, as: SIMD4<Float>.self) * z0
                    let f1 = rows.loadUnaligned(fromByteOffset: r1 &+ b, as: SIMD4<Float>.self) * z1
                    let f2 = rows.loadUnaligned(fromByteOffset: r2 &+ b, as: SIMD4<Float>.self) * z2
                    let f3 = rows.loadUnaligned(fromByteOffset: r3 &+ b, as: SIMD4<Float>.self) * z3
                    let y = o.loadUnaligned(fromByteOffset: b, as: SIMD4<Float>.self)
                    o.storeBytes(of: y + ((f0 + f1) + (f2 + f3)), toByteOffset: b, as: SIMD4<Float>.self)
                    b &+= 16
                }
                let own = SIMD4<Double>(SIMD4(s1[lane], s2[lane], h1[lane], h2[lane]))
                z = own + SIMD4((jump[0] * z).sum(), (jump[1] * z).sum(), (jump[2] * z).sum(), (jump[3] * z).sum())
            }
        }
        state.z = SIMD4<Float>(z)
    }
}
