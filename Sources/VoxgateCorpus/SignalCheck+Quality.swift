extension SignalCheck {
    /// The quality checks: `silent` (no speech detected), `too_quiet`, `too_loud`, `clipped`, `low_snr`.
    ///
    /// A clip without speech is `silent`, and also `too_loud` and `clipped` when it is: its SNR and a low loudness
    /// describe noise, not a voice, but an overdriven signal is worth naming. A clip that holds clearly audible
    /// sound (not too quiet) without speech is named as a steady tone, hum or noise, not as silence.
    public static func quality(_ m: SignalMetrics, config: CheckConfig) -> [Finding] {
        guard m.hasSpeech else {
            let noSpeech: Finding
            if let lufs = m.integratedLUFS, lufs >= config.tooQuietLUFS {
                noSpeech = Finding(
                    .silent,
                    "no speech detected: the clip holds sound at \(format(lufs)) LUFS but no voice (a steady tone, hum "
                        + "or noise: the voice-activity detector found none of the rise and fall of syllables)")
            } else {
                noSpeech = Finding(
                    .silent, "no speech detected (the voice-activity detector found only silence or noise)")
            }
            return [noSpeech] + overdrive(m, config: config)
        }
        var found: [Finding] = []
        if let lufs = m.integratedLUFS, lufs < config.tooQuietLUFS {
            found.append(
                Finding(
                    .tooQuiet,
                    "integrated loudness \(format(lufs)) LUFS is below \(format(config.tooQuietLUFS)) LUFS; "
                        + "the speaker was too far from the microphone or its gain too low"))
        }
        found += overdrive(m, config: config)
        if let snr = m.snrDB, snr < config.minSNRDB {
            found.append(
                Finding(
                    .lowSNR,
                    "estimated SNR \(format(snr)) dB is below \(format(config.minSNRDB)) dB; "
                        + "background noise masks the voice: record in a quieter place"))
        }
        return found
    }

    /// `too_loud` and `clipped`: measured whatever the clip holds.
    static func overdrive(_ m: SignalMetrics, config: CheckConfig) -> [Finding] {
        var found: [Finding] = []
        if let lufs = m.integratedLUFS, lufs > config.tooLoudLUFS {
            found.append(
                Finding(
                    .tooLoud,
                    "integrated loudness \(format(lufs)) LUFS is above \(format(config.tooLoudLUFS)) LUFS; "
                        + "the recording is overdriven or heavily compressed"))
        }
        if m.clippedRuns >= config.clippedMinRuns && m.clippedSampleRatio >= config.clippedRatio {
            let percent = format(m.clippedSampleRatio * 100)
            found.append(
                Finding(
                    .clipped,
                    "\(m.clippedRuns) runs of full-scale samples (\(percent)% of samples); "
                        + "the input gain was too high: record again further from the microphone"))
        }
        return found
    }
}
