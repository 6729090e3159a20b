import Dispatch
import Foundation
import VoxgateAudio
import VoxgateDSP

/// A file decoded to its mono mix, in memory, so that the fingerprinter can be timed without the decoder.
struct MonoClip {
    var path: String
    var sampleRate: Int
    var samples: [Float]

    init(path: String) throws {
        var decoder = try AudioDecoder(path: path)
        let channels = decoder.info.channels
        sampleRate = decoder.info.sampleRate
        self.path = path
        var block = [Float](repeating: 0, count: 4096 * channels)
        var mono = [Float](repeating: 0, count: 4096)
        var all: [Float] = []
        while true {
            let got = try block.withUnsafeMutableBufferPointer { b throws(DecodeError) in try decoder.read(into: b) }
            if got == 0 { break }
            block.withUnsafeBufferPointer { b in
                mono.withUnsafeMutableBufferPointer { m in
                    Mixdown.mono(b, channels: channels, frames: got, into: m)
                }
            }
            all.append(contentsOf: mono[0..<got])
        }
        samples = all
    }

    /// The fingerprint, fed in 4096-frame blocks as the pipeline does.
    func fingerprint() -> AudioFingerprint {
        var fingerprinter = SpeechFingerprinter(sampleRate: sampleRate)
        samples.withUnsafeBufferPointer { s in
            var f = 0
            while f < s.count {
                let n = min(4096, s.count - f)
                fingerprinter.consume(mono: UnsafeBufferPointer(rebasing: s[f..<f + n]))
                f += n
            }
        }
        return fingerprinter.finish()
    }
}

/// `voxgate-bench fingerprints FILE…`: one JSON line per file with its sub-fingerprints and the fingerprinter's
/// own time (decoded audio in memory, median of `repeats` runs, no decoding), for scripts/compare-fingerprints.
func fingerprintFiles(_ paths: [String], repeats: Int = 3) throws {
    for path in paths {
        let clip = try MonoClip(path: path)
        var runs: [Double] = []
        var words: [UInt32] = []
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            words = clip.fingerprint().subFingerprints
            runs.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e3)
        }
        let seconds = Double(clip.samples.count) / Double(clip.sampleRate)
        let escaped = path.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        print(
            #"{"file":"\#(escaped)","seconds":\#(String(format: "%.4f", seconds)),"rate":\#(clip.sampleRate),"#
                + #""kernel_us":\#(String(format: "%.1f", runs.sorted()[runs.count / 2])),"#
                + #""words":[\#(words.map { String($0) }.joined(separator: ","))]}"#)
    }
}

/// The fingerprinter alone on 60 s of speech-band noise at common upload rates, in 4096-frame blocks: median of
/// 5 runs, µs per second of audio and the real-time factor per core (part of `voxgate-bench kernels`).
func fingerprinterKernel() {
    var rng = SystemRandomNumberGenerator()
    for rate in [48_000, 44_100, 16_000, 8_000] {
        let frames = rate * 60
        let samples = (0..<frames).map { _ in Float.random(in: -0.5...0.5, using: &rng) }
        let clip = MonoClip(sampleRate: rate, samples: samples)
        var runs: [Double] = []
        var informative = 0
        for _ in 0..<5 {
            let start = DispatchTime.now().uptimeNanoseconds
            informative = clip.fingerprint().informativeCount
            runs.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e3)
        }
        let perSecond = runs.sorted()[2] / 60
        print(
            #"{"kernel":"fingerprint (resample to 8 kHz, 512-point FFT every 8 ms, 33 bands)","input_rate":\#(rate),"#
                + #""us_per_audio_s":\#(String(format: "%.1f", perSecond)),"#
                + #""x_realtime_per_core":\#(String(format: "%.0f", 1e6 / perSecond)),"sub_fingerprints":\#(informative)}"#
        )
    }
}

extension MonoClip {
    init(sampleRate: Int, samples: [Float]) {
        path = ""
        self.sampleRate = sampleRate
        self.samples = samples
    }
}
