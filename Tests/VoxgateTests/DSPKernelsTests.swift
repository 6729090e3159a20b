import Foundation
import Testing

import VoxgateAudio
@testable import VoxgateDSP
@testable import VoxgatePipeline

/// The AVX2 kernels (CVoxgateKernels, chosen at run time by ``DSPKernels``) against the portable Swift ones on
/// real recordings: the half-band decimator's and the resampler's outputs and the FFT's spectra bit for bit, and the fingerprints word for word.
/// Partitions of one corpus may run on nodes with and without AVX2, and `voxgate merge` must equal one run.
@Suite("DSP kernels: the AVX2 path gives the portable path's bits")
struct DSPKernelsTests {
    /// Every rate the pipeline meets in TestAudio and on the alsa recordings: 48 kHz Opus (WebM) and WAV (the
    /// half-band, then 24 → 8 kHz), 32 kHz MP3 (÷4), 16 kHz FLAC/WAV (÷2), 8 kHz (÷1), 44.1 kHz stereo (several
    /// phases: the portable resampler on both paths, the AVX2 FFT).
    static var recordings: [String] {
        let uploads = TestSupport.testAudioUploads
        let bundled = [
            "en/chromium-recording.webm", "de/zug.mp3", "en/mp3.mp3", "de/rosen.flac", "en/pcm16.wav",
            "en/noisy-0db.wav", "en/clipped.wav", "en/float32.wav", "en/stereo-44k.flac",
        ]
        .map { uploads + "/" + $0 }
        return bundled + (RealSpeech.installed ? RealSpeech.alsaSpeech : [])
    }

    static let avx2Runs = DSPKernels.available.contains(.avx2)

    /// How many values differ in their bits (or in number): 0 when the two paths agree exactly.
    static func differing(_ a: [Float], _ b: [Float]) -> Int {
        zip(a, b).reduce(abs(a.count - b.count)) { $0 + ($1.0.bitPattern == $1.1.bitPattern ? 0 : 1) }
    }

    /// The mono mix of `file`, as the pipeline makes it.
    static func mono(_ file: String) throws -> (samples: [Float], rate: Int) {
        let decoded = try DecodedFile(path: file)
        let channels = decoded.info.channels
        var mono = [Float](repeating: 0, count: decoded.frames)
        decoded.samples.withUnsafeBufferPointer { all in
            mono.withUnsafeMutableBufferPointer { out in
                Mixdown.mono(all, channels: channels, frames: decoded.frames, into: out)
            }
        }
        return (mono, decoded.info.sampleRate)
    }

    /// Feeds `samples` in blocks of `block` (odd on purpose: the AVX2 resampler's groups of four then end at other
    /// places than the portable one's).
    static func fingerprint(_ samples: [Float], rate: Int, kernels: DSPKernels, block: Int) -> [UInt32] {
        var fingerprinter = SpeechFingerprinter(sampleRate: rate, kernels: kernels)
        for start in stride(from: 0, to: samples.count, by: block) {
            samples[start..<min(start + block, samples.count)].withUnsafeBufferPointer {
                fingerprinter.consume(mono: $0)
            }
        }
        return fingerprinter.finish().subFingerprints
    }

    static func resampled(_ samples: [Float], from rate: Int, kernels: DSPKernels, block: Int) -> [Float] {
        var resampler = StreamingResampler(inputRate: rate, outputRate: 8000, cutoffHz: 3500, kernels: kernels)
        var out: [Float] = []
        for start in stride(from: 0, to: samples.count, by: block) {
            samples[start..<min(start + block, samples.count)].withUnsafeBufferPointer {
                resampler.consume($0, into: &out)
            }
        }
        resampler.finish(into: &out)
        return out
    }

    static func halved(_ samples: [Float], kernels: DSPKernels, block: Int) -> [Float] {
        var decimator = HalfBandDecimator(kernels: kernels)
        var out: [Float] = []
        for start in stride(from: 0, to: samples.count, by: block) {
            samples[start..<min(start + block, samples.count)].withUnsafeBufferPointer {
                decimator.consume($0, into: &out)
            }
        }
        decimator.finish(into: &out)
        return out
    }

    /// The power spectrum and the full transform of every 512-sample frame (hop 256), concatenated.
    static func spectra(_ signal: [Float], kernels: DSPKernels) -> [Float] {
        let n = 512
        let fft = RealFFT(size: n, kernels: kernels)
        var re = [Float](repeating: 0, count: n / 2 + 1), im = re, power = re
        var all: [Float] = []
        signal.withUnsafeBufferPointer { x in
            SpeechFingerprinter.window.withUnsafeBufferPointer { w in
                var start = 0
                while start + n <= x.count {
                    re.withUnsafeMutableBufferPointer { r in
                        im.withUnsafeMutableBufferPointer { i in
                            power.withUnsafeMutableBufferPointer { p in
                                fft.powerSpectrum(
                                    x.baseAddress! + start, window: w.baseAddress!, power: p.baseAddress!,
                                    re: r.baseAddress!, im: i.baseAddress!)
                                all += p
                                fft.transform(
                                    x.baseAddress! + start, window: nil, re: r.baseAddress!, im: i.baseAddress!)
                                all += r
                                all += i
                            }
                        }
                    }
                    start += 256
                }
            }
        }
        return all
    }

    @Test(.enabled(if: avx2Runs, "this CPU has no AVX2: only the portable kernels can run here"))
    func avx2KernelsGiveThePortableBitsOnRealRecordings() throws {
        var files = 0
        for file in Self.recordings {
            let (mono, rate) = try Self.mono(file)
            let name = (file as NSString).lastPathComponent
            // The resampler alone, straight from the clip's rate (single-phase and multi-phase ratios).
            let portable = Self.resampled(mono, from: rate, kernels: .portable, block: 4096)
            let wide = Self.resampled(mono, from: rate, kernels: .avx2, block: 4093)
            #expect(portable.count > 1000, "\(name): \(portable.count) resampled samples")
            #expect(Self.differing(portable, wide) == 0, "\(name): resampled samples differ")
            // The half-band decimator (the fingerprint's first stage at 48 kHz), on every clip whatever its rate.
            let halvedP = Self.halved(mono, kernels: .portable, block: 4096)
            let halvedW = Self.halved(mono, kernels: .avx2, block: 4093)
            #expect(halvedP.count == (mono.count + 1) / 2)
            #expect(Self.differing(halvedP, halvedW) == 0, "\(name): half-band outputs differ")
            // The FFT on the 8 kHz signal.
            let spectraP = Self.spectra(portable, kernels: .portable)
            let spectraW = Self.spectra(portable, kernels: .avx2)
            #expect(!spectraP.isEmpty)
            #expect(Self.differing(spectraP, spectraW) == 0, "\(name): spectra differ")
            // The whole fingerprint, as the pipeline makes it.
            let wordsP = Self.fingerprint(mono, rate: rate, kernels: .portable, block: 4096)
            let wordsW = Self.fingerprint(mono, rate: rate, kernels: .avx2, block: 4093)
            #expect(wordsP.count > 50, "\(name): \(wordsP.count) sub-fingerprints")
            #expect(
                zip(wordsP, wordsW).filter { $0 != $1 }.count == 0 && wordsP.count == wordsW.count,
                "\(name): fingerprints differ")
            files += 1
        }
        #expect(files >= 9)
    }

    @Test func detectedKernelsFollowTheCPUAndTheEnvironment() {
        let forced = ProcessInfo.processInfo.environment["VOXGATE_PORTABLE_KERNELS"].map { !$0.isEmpty && $0 != "0" }
        #expect(DSPKernels.available.first == .portable)
        if forced == true || !Self.avx2Runs {
            #expect(DSPKernels.detected == .portable)
        } else {
            #expect(DSPKernels.detected == .avx2)
        }
    }
}
