import CVoxgateKernels
import RealModule

/// The FFT of a real frame of one fixed power-of-two size n (at least 16), with its tables computed once: the
/// n/2 + 1 bins X[0…n/2] (the others are their conjugates).
///
/// The frame is packed as n/2 complex samples z[m] = x[2m] + i·x[2m+1] (windowed on the way and read in
/// bit-reversed order straight into the first radix-4 pass, so there is no permutation pass), transformed by
/// an n/2-point radix-2 complex FFT, and split: X[k] = E[k] + e^(−2πik/n)·O[k], with E and O the transforms of
/// the even and odd samples, E[k] = (Z[k] + Z*[n/2−k]) / 2 and O[k] = (Z[k] − Z*[n/2−k]) / 2i. Half the work of
/// a complex transform of the same size. The first two passes (twiddles 1 and −i) are one radix-4 pass without
/// multiplications, the third runs on `SIMD4<Float>`, the others on `SIMD8<Float>` with one contiguous twiddle
/// row per pass. ``powerSpectrum(_:window:power:re:im:)`` splits four bin pairs at a time. Checked against a
/// direct DFT in the tests. With `kernels` `.avx2` the 8-lane passes run in AVX2 registers (``DSPKernels``;
/// the same butterflies, bit for bit).
public struct RealFFT: Sendable {
    public let size: Int
    @usableFromInline let half: Int
    /// Pass with half-length h (h butterflies per group) uses twiddles e^(−iπj/h), j < h, at [h + j].
    @usableFromInline let passCos: [Float]
    @usableFromInline let passSin: [Float]
    /// e^(−2πik/n) for k in 0…n/4, for the split step.
    @usableFromInline let splitCos: [Float]
    @usableFromInline let splitSin: [Float]
    /// Bit reversal of log2(n/2) bits.
    @usableFromInline let reversed: [Int32]
    public let kernels: DSPKernels

    public init(size: Int, kernels: DSPKernels = .detected) {
        precondition(size >= 16 && size & (size - 1) == 0, "real FFT size must be a power of two, at least 16")
        self.size = size
        self.kernels = kernels
        let m = size / 2
        half = m
        var pc = [Float](repeating: 0, count: m), ps = [Float](repeating: 0, count: m)
        var h = 1
        while h < m {
            for j in 0..<h {
                pc[h + j] = Float(Double.cos(.pi * Double(j) / Double(h)))
                ps[h + j] = Float(-Double.sin(.pi * Double(j) / Double(h)))
            }
            h <<= 1
        }
        passCos = pc
        passSin = ps
        splitCos = (0...size / 4).map { Float(Double.cos(2 * .pi * Double($0) / Double(size))) }
        splitSin = (0...size / 4).map { Float(-Double.sin(2 * .pi * Double($0) / Double(size))) }
        let bits = m.trailingZeroBitCount
        reversed = (0..<m).map { i in
            var r = 0
            for b in 0..<bits where i & (1 << b) != 0 { r |= 1 << (bits - 1 - b) }
            return Int32(r)
        }
    }

    /// X[k] = Σ x[t]·w[t]·e^(−2πikt/n) for k in 0…n/2 into `re` and `im` (each n/2 + 1 long); `window` (n
    /// long) may be nil for no window. `x` is read only.
    public func transform(
        _ x: UnsafePointer<Float>, window: UnsafePointer<Float>?,
        re: UnsafeMutablePointer<Float>, im: UnsafeMutablePointer<Float>
    ) {
        packAndFirstPasses(x, window: window, re: re, im: im)
        laterPasses(re: re, im: im)
        split(re: re, im: im)
    }

    /// |X[k]|² for k in 0…n/2 into `power` (n/2 + 1 long), with `re` and `im` (each n/2 long) as scratch: the
    /// split step yields the power of each pair of bins directly, never storing X.
    public func powerSpectrum(
        _ x: UnsafePointer<Float>, window: UnsafePointer<Float>?, power: UnsafeMutablePointer<Float>,
        re: UnsafeMutablePointer<Float>, im: UnsafeMutablePointer<Float>
    ) {
        packAndFirstPasses(x, window: window, re: re, im: im)
        laterPasses(re: re, im: im)
        let m = half
        let z0r = re[0], z0i = im[0]
        power[0] = (z0r + z0i) * (z0r + z0i)
        power[m] = (z0r - z0i) * (z0r - z0i)
        power[m / 2] = re[m / 2] * re[m / 2] + im[m / 2] * im[m / 2]
        splitCos.withUnsafeBufferPointer { cs in
            splitSin.withUnsafeBufferPointer { sn in
                // Four pairs at a time: bins k…k+3 upwards and their partners n/2−k…n/2−k−3 downwards (loaded
                // upwards from n/2−k−3 and reversed).
                @inline(__always) func reversed4(_ v: SIMD4<Float>) -> SIMD4<Float> { SIMD4(v[3], v[2], v[1], v[0]) }
                let rr = UnsafeRawPointer(re), ir = UnsafeRawPointer(im)
                let cr = UnsafeRawPointer(cs.baseAddress!), sr = UnsafeRawPointer(sn.baseAddress!)
                let pw = UnsafeMutableRawPointer(power)
                var k = 1
                while k &+ 4 <= m / 2 {
                    let lo = (m &- k &- 3) &* 4, kb = k &* 4
                    let ar = rr.loadUnaligned(fromByteOffset: kb, as: SIMD4<Float>.self)
                    let ai = ir.loadUnaligned(fromByteOffset: kb, as: SIMD4<Float>.self)
                    let cr4 = reversed4(rr.loadUnaligned(fromByteOffset: lo, as: SIMD4<Float>.self))
                    let ci4 = reversed4(ir.loadUnaligned(fromByteOffset: lo, as: SIMD4<Float>.self))
                    let er = ar + cr4, ei = ai - ci4
                    let or = ai + ci4, oi = cr4 - ar
                    let wr = cr.loadUnaligned(fromByteOffset: kb, as: SIMD4<Float>.self)
                    let wi = sr.loadUnaligned(fromByteOffset: kb, as: SIMD4<Float>.self)
                    let tr = wr * or - wi * oi, ti = wr * oi + wi * or
                    let pr = er + tr, pi = ei + ti, qr = er - tr, qi = ei - ti
                    pw.storeBytes(of: 0.25 * (pr * pr + pi * pi), toByteOffset: kb, as: SIMD4<Float>.self)
                    pw.storeBytes(of: reversed4(0.25 * (qr * qr + qi * qi)), toByteOffset: lo, as: SIMD4<Float>.self)
                    k &+= 4
                }
                while k < m / 2 {
                    let l = m &- k
                    let ar = re[k], ai = im[k], cr = re[l], ci = im[l]
                    let er = ar + cr, ei = ai - ci
                    let or = ai + ci, oi = cr - ar
                    let wr = cs[k], wi = sn[k]
                    let tr = wr * or - wi * oi, ti = wr * oi + wi * or
                    // X[k] = (2E + w·2O)/2, X[l] = conj(2E − w·2O)/2, as in `split`.
                    let pr = er + tr, pi = ei + ti, qr = er - tr, qi = ei - ti
                    power[k] = 0.25 * (pr * pr + pi * pi)
                    power[l] = 0.25 * (qr * qr + qi * qi)
                    k &+= 1
                }
            }
        }
    }

    /// z[t] = x[2t]·w[2t] + i·x[2t+1]·w[2t+1], t < n/2, in bit-reversed order, through the first two
    /// passes (twiddles 1 and −i) as one radix-4 pass, into `re` and `im`. Positions 4g…4g+3 hold z[r],
    /// z[r + n/4], z[r + n/8], z[r + 3n/8] with r the bit reversal of 4g, so they are read from `x` directly.
    @usableFromInline func packAndFirstPasses(
        _ x: UnsafePointer<Float>, window: UnsafePointer<Float>?,
        re: UnsafeMutablePointer<Float>, im: UnsafeMutablePointer<Float>
    ) {
        let m = half
        let q1 = m / 2, q2 = m / 4, q3 = 3 * m / 4
        reversed.withUnsafeBufferPointer { rev in
            @inline(__always) func z(_ j: Int) -> (Float, Float) {
                if let w = window { return (x[2 &* j] * w[2 &* j], x[2 &* j &+ 1] * w[2 &* j &+ 1]) }
                return (x[2 &* j], x[2 &* j &+ 1])
            }
            var s = 0
            while s < m {
                let r = Int(rev[s])
                let (a0r, a0i) = z(r), (a1r, a1i) = z(r &+ q1), (a2r, a2i) = z(r &+ q2), (a3r, a3i) = z(r &+ q3)
                let b0r = a0r + a1r, b0i = a0i + a1i, b1r = a0r - a1r, b1i = a0i - a1i
                let b2r = a2r + a3r, b2i = a2i + a3i, b3r = a2r - a3r, b3i = a2i - a3i
                re[s] = b0r + b2r
                im[s] = b0i + b2i
                re[s &+ 2] = b0r - b2r
                im[s &+ 2] = b0i - b2i
                // −i·b3 = b3i − i·b3r
                re[s &+ 1] = b1r + b3i
                im[s &+ 1] = b1i - b3r
                re[s &+ 3] = b1r - b3i
                im[s &+ 3] = b1i + b3r
                s &+= 4
            }
        }
    }

    /// The passes h = 4 … n/4 of the n/2-point complex FFT, in place, after ``packAndFirstPasses``.
    @usableFromInline func laterPasses(re: UnsafeMutablePointer<Float>, im: UnsafeMutablePointer<Float>) {
        let m = half
        passCos.withUnsafeBufferPointer { pcb in
            passSin.withUnsafeBufferPointer { psb in
                let pc = pcb.baseAddress!, ps = psb.baseAddress!
                let rr = UnsafeMutableRawPointer(re), ir = UnsafeMutableRawPointer(im)
                let cr = UnsafeRawPointer(pc), sr = UnsafeRawPointer(ps)
                // Pass h = 4 on SIMD4: one group of four butterflies at a time.
                let w4r = cr.loadUnaligned(fromByteOffset: 16, as: SIMD4<Float>.self)
                let w4i = sr.loadUnaligned(fromByteOffset: 16, as: SIMD4<Float>.self)
                var start = 0
                while start < m {
                    let p = start &* 4, q = p &+ 16
                    let ar = rr.loadUnaligned(fromByteOffset: p, as: SIMD4<Float>.self)
                    let ai = ir.loadUnaligned(fromByteOffset: p, as: SIMD4<Float>.self)
                    let br = rr.loadUnaligned(fromByteOffset: q, as: SIMD4<Float>.self)
                    let bi = ir.loadUnaligned(fromByteOffset: q, as: SIMD4<Float>.self)
                    let tr = br * w4r - bi * w4i
                    let ti = br * w4i + bi * w4r
                    rr.storeBytes(of: ar + tr, toByteOffset: p, as: SIMD4<Float>.self)
                    ir.storeBytes(of: ai + ti, toByteOffset: p, as: SIMD4<Float>.self)
                    rr.storeBytes(of: ar - tr, toByteOffset: q, as: SIMD4<Float>.self)
                    ir.storeBytes(of: ai - ti, toByteOffset: q, as: SIMD4<Float>.self)
                    start &+= 8
                }
                #if arch(x86_64)
                    if kernels == .avx2 {
                        vg_fft_passes_from8_avx2(re, im, pc, ps, m)
                        return
                    }
                #endif
                var h = 8
                while h < m {
                    var start = 0
                    while start < m {
                        var j = 0
                        while j < h {
                            let p = (start &+ j) &* 4, q = p &+ h &* 4, t = (h &+ j) &* 4
                            let wr = cr.loadUnaligned(fromByteOffset: t, as: SIMD8<Float>.self)
                            let wi = sr.loadUnaligned(fromByteOffset: t, as: SIMD8<Float>.self)
                            let ar = rr.loadUnaligned(fromByteOffset: p, as: SIMD8<Float>.self)
                            let ai = ir.loadUnaligned(fromByteOffset: p, as: SIMD8<Float>.self)
                            let br = rr.loadUnaligned(fromByteOffset: q, as: SIMD8<Float>.self)
                            let bi = ir.loadUnaligned(fromByteOffset: q, as: SIMD8<Float>.self)
                            let tr = br * wr - bi * wi
                            let ti = br * wi + bi * wr
                            rr.storeBytes(of: ar + tr, toByteOffset: p, as: SIMD8<Float>.self)
                            ir.storeBytes(of: ai + ti, toByteOffset: p, as: SIMD8<Float>.self)
                            rr.storeBytes(of: ar - tr, toByteOffset: q, as: SIMD8<Float>.self)
                            ir.storeBytes(of: ai - ti, toByteOffset: q, as: SIMD8<Float>.self)
                            j &+= 8
                        }
                        start &+= 2 &* h
                    }
                    h <<= 1
                }
            }
        }
    }

    /// Turns Z = FFT(z) (n/2 bins) into X[0…n/2] in place, pair by pair (k and n/2 − k need the same two bins).
    @usableFromInline func split(re: UnsafeMutablePointer<Float>, im: UnsafeMutablePointer<Float>) {
        let m = half
        let z0r = re[0], z0i = im[0]
        re[0] = z0r + z0i
        im[0] = 0
        re[m] = z0r - z0i
        im[m] = 0
        splitCos.withUnsafeBufferPointer { cs in
            splitSin.withUnsafeBufferPointer { sn in
                // k = n/4 is its own partner: X = conj(Z[n/4]) (E = Re Z, O = −Im Z, twiddle −i).
                im[m / 2] = -im[m / 2]
                for k in 1..<(m / 2) {
                    let l = m &- k
                    let ar = re[k], ai = im[k], cr = re[l], ci = im[l]
                    // 2E = (a + c*), 2O = (a − c*)/i; the same for the partner with a and c swapped.
                    let er = ar + cr, ei = ai - ci
                    let or = ai + ci, oi = cr - ar
                    // w = e^(−2πik/n); the partner's twiddle is e^(−2πi(n/2−k)/n) = −conj(w).
                    let wr = cs[k], wi = sn[k]
                    let tr = wr * or - wi * oi, ti = wr * oi + wi * or
                    re[k] = 0.5 * (er + tr)
                    im[k] = 0.5 * (ei + ti)
                    // Partner: E[l] = conj(E[k]), O[l] = conj(O[k]), twiddle −conj(w): X[l] = conj(E[k] − w·O[k]).
                    re[l] = 0.5 * (er - tr)
                    im[l] = 0.5 * (ti - ei)
                }
            }
        }
    }
}
