import Foundation
import Testing
import VoxgateAudio
import VoxgateDSP

/// Noise for the SNR ladder: white, or pink by Paul Kellet's economy filter; seeded, so runs repeat.
func noise(_ count: Int, pink: Bool, seed: UInt64) -> [Float] {
    var rng = SplitMix64(seed: seed)
    var (b0, b1, b2) = (Float(0), Float(0), Float(0))
    return (0..<count).map { _ in
        let w = Float(Double(rng.next() >> 11) / Double(1 << 53) * 2 - 1)
        guard pink else { return w }
        b0 = 0.99765 * b0 + w * 0.0990460
        b1 = 0.96300 * b1 + w * 0.2965164
        b2 = 0.57000 * b2 + w * 1.0526913
        return b0 + b1 + b2 + w * 0.1848
    }
}

func analyse(_ mono: [Float], rate: Int) -> SpeechActivity {
    var a = SpeechAnalyzer(sampleRate: rate)
    _ = mono.withUnsafeBufferPointer { a.consume(mono: $0) }
    return a.result
}

/// Mean power of the clean speech over its active frames (20 ms frames within 25 dB of its loudest 5%),
/// the speech side of the ladder's true SNR.
func activeSpeechPower(_ speech: [Float], rate: Int) -> Double {
    let n = rate / 50
    let frames = stride(from: 0, to: speech.count - n, by: n).map { i in
        speech[i..<i + n].reduce(0.0) { $0 + Double($1) * Double($1) } / Double(n)
    }
    let loud = frames.sorted()[Int(Double(frames.count - 1) * 0.95)]
    let active = frames.filter { $0 >= loud * pow(10, -25 / 10) }
    return active.reduce(0, +) / Double(active.count)
}

@Suite("Speech activity, SNR and clipping")
struct SpeechActivityTests {
    static let realspeech = TestSupport.packageRoot + "/../shared/data/realspeech"

    /// Clean speech: real recordings when ../shared is present, espeak-ng speech from TestAudio always.
    func cleanSpeech() throws -> [(String, [Float], Int)] {
        var files = ["dup-a-original.wav", "pcm16.wav", "flac.flac"].map { TestSupport.testAudioUploads + "/en/" + $0 }
        for name in ["en_cmu-arctic_a0024__deepspeech.wav", "de_read__picovoice-leopard.wav", "en_ljspeech_LJ050-0131__speechbrain.wav"] {
            let path = Self.realspeech + "/" + name
            if FileManager.default.fileExists(atPath: path) { files.append(path) }
        }
        return try files.map { path in
            let d = try DecodedFile(path: path)
            var mono = [Float](repeating: 0, count: d.frames)
            d.samples.withUnsafeBufferPointer { s in
                mono.withUnsafeMutableBufferPointer { Mixdown.mono(s, channels: d.info.channels, frames: d.frames, into: $0) }
            }
            return ((path as NSString).lastPathComponent, mono, d.info.sampleRate)
        }
    }

    @Test func snrLadderTracksTheTrueSNR() throws {
        let ladder = [0.0, 5, 10, 15, 20, 30]
        var errors: [Double] = []
        var table: [String] = []
        for (name, speech, rate) in try cleanSpeech() {
            let speechPower = activeSpeechPower(speech, rate: rate)
            for pink in [false, true] {
                let raw = noise(speech.count, pink: pink, seed: 42)
                let rawPower = raw.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(raw.count)
                var estimates: [Double] = []
                for snr in ladder {
                    let gain = Float((speechPower / rawPower / pow(10, snr / 10)).squareRoot())
                    let mix = zip(speech, raw).map { $0 + gain * $1 }
                    let estimate = analyse(mix, rate: rate).snrDB ?? -99
                    estimates.append(estimate)
                    errors.append(abs(estimate - snr))
                }
                table.append("\(name) \(pink ? "pink" : "white"): " + estimates.map { String(format: "%.1f", $0) }.joined(separator: " "))
                #expect(zip(estimates, estimates.dropFirst()).allSatisfy { $0 < $1 }, "not monotonic: \(name) \(estimates)")
            }
        }
        let mae = errors.reduce(0, +) / Double(errors.count)
        print("SNR ladder (true 0 5 10 15 20 30 dB), MAE \(String(format: "%.2f", mae)) dB:\n  " + table.joined(separator: "\n  "))
        #expect(mae <= 3)
    }

    @Test func cleanSpeechWithExactZerosReadsHighAndFinite() throws {
        let path = Self.realspeech + "/en_alsa_Front_Center.wav"
        let mono: [Float]
        let rate: Int
        if FileManager.default.fileExists(atPath: path) {
            let d = try DecodedFile(path: path)
            rate = d.info.sampleRate
            mono = stride(from: 0, to: d.samples.count, by: d.info.channels).map { d.samples[$0] }
        } else {
            let d = try DecodedFile(path: TestSupport.testAudioUploads + "/en/pcm16.wav")
            rate = d.info.sampleRate
            mono = [Float](repeating: 0, count: 4000) + d.samples + [Float](repeating: 0, count: 4000)
        }
        let a = analyse(mono, rate: rate)
        #expect(a.hasSpeech)
        let snr = try #require(a.snrDB)
        #expect(snr.isFinite && snr >= 40, "\(snr)")
    }

    @Test func noSpeechInSilenceHissOrNoise() {
        let rate = 16000
        #expect(!analyse([Float](repeating: 0, count: rate * 2), rate: rate).hasSpeech)
        let hiss = noise(rate * 2, pink: false, seed: 1).map { $0 * 0.001 }  // −60 dBFS
        #expect(!analyse(hiss, rate: rate).hasSpeech)
        let pink = noise(rate * 2, pink: true, seed: 2).map { $0 * 0.03 }  // −30 dBFS pink
        #expect(!analyse(pink, rate: rate).hasSpeech)
    }

    @Test func quietAndNoisySpeechIsFound() throws {
        let (_, speech, rate) = try cleanSpeech()[0]
        let quiet = speech.map { $0 * 0.02 }  // −34 dB: about −55 LUFS
        #expect(analyse(quiet, rate: rate).hasSpeech)
        let power = activeSpeechPower(speech, rate: rate)
        let n = noise(speech.count, pink: false, seed: 3)
        let gain = Float((power / pow(10, 0.5)).squareRoot() / (1 / 3.0.squareRoot()))  // 5 dB SNR, white noise power 1/3
        #expect(analyse(zip(speech, n).map { $0 + gain * $1 }, rate: rate).hasSpeech)
    }

    @Test func speechEdgesMatchTheLibriVoxLabel() throws {
        let path = Self.realspeech + "/en_librivox_sense-and-sensibility-0870__pocketsphinx.wav"
        guard FileManager.default.fileExists(atPath: path) else {
            print("skipped: ../shared/data/realspeech not present")
            return
        }
        let d = try DecodedFile(path: path)
        let a = analyse(d.samples, rate: d.info.sampleRate)  // mono
        let duration = Double(d.frames) / Double(d.info.sampleRate)
        #expect(abs(a.leadingSilenceSeconds - 0.236) <= 0.1, "speech starts at \(a.leadingSilenceSeconds)")
        #expect(abs((duration - a.trailingSilenceSeconds) - 6.762) <= 0.1, "speech ends at \(duration - a.trailingSilenceSeconds)")
    }

    @Test func clippingIsCountedInRunsAcrossBlocks() throws {
        let (_, speech, _) = try cleanSpeech()[0]
        func stats(_ x: [Float], block: Int) -> ClippingStats {
            var c = ClippingDetector(channels: 1)
            x.withUnsafeBufferPointer { all in
                var i = 0
                while i < x.count {
                    let n = min(block, x.count - i)
                    c.consume(UnsafeBufferPointer(rebasing: all[i..<i + n]), frames: n)
                    i += n
                }
            }
            return c.result
        }
        #expect(stats(speech, block: 4096).runs == 0)  // clean, normalised to −3 dBFS
        let hard = speech.map { Swift.min(Swift.max($0 * 8, -32767.0 / 32768), 32767.0 / 32768) }
        let a = stats(hard, block: 4096), b = stats(hard, block: 7)
        #expect(a.runs > 20 && a.ratio > 0.01)
        #expect(a == b)  // runs straddling block boundaries counted once
        let hot = speech.map { $0 * 20 }  // float decoders' values far above 1.0 count too
        #expect(stats(hot, block: 4096).runs > 20)
    }
}
