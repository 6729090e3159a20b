/// What the signal meters measured on one clip: the inputs of the quality checks and the metrics
/// every decision and shard sample carries. Plain values, so the checks stay pure functions.
public struct SignalMetrics: Sendable, Hashable, Codable {
    /// ITU-R BS.1770-4 integrated loudness, LUFS; nil when the clip is shorter than one 400 ms block
    /// or every block is below the −70 LUFS absolute gate.
    public var integratedLUFS: Double?
    /// Largest momentary (400 ms) loudness, LUFS.
    public var maxMomentaryLUFS: Double?
    /// Largest short-term (3 s) loudness, LUFS.
    public var maxShortTermLUFS: Double?
    /// EBU Tech 3342 loudness range, LU.
    public var loudnessRangeLU: Double?
    /// BS.1770-4 Annex 2 true peak, dBTP.
    public var truePeakDBTP: Double?
    /// Fraction of samples (all channels) inside runs at or beyond full scale.
    public var clippedSampleRatio: Double
    /// Runs of consecutive full-scale samples.
    public var clippedRuns: Int
    /// Seconds the voice-activity detector marked as speech.
    public var speechSeconds: Double
    /// Seconds before the first and after the last speech frame.
    public var leadingSilenceSeconds: Double
    public var trailingSilenceSeconds: Double
    /// Whether any speech was detected.
    public var hasSpeech: Bool
    /// Estimated signal-to-noise ratio, dB; nil without speech.
    public var snrDB: Double?

    public init(
        integratedLUFS: Double?, maxMomentaryLUFS: Double?, maxShortTermLUFS: Double?, loudnessRangeLU: Double?,
        truePeakDBTP: Double?, clippedSampleRatio: Double, clippedRuns: Int, speechSeconds: Double,
        leadingSilenceSeconds: Double, trailingSilenceSeconds: Double, hasSpeech: Bool, snrDB: Double?
    ) {
        self.integratedLUFS = integratedLUFS
        self.maxMomentaryLUFS = maxMomentaryLUFS
        self.maxShortTermLUFS = maxShortTermLUFS
        self.loudnessRangeLU = loudnessRangeLU
        self.truePeakDBTP = truePeakDBTP
        self.clippedSampleRatio = clippedSampleRatio
        self.clippedRuns = clippedRuns
        self.speechSeconds = speechSeconds
        self.leadingSilenceSeconds = leadingSilenceSeconds
        self.trailingSilenceSeconds = trailingSilenceSeconds
        self.hasSpeech = hasSpeech
        self.snrDB = snrDB
    }
}
