import RealModule

/// Where the speech is and how far it stands above the noise.
public struct SpeechActivity: Sendable, Hashable {
    /// Whether any speech was detected.
    public var hasSpeech: Bool
    /// Seconds marked as speech (with hangover).
    public var speechSeconds: Double
    /// Seconds before the first and after the last speech frame.
    public var leadingSilenceSeconds: Double
    public var trailingSilenceSeconds: Double
    /// Estimated SNR in dB (speech-frame power above the noise power, over the noise power), capped at
    /// ``SpeechAnalyzer/maxSNR``; nil without speech, or when the speech has no pause of 100 ms to measure
    /// the noise in (continuous speech: its quietest frames are speech, not noise). Above about 40 dB it means "clean": the estimate no
    /// longer resolves the noise.
    public var snrDB: Double?
}

/// An energy voice-activity detector with an adaptive threshold and hangover, and the SNR estimator
/// that builds on it, over the mono mix.
///
/// Frames of 20 ms; the noise floor is the 10th percentile of frame energies (ignoring exact digital
/// zeros, which clean recordings contain and which would make any log-domain estimate infinite); a frame
/// is speech when it is at least max(6 dB, 30% of the speech-to-floor range) above the floor; speech
/// regions are extended by 60 ms (hangover). Stationary noise, whatever its level and colour, lacks the
/// syllabic modulation of speech (< 3 dB between the 10th and 95th percentiles of 100 ms energies). SNR: the mean power
/// of frames 3 dB over the floor less the noise power, over the noise power. Memory: one `Float` per 20 ms frame.
public struct SpeechAnalyzer: Sendable {
    public static let maxSNR = 100.0
    static let hangoverFrames = 3
    /// The shortest pause (frames of 20 ms) that gives a noise reference.
    static let minimumPauseFrames = 5
    let frameLength: Int
    let sampleRate: Int
    private var energies: [Float] = []
    private var partial = 0.0
    private var partialCount = 0

    public init(sampleRate: Int) {
        self.sampleRate = sampleRate
        frameLength = max(1, sampleRate / 50)
    }

    /// Adds mono samples.
    /// - Returns: their Σ x² (the level meter's mean square, without a second pass over them).
    @discardableResult
    public mutating func consume(mono: UnsafeBufferPointer<Float>) -> Double {
        var offset = 0
        var total = 0.0
        while offset < mono.count {
            let n = min(mono.count - offset, frameLength - partialCount)
            let sum = Double(LevelMeter.sumOfSquares(UnsafeBufferPointer(rebasing: mono[offset..<offset + n])))
            partial += sum
            total += sum
            partialCount += n
            offset += n
            if partialCount == frameLength {
                energies.append(Float(partial / Double(frameLength)))
                partial = 0
                partialCount = 0
            }
        }
        return total
    }

    public var result: SpeechActivity {
        let frameSeconds = Double(frameLength) / Double(sampleRate)
        let none = SpeechActivity(
            hasSpeech: false, speechSeconds: 0, leadingSilenceSeconds: Double(energies.count) * frameSeconds,
            trailingSilenceSeconds: 0, snrDB: nil)
        let db = energies.map { $0 > 0 ? 10 * Double.log10(Double($0)) : -200 }
        let nonZero = db.filter { $0 > -150 }
        guard nonZero.count >= 5 else { return none }
        let percentiles = OrderStatistic.values(
            nonZero, at: [Int(Double(nonZero.count - 1) * 0.10), Int(Double(nonZero.count - 1) * 0.95)])
        let (floor, loud) = (percentiles[0], percentiles[1])
        // Speech needs a level (−60 dBFS) and an energy range stationary noise does not have.
        // Speech needs a level (−60 dBFS) and syllabic modulation: over 100 ms windows, stationary noise of any
        // colour varies by well under 3 dB between its 10th and 95th percentiles; speech, even under noise
        // as loud as itself, varies by more.
        let windows = stride(from: 0, to: max(energies.count - 4, 0), by: 5).map { i in
            10 * Double.log10(Double(energies[i..<i + 5].reduce(0, +)) / 5 + 1e-20)
        }
        guard windows.count >= 3, loud > -60 else { return none }
        let spread = OrderStatistic.values(
            windows, at: [Int(Double(windows.count - 1) * 0.95), Int(Double(windows.count - 1) * 0.10)])
        guard spread[0] - spread[1] >= 3 else { return none }
        let threshold = floor + Swift.max(6, 0.3 * (loud - floor))
        var speech = db.map { $0 >= threshold }
        // Hangover: keep 60 ms after each speech frame.
        var hold = 0
        for i in speech.indices {
            if speech[i] { hold = Self.hangoverFrames } else if hold > 0 { speech[i] = true; hold -= 1 }
        }
        guard let first = speech.firstIndex(of: true), let last = speech.lastIndex(of: true) else { return none }
        let speechFrames = speech.filter { $0 }.count
        guard Double(speechFrames) * frameSeconds >= 0.1 else { return none }
        // Noise power: frames outside speech (exact zeros count as zero power). Speech power: frames 3 dB
        // over the floor (20 ms of stationary noise almost never rises that far), less the noise; a lower
        // bar than the detector's, so quiet syllables count and low SNRs are not overestimated.
        var noise = 0.0, noiseCount = 0, loudPower = 0.0, loudCount = 0
        for (i, e) in energies.enumerated() {
            if db[i] >= floor + 3 {
                loudPower += Double(e)
                loudCount += 1
            } else if !speech[i] {
                noise += Double(e)
                noiseCount += 1
            }
        }
        // Without a pause of at least 100 ms the quietest frames are speech, not noise: SNR is not measurable.
        var longestPause = 0, run = 0
        for isSpeech in speech {
            run = isSpeech ? 0 : run + 1
            longestPause = Swift.max(longestPause, run)
        }
        let noisePower = noiseCount > 0 ? noise / Double(noiseCount) : 0
        let speechPower = Swift.max(loudPower / Double(Swift.max(loudCount, 1)) - noisePower, 0)
        let snr: Double =
            noisePower > 0 && speechPower > 0
            ? Swift.min(10 * Double.log10(speechPower / noisePower), Self.maxSNR) : (speechPower > 0 ? Self.maxSNR : 0)
        return SpeechActivity(
            hasSpeech: true, speechSeconds: Double(speechFrames) * frameSeconds,
            leadingSilenceSeconds: Double(first) * frameSeconds,
            trailingSilenceSeconds: Double(energies.count - 1 - last) * frameSeconds,
            snrDB: longestPause >= Self.minimumPauseFrames ? snr : nil)
    }
}
