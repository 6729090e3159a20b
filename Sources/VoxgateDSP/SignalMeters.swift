/// Every meter a clip passes through, fed from the same decoded blocks (one decoding pass).
public struct SignalMeters: Sendable {
    public var level = LevelMeter()
    public var loudness: LoudnessMeter
    public var truePeak: TruePeakMeter
    public var clipping: ClippingDetector
    public var speech: SpeechAnalyzer

    public init(sampleRate: Int, channels: Int) {
        loudness = LoudnessMeter(sampleRate: sampleRate, channels: channels)
        truePeak = TruePeakMeter(sampleRate: sampleRate, channels: channels)
        clipping = ClippingDetector(channels: channels)
        speech = SpeechAnalyzer(sampleRate: sampleRate)
    }

    /// Adds one block: `interleaved` (the clip's own channels) and `mono` (its mix-down), `frames` long.
    public mutating func consume(interleaved: UnsafeBufferPointer<Float>, mono: UnsafeBufferPointer<Float>, frames: Int)
    {
        // One scan for the sample peak, in the true-peak meter (the floor of its skip test), shared: the level
        // meter reports it, and the clipping detector looks at the samples only when it reaches full scale.
        let samplePeak = truePeak.consume(interleaved, frames: frames)
        // The speech analyser's frame energies add up to the level meter's Σ x²: one pass over the mix.
        level.consume(frames: mono.count, sumOfSquares: speech.consume(mono: mono), samplePeak: samplePeak)
        loudness.consume(interleaved, frames: frames)
        clipping.consume(interleaved, frames: frames, samplePeak: samplePeak)
    }
}
