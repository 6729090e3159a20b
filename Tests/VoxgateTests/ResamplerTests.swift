import Foundation
import Testing
import VoxgateAudio
import VoxgateDSP

/// libsoxr through ``Resampler`` against sox's own `rate -v 16000` (the same library, driven by sox), and
/// loudness kept through resampling.
@Suite("Resampler: 48 and 44.1 kHz to 16 kHz, as sox rate -v does")
struct ResamplerTests {
    /// What `Resampler` makes of `samples`, fed in blocks of `block` frames (block edges must not show).
    static func resample(_ samples: [Float], from rate: Int, to target: Int, block: Int = 4096) throws -> [Float] {
        let resampler = try Resampler(inputRate: rate, outputRate: target, channels: 1)
        var out: [Float] = []
        try samples.withUnsafeBufferPointer { all in
            var i = 0
            while i < all.count {
                let n = min(block, all.count - i)
                try resampler.process(UnsafeBufferPointer(rebasing: all[i..<i + n]), frames: n) { out += $0.prefix($1) }
                i += n
            }
        }
        try resampler.finish { out += $0.prefix($1) }
        return out
    }

    /// The two signals at `rate`, as 32-bit float WAV: a 1 kHz sine at −6 dBFS, and espeak-ng speech
    /// (22.05 kHz) brought to `rate` by sox.
    /// Each signal with the largest error allowed against sox (the energy of the difference relative to
    /// the signal's). Measured: the sine −136 dB (48 kHz) and −125 dB (44.1 kHz), speech −81.5 and −79.5 dB:
    /// sox 14.4's `rate` is its own build of the algorithm, not this libsoxr, so the two are not bit-identical;
    /// the difference grows with the signal's energy near the cutoff (the sine has none, speech a little).
    static func signals(rate: Int, in folder: String) throws -> [(String, String, Double)] {
        let sine = folder + "/sine-\(rate).wav"
        try TestSupport.must(
            "sox",
            [
                "-n", "-r", "\(rate)", "-c", "1", "-e", "floating-point", "-b", "32", sine, "synth", "3", "sine",
                "1000", "vol", "0.5",
            ])
        let voice = folder + "/voice.wav"
        try TestSupport.must(
            "espeak-ng", ["-v", "en-us", "-w", voice, "The quick brown fox jumps over the lazy dog, twice."])
        let speech = folder + "/speech-\(rate).wav"
        try TestSupport.must(
            "sox", [voice, "-e", "floating-point", "-b", "32", speech, "rate", "-v", "\(rate)", "norm", "-3"])
        return [("1 kHz sine", sine, -110), ("espeak speech", speech, -70)]
    }

    @Test(arguments: [48000, 44100])
    func matchesSoxRateVAndKeepsLoudness(rate: Int) throws {
        let folder = try TestSupport.temporaryFolder("voxgate-resample")
        defer { TestSupport.remove(folder) }
        for (name, path, allowedDB) in try Self.signals(rate: rate, in: folder) {
            let input = try DecodedFile(path: path)
            #expect(input.info.sampleRate == rate)
            let ours = try Self.resample(input.samples, from: rate, to: 16000, block: 1000)
            let reference = folder + "/ref.wav"
            try TestSupport.must("sox", [path, "-e", "floating-point", "-b", "32", reference, "rate", "-v", "16000"])
            let sox = try DecodedFile(path: reference).samples
            #expect(abs(ours.count - sox.count) <= 1, "\(name): \(ours.count) frames, sox \(sox.count)")
            let n = min(ours.count, sox.count)
            var error = 0.0, power = 0.0, peak = 0.0
            for i in 0..<n {
                let d = Double(ours[i] - sox[i])
                error += d * d
                power += Double(sox[i]) * Double(sox[i])
                peak = max(peak, abs(d))
            }
            let relativeDB = 10 * log10(max(error, 1e-30) / power)
            let peakDB = 20 * log10(max(peak, 1e-15))
            print(
                "resample \(rate)→16000 \(name): error vs sox rate -v \(String(format: "%.1f", relativeDB)) dB rel. signal, peak \(String(format: "%.1f", peakDB)) dBFS"
            )
            #expect(relativeDB < allowedDB, "\(name): \(relativeDB) dB")

            let before = try #require(measureLoudness(input.samples, sampleRate: rate, channels: 1).0.integratedLUFS)
            let after = try #require(measureLoudness(ours, sampleRate: 16000, channels: 1).0.integratedLUFS)
            print(
                "resample \(rate)→16000 \(name): loudness \(String(format: "%.3f", before)) → \(String(format: "%.3f", after)) LUFS"
            )
            #expect(abs(after - before) <= 0.1, "\(name): \(before) → \(after) LUFS")
        }
    }

    @Test func blockSizeDoesNotChangeTheOutput() throws {
        let tone = (0..<48000).map { Float(0.5 * sin(2 * Double.pi * 1000 * Double($0) / 48000)) }
        let a = try Self.resample(tone, from: 48000, to: 16000, block: 4096)
        let b = try Self.resample(tone, from: 48000, to: 16000, block: 333)
        #expect(a.count == 16000)
        #expect(firstDifference(a, b) == nil)
    }

    @Test func refusesImpossibleRates() {
        #expect(throws: ResampleError.self) { try Resampler(inputRate: 0, outputRate: 16000, channels: 1) }
        #expect(throws: ResampleError.self) { try Resampler(inputRate: 48000, outputRate: 16000, channels: 9) }
    }
}
