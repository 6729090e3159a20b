/// Every meter a clip passes through, fed from the same decoded blocks (one decoding pass).
public struct SignalMeters: Sendable {
    public var level = LevelMeter()
    public var loudness: LoudnessMeter
    public var truePeak: TruePeakMeter
    public var clipping: ClippingDetector
    public var speech: SpeechAnalyzer

    let channels: Int

    public init(sampleRate: Int, channels: Int) {
        self.channels = channels
        loudness = LoudnessMeter(sampleRate: sampleRate, channels: channels)
        truePeak = TruePeakMeter(sampleRate: sampleRate, channels: channels)
        clipping = ClippingDetector(channels: channels)
        speech = SpeechAnalyzer(sampleRate: sampleRate)
    }

    /// Adds one block: `interleaved` (the clip's own channels) and `mono` (its mix-down), `frames` long.
    public mutating func consume(interleaved: UnsafeBufferPointer<Float>, mono: UnsafeBufferPointer<Float>, frames: Int) {
        // One scan for the sample peak, shared: the level meter reports it, the clipping detector looks at
        // the samples only when it reaches full scale, and it is the true-peak meter's floor.
        let samplePeak = LevelMeter.absolutePeak(UnsafeBufferPointer(rebasing: interleaved[0..<(frames * channels)]))
        // The speech analyser's frame energies add up to the level meter's Σ x²: one pass over the mix.
        level.consume(frames: mono.count, sumOfSquares: speech.consume(mono: mono), samplePeak: samplePeak)
        loudness.consume(interleaved, frames: frames)
        truePeak.consume(interleaved, frames: frames, samplePeak: samplePeak)
        clipping.consume(interleaved, frames: frames, samplePeak: samplePeak)
    }
}
