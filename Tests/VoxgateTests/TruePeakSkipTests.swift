import Foundation
import Testing
import VoxgateAudio

@testable import VoxgateDSP

/// The true-peak meter skips spans that cannot raise its peak and interpolates the others four outputs at a
/// time: neither may change the result. The reference here interpolates every input of every channel with
/// a plain scalar loop (same taps, same summation order: even and odd taps apart, then added), so the two
/// must agree to the bit.
@Suite("True peak: skipping and vectorising change no bit")
struct TruePeakSkipTests {
    /// Unskipped, unvectorised: max |x| and max |y| over every interpolated output of every input.
    func reference(_ samples: [Float], sampleRate: Int, channels: Int) -> Float {
        let factor = sampleRate < 96_000 ? 4 : sampleRate < 192_000 ? 2 : 1
        let taps = TruePeakMeter.interpolationTaps(factor: factor)
        var peak = samples.reduce(Float(0)) { max($0, abs($1)) }
        let frames = samples.count / channels
        for c in 0..<channels {
            for n in 0..<frames {
                for p in 0..<3 {
                    // Even taps and odd taps each summed in order, then added (the meter's order).
                    var even: Float = 0, odd: Float = 0
                    for k in taps.indices {
                        let x = n - k >= 0 ? samples[(n - k) * channels + c] : 0
                        if k % 2 == 0 { even += taps[k][p] * x } else { odd += taps[k][p] * x }
                    }
                    peak = max(peak, abs(even + odd))
                }
            }
        }
        return peak
    }

    /// Signals that put the peak early, late, between samples, at block and span edges, and in one channel.
    static func signals(rate: Int, channels: Int) throws -> [(String, [Float])] {
        var rng = SplitMix64(seed: UInt64(rate * channels))
        func noise(_ frames: Int, _ level: Float) -> [Float] {
            (0..<frames * channels).map { _ in level * Float(Double(rng.next() >> 11) / Double(1 << 53) * 2 - 1) }
        }
        var out: [(String, [Float])] = []
        // Speech, as decoded (mono file, copied to every channel, the last channel at half level).
        let speech = try DecodedFile(path: TestSupport.testAudioUploads + "/en/dup-a-original.wav")
        out.append(
            (
                "speech",
                speech.samples.prefix(rate).flatMap { s in
                    (0..<channels).map { c in c == channels - 1 && channels > 1 ? s / 2 : s }
                }
            ))
        // Noise whose level rises, falls and rises again: the running peak is overtaken several times.
        var swell: [Float] = []
        for level: Float in [0.05, 0.3, 0.1, 0.6, 0.2, 0.9] { swell += noise(rate / 10, level) }
        out.append(("noise swells", swell))
        // Isolated impulses and alternating-sign bursts (the interpolator's worst case) on both sides of
        // span (16) and block edges, each louder than the last.
        var impulses = noise(rate / 2, 0.01)
        for (i, frame) in [15, 16, 17, 333, 4095, 4096, 4100, 9000, 12_287].enumerated() where frame + 4 < rate / 2 {
            let a = 0.1 * Float(i + 1)
            for j in 0..<4 { impulses[(frame + j) * channels] = j % 2 == 0 ? a : -a }
        }
        out.append(("impulses and bursts", impulses))
        // fs/4 at 45°: every inter-sample peak is 3 dB over the samples.
        out.append(
            (
                "fs/4 tone",
                (0..<rate / 4 * channels).map { i in
                    Float(0.5 * sin(Double.pi / 2 * Double(i / channels) + Double.pi / 4))
                }
            ))
        return out
    }

    @Test(arguments: [48_000, 96_000])
    func skippingAndVectorisingChangeNoBit(rate: Int) throws {
        for channels in [1, 2] {
            for (name, s) in try Self.signals(rate: rate, channels: channels) {
                let expected = reference(s, sampleRate: rate, channels: channels)
                for block in [4096, 333, 16, 7, 1] {
                    let got = measureLoudness(s, sampleRate: rate, channels: channels, block: block).1
                    // The meter reports 20·log10 of its Float peak: equal dBTP means the very same peak.
                    #expect(
                        got == 20 * log10(Double(expected)),
                        "\(name), \(rate) Hz, \(channels) ch, blocks of \(block): \(got) vs unskipped \(20 * log10(Double(expected)))"
                    )
                }
            }
        }
    }
}
