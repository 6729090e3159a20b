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
    /// Clean speech: espeak-ng speech from TestAudio, and three long real recordings (the alsa-utils words read
    /// through, one man; the German and the Russian klettres alphabets, two more speakers), 10 s each.
    func cleanSpeech() throws -> [(String, [Float], Int)] {
        try Prerequisite.realSpeech.require()
        let dir = try TestSupport.temporaryFolder("voxgate-real")
        defer { TestSupport.remove(dir) }
        var files = ["dup-a-original.wav", "pcm16.wav", "flac.flac"].map { TestSupport.testAudioUploads + "/en/" + $0 }
        try RealSpeech.concatenate(RealSpeech.alsaSpeech, to: dir + "/en-alsa.wav")
        try RealSpeech.concatenate(try RealSpeech.alphabet("de"), to: dir + "/de-alphabet.wav")
        try RealSpeech.concatenate(try RealSpeech.alphabet("ru"), to: dir + "/ru-alphabet.wav")
        files += ["en-alsa", "de-alphabet", "ru-alphabet"].map { dir + "/\($0).wav" }
        return try files.map { path in
            let d = try DecodedFile(path: path)
            return ((path as NSString).lastPathComponent, FingerprintFixtures.monoMix(d), d.info.sampleRate)
        }
    }

    @Test(.enabled(if: Prerequisite.realSpeech.runs, Prerequisite.realSpeech.comment))
    func snrLadderTracksTheTrueSNR() throws {
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
                table.append(
                    "\(name) \(pink ? "pink" : "white"): "
                        + estimates.map { String(format: "%.1f", $0) }.joined(separator: " "))
                #expect(
                    zip(estimates, estimates.dropFirst()).allSatisfy { $0 < $1 }, "not monotonic: \(name) \(estimates)")
            }
        }
        let mae = errors.reduce(0, +) / Double(errors.count)
        print(
            "SNR ladder (true 0 5 10 15 20 30 dB), MAE \(String(format: "%.2f", mae)) dB:\n  "
                + table.joined(separator: "\n  "))
        // Measured: MAE 0.88 dB (6 clean recordings, 3 of them real, white and pink noise, 0-30 dB); bound 2 dB (2.3x).
        #expect(mae <= 2.0)
    }

    /// Clean real recordings with runs of exact zeros (up to 0.165 s in Front_Center.wav), and espeak-ng speech
    /// padded with exact zeros: the SNR reads high and finite.
    @Test(.enabled(if: Prerequisite.realSpeech.runs, Prerequisite.realSpeech.comment))
    func cleanSpeechWithExactZerosReadsHighAndFinite() throws {
        try Prerequisite.realSpeech.require()
        var cases: [(String, [Float], Int)] = try RealSpeech.alsaSpeech.map { path in
            let d = try DecodedFile(path: path)
            return ((path as NSString).lastPathComponent, FingerprintFixtures.monoMix(d), d.info.sampleRate)
        }
        let d = try DecodedFile(path: TestSupport.testAudioUploads + "/en/pcm16.wav")
        cases.append(
            (
                "pcm16.wav padded", [Float](repeating: 0, count: 4000) + d.samples + [Float](repeating: 0, count: 4000),
                d.info.sampleRate
            ))
        for (name, mono, rate) in cases {
            #expect(mono.contains(0), "\(name) has no exact zeros")
            let a = analyse(mono, rate: rate)
            #expect(a.hasSpeech, "\(name)")
            let snr = try #require(a.snrDB, "\(name)")
            #expect(snr.isFinite && snr >= 40, "\(name): \(snr)")
        }
    }

    @Test(.enabled(if: Prerequisite.realSpeech.runs, Prerequisite.realSpeech.comment))
    func noSpeechInSilenceHissOrNoise() throws {
        let rate = 16000
        #expect(!analyse([Float](repeating: 0, count: rate * 2), rate: rate).hasSpeech)
        let hiss = noise(rate * 2, pink: false, seed: 1).map { $0 * 0.001 }  // −60 dBFS
        #expect(!analyse(hiss, rate: rate).hasSpeech)
        let pink = noise(rate * 2, pink: true, seed: 2).map { $0 * 0.03 }  // −30 dBFS pink
        #expect(!analyse(pink, rate: rate).hasSpeech)
        // Real recorded noise (alsa-utils Noise.wav, -30 LUFS), as it is and 12 dB louder.
        try Prerequisite.realSpeech.require()
        let recorded = try DecodedFile(path: RealSpeech.alsaNoise)
        let noiseOnly = FingerprintFixtures.monoMix(recorded)
        #expect(!analyse(noiseOnly, rate: recorded.info.sampleRate).hasSpeech)
        #expect(!analyse(noiseOnly.map { $0 * 4 }, rate: recorded.info.sampleRate).hasSpeech)
    }

    @Test(.enabled(if: Prerequisite.realSpeech.runs, Prerequisite.realSpeech.comment))
    func quietAndNoisySpeechIsFound() throws {
        let (_, speech, rate) = try cleanSpeech()[0]
        let quiet = speech.map { $0 * 0.02 }  // −34 dB: about −55 LUFS
        #expect(analyse(quiet, rate: rate).hasSpeech)
        let power = activeSpeechPower(speech, rate: rate)
        let n = noise(speech.count, pink: false, seed: 3)
        // 5 dB SNR, white noise power 1/3
        let gain = Float((power / pow(10, 0.5)).squareRoot() / (1 / 3.0.squareRoot()))
        #expect(analyse(zip(speech, n).map { $0 + gain * $1 }, rate: rate).hasSpeech)
    }

    /// Each alsa-utils word, placed 1.0 s into 3 s of the real recorded noise of alsa-utils (Noise.wav, repeated)
    /// at 20 dB SNR: the speech edges found must be those of the clean word. The clean word's edges are its first
    /// and last sample above -30 dBFS (the words peak at -6 to -3 dBFS; the recordings are studio-clean, with exact
    /// zeros and a floor under -60 dBFS, so this is where the word audibly begins and ends).
    @Test(.enabled(if: Prerequisite.realSpeech.runs, Prerequisite.realSpeech.comment))
    func speechEdgesMatchTheCleanRecordingInRealNoise() throws {
        try Prerequisite.realSpeech.require()
        let noiseFile = try DecodedFile(path: RealSpeech.alsaNoise)
        let rate = noiseFile.info.sampleRate  // 48 kHz, as the words
        let noiseOnce = FingerprintFixtures.monoMix(noiseFile)
        let noisePower = noiseOnce.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(noiseOnce.count)
        var worst = 0.0
        for path in RealSpeech.alsaSpeech {
            let d = try DecodedFile(path: path)
            #expect(d.info.sampleRate == rate)
            let word = FingerprintFixtures.monoMix(d)
            let first = try #require(word.firstIndex { abs($0) > 0.0316 }),
                last = try #require(word.lastIndex { abs($0) > 0.0316 })
            let offset = rate
            let total = 3 * rate + word.count
            let gain = Float((activeSpeechPower(word, rate: rate) / noisePower / 100).squareRoot())
            var mix = (0..<total).map { gain * noiseOnce[$0 % noiseOnce.count] }
            for (i, x) in word.enumerated() { mix[offset + i] += x }
            let a = analyse(mix, rate: rate)
            let start = Double(offset + first) / Double(rate), end = Double(offset + last + 1) / Double(rate)
            let foundEnd = Double(total) / Double(rate) - a.trailingSilenceSeconds
            worst = max(worst, abs(a.leadingSilenceSeconds - start), abs(foundEnd - end))
            #expect(
                abs(a.leadingSilenceSeconds - start) <= 0.1,
                "\(path): speech starts at \(start), found \(a.leadingSilenceSeconds)")
            // Known issue (measured 2026-12-06): a word-final unvoiced stop ("Left", "Right") is cut, the end found
            // up to 0.20 s early; the start is within 0.02 s. Kept visible as a known issue, not loosened.
            withKnownIssue("word-final unvoiced consonants are cut from the speech end", isIntermittent: true) {
                #expect(
                    abs(foundEnd - end) <= 0.1,
                    "\(path): speech ends at \(end), found \(foundEnd); starts at \(start), found \(a.leadingSilenceSeconds)"
                )
            }
        }
        print("speech edges of 8 real words in real noise at 20 dB SNR: worst error \(worst) s")
    }

    @Test(.enabled(if: Prerequisite.realSpeech.runs, Prerequisite.realSpeech.comment))
    func clippingIsCountedInRunsAcrossBlocks() throws {
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
