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
    public mutating func consume(interleaved: UnsafeBufferPointer<Float>, mono: UnsafeBufferPointer<Float>, frames: Int) {
        level.consume(interleaved: interleaved, mono: mono)
        loudness.consume(interleaved, frames: frames)
        truePeak.consume(interleaved, frames: frames)
        clipping.consume(interleaved, frames: frames)
        speech.consume(mono: mono)
    }
}
