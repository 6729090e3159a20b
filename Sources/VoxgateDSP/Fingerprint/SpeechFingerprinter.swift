import RealModule

/// Computes an ``AudioFingerprint`` from the mono mix, block by block, in the same pass as the other meters.
///
/// Resamples to 8 kHz (``StreamingResampler``, cut at 3.5 kHz; from a multiple of 16 kHz from 48 kHz up, a
/// ``HalfBandDecimator`` halves the rate first, so the resampler's filter is half as long), then every 64 samples (8 ms) takes a
/// Hann-windowed 512-sample frame (64 ms), its power spectrum (``RealFFT``) and the energies of 33
/// mel-spaced bands from 200 to 3400 Hz; each frame from the fifth on yields one 32-bit sub-fingerprint
/// (band differences against the frame 32 ms earlier). The 8 ms hop keeps a copy whose start moved by a
/// fraction of a hop within 4 ms of the grid (measured: a 250 ms trim costs 4% of the bits with this hop and
/// lag, 13% with a 16 ms hop). Memory: one word and one energy per 8 ms (1 kB per second of audio) plus fixed
/// tables; no audio is kept beyond the current frame.
public struct SpeechFingerprinter: Sendable {
    public static let analysisRate = 8000
    static let frameLength = 512
    static let defaultHop = 64
    static let defaultLag = 4
    let hop: Int
    let lag: Int
    let quietDB: Double
    static let bandCount = 33
    /// Frames more than this far (dB) below the loud frames carry no reliable bits.
    static let quietFrameDB = 40.0

    @usableFromInline var resampler: StreamingResampler
    /// The first stage from 48, 64, 80, 96 kHz…: half the rate, then the resampler.
    @usableFromInline var halfBand: HalfBandDecimator?
    @usableFromInline var halved: [Float] = []
    @usableFromInline var pending: [Float] = []
    @usableFromInline var words: [UInt32] = []
    @usableFromInline var energies: [Float] = []
    /// The band differences of the last `lag` frames, a ring.
    @usableFromInline var previousDifferences: [Float]
    @usableFromInline var frameIndex = 0
    /// The frame times the window, computed eight samples at a time before the FFT gathers it in bit-reversed order
    /// (the same products the FFT's packing took one by one).
    @usableFromInline var windowed = [Float](repeating: 0, count: frameLength)
    @usableFromInline var scratchRe = [Float](repeating: 0, count: frameLength / 2)
    @usableFromInline var scratchIm = [Float](repeating: 0, count: frameLength / 2)
    /// The frame's power spectrum, bins 0…frameLength/2.
    @usableFromInline var power = [Float](repeating: 0, count: frameLength / 2 + 1)
    @usableFromInline var bands = [Float](repeating: 0, count: bandCount)
    /// The resampler's and the FFT's kernels (``DSPKernels``: the same words either way).
    let kernels: DSPKernels

    public init(sampleRate: Int, kernels: DSPKernels = .detected) {
        self.init(
            sampleRate: sampleRate, hop: Self.defaultHop, lag: Self.defaultLag, quietDB: Self.quietFrameDB,
            kernels: kernels)
    }

    /// - Parameter halfBand: halve rates that are multiples of 16 kHz (from 48 kHz) before resampling; false
    ///   only to compare with the single-stage resampler in tests.
    init(
        sampleRate: Int, hop: Int, lag: Int, quietDB: Double, halfBand: Bool = true,
        kernels: DSPKernels = .detected
    ) {
        self.kernels = kernels
        self.hop = hop
        self.lag = lag
        self.quietDB = quietDB
        previousDifferences = [Float](repeating: 0, count: (Self.bandCount - 1) * lag)
        // From 48 kHz up: at 32 kHz the half-band's transition would reach what the second stage keeps.
        let halve = halfBand && sampleRate % (2 * Self.analysisRate) == 0 && sampleRate >= 6 * Self.analysisRate
        self.halfBand = halve ? HalfBandDecimator(kernels: kernels) : nil
        resampler = StreamingResampler(
            inputRate: halve ? sampleRate / 2 : sampleRate, outputRate: Self.analysisRate, cutoffHz: 3500,
            kernels: kernels)
        pending.reserveCapacity(8192)
        if halve { halved.reserveCapacity(4096) }
    }

    /// Adds mono samples at the clip's own rate.
    public mutating func consume(mono: UnsafeBufferPointer<Float>) {
        if halfBand != nil {
            halved.removeAll(keepingCapacity: true)
            halfBand!.consume(mono, into: &halved)
            halved.withUnsafeBufferPointer { resampler.consume($0, into: &pending) }
        } else {
            resampler.consume(mono, into: &pending)
        }
        analyzeFrames()
    }

    /// Ends the clip and returns its fingerprint (empty when it is shorter than two frames, about 80 ms).
    public mutating func finish() -> AudioFingerprint {
        if halfBand != nil {
            halved.removeAll(keepingCapacity: true)
            halfBand!.finish(into: &halved)
            halved.withUnsafeBufferPointer { resampler.consume($0, into: &pending) }
        }
        resampler.finish(into: &pending)
        analyzeFrames()
        // Frames more than 40 dB below the loud frames (the 90th percentile of frame energy) carry noise or
        // codec artefacts only: mark them 0. A word needs both of its frames above that floor.
        let loud =
            energies.isEmpty ? 0 : OrderStatistic.values(energies, at: [Int(Double(energies.count - 1) * 0.9)])[0]
        let floor = loud * Float(Double.pow(10, -quietDB / 10))
        var out = words
        for i in out.indices where !(energies[i] > floor && energies[i + lag] > floor) || loud <= 0 { out[i] = 0 }
        return AudioFingerprint(subFingerprints: out)
    }

    /// Band edges (FFT bins of a 512-point transform at 8 kHz): mel-spaced from 200 to 3400 Hz, each band at
    /// least one bin wide.
    static let bandEdges: [Int] = {
        func mel(_ f: Double) -> Double { 2595 * Double.log10(1 + f / 700) }
        func hz(_ m: Double) -> Double { 700 * (Double.pow(10, m / 2595) - 1) }
        let low = mel(200), high = mel(3400)
        let binHz = Double(analysisRate) / Double(frameLength)
        var edges: [Int] = []
        for i in 0...bandCount {
            let f = hz(low + (high - low) * Double(i) / Double(bandCount))
            var bin = Int((f / binHz).rounded())
            if let last = edges.last, bin <= last { bin = last + 1 }
            edges.append(bin)
        }
        return edges
    }()

    static let window: [Float] = (0..<frameLength).map {
        Float(0.5 - 0.5 * Double.cos(2 * .pi * Double($0) / Double(frameLength)))
    }

    static let portableFFT = RealFFT(size: frameLength, kernels: .portable)
    /// Made on first use, i.e. only where `.avx2` was chosen.
    static let avx2FFT = RealFFT(size: frameLength, kernels: .avx2)

    mutating func analyzeFrames() {
        let n = Self.frameLength
        var start = 0
        while pending.count - start >= n {
            analyzeFrame(at: start)
            start += hop
        }
        if start > 0 { pending.removeFirst(start) }
    }

    mutating func analyzeFrame(at start: Int) {
        let edges = Self.bandEdges
        let fft = kernels == .avx2 ? Self.avx2FFT : Self.portableFFT
        pending.withUnsafeBufferPointer { src in
            Self.window.withUnsafeBufferPointer { w in
                windowed.withUnsafeMutableBufferPointer { frame in
                    let x = UnsafeRawPointer(src.baseAddress! + start), h = UnsafeRawPointer(w.baseAddress!)
                    let out = UnsafeMutableRawPointer(frame.baseAddress!)
                    var b = 0
                    while b < Self.frameLength &* 4 {
                        let v =
                            x.loadUnaligned(fromByteOffset: b, as: SIMD8<Float>.self)
                            * h.loadUnaligned(fromByteOffset: b, as: SIMD8<Float>.self)
                        out.storeBytes(of: v, toByteOffset: b, as: SIMD8<Float>.self)
                        b &+= 32
                    }
                }
            }
        }
        windowed.withUnsafeBufferPointer { frame in
            scratchRe.withUnsafeMutableBufferPointer { re in
                scratchIm.withUnsafeMutableBufferPointer { im in
                    power.withUnsafeMutableBufferPointer { pw in
                        fft.powerSpectrum(
                            frame.baseAddress!, window: nil, power: pw.baseAddress!, re: re.baseAddress!,
                            im: im.baseAddress!)
                        edges.withUnsafeBufferPointer { edge in
                            bands.withUnsafeMutableBufferPointer { b in
                                for m in 0..<Self.bandCount {
                                    var e: Float = 0
                                    for k in edge[m]..<edge[m &+ 1] { e += pw[k] }
                                    b[m] = e
                                }
                            }
                        }
                    }
                }
            }
        }
        var total: Float = 0
        for m in 0..<Self.bandCount { total += bands[m] }  // in band order, as always: the quiet floor compares these
        // The 32 band differences against the ring's, eight at a time, without a branch per bit (a branch on each
        // bit of a word was mispredicted half the time: most of this function's time in a profile, issue 18). The
        // same subtractions and comparisons as one at a time, so the same bits.
        var word: UInt32 = 0
        let ring = (frameIndex % lag) * (Self.bandCount - 1)
        bands.withUnsafeBufferPointer { b in
            previousDifferences.withUnsafeMutableBufferPointer { previous in
                let bandsRaw = UnsafeRawPointer(b.baseAddress!)
                let ringRaw = UnsafeMutableRawPointer(previous.baseAddress! + ring)
                let weights = SIMD8<UInt32>(1, 2, 4, 8, 16, 32, 64, 128)
                for g in 0..<((Self.bandCount - 1) / 8) {
                    let lower = bandsRaw.loadUnaligned(fromByteOffset: g &* 32, as: SIMD8<Float>.self)
                    let upper = bandsRaw.loadUnaligned(fromByteOffset: g &* 32 &+ 4, as: SIMD8<Float>.self)
                    let d = lower - upper
                    let before = ringRaw.loadUnaligned(fromByteOffset: g &* 32, as: SIMD8<Float>.self)
                    let set = SIMD8<UInt32>(repeating: 0).replacing(with: weights, where: d - before .> 0)
                    word |= set.wrappedSum() << UInt32(8 &* g)
                    ringRaw.storeBytes(of: d, toByteOffset: g &* 32, as: SIMD8<Float>.self)
                }
            }
        }
        energies.append(total)
        if frameIndex >= lag { words.append(word) }
        frameIndex += 1
    }
}
