import VoxgateAudio
import VoxgateCorpus

/// The shard audio of one clip, made in the decoding pass: FLAC of the decoded frames, downmixed to mono
/// (`shards.channels: 1`) and resampled with libsoxr (`shards.sample_rate`) on the way when asked.
///
/// The downmix is the mean of the channels, the same mono the meters, the fingerprint and the speech
/// detector measure (and what `ffmpeg -ac 1` and `sox remix -` make): it cannot clip, and a dual-mono
/// upload comes back unchanged. BS.1770's channel weights are all 1 for left and right, so they describe
/// how loudness adds up across channels, not a downmix.
final class ShardEncoder {
    private let encoder: FLACEncoder
    /// Frames encoded so far (at the output rate).
    private var frames = 0
    private let resampler: Resampler?
    private let downmix: Bool

    init(_ config: ShardConfig, info: AudioStreamInfo) throws {
        downmix = config.channels == 1 && info.channels > 1
        let channels = downmix ? 1 : info.channels
        let rate = config.sampleRate ?? info.sampleRate
        resampler =
            rate == info.sampleRate
            ? nil : try Resampler(inputRate: info.sampleRate, outputRate: rate, channels: channels)
        encoder = try FLACEncoder(
            sampleRate: rate, channels: channels, bitsPerSample: info.encoding.losslessBitDepth ?? 16,
            compressionLevel: config.flacCompressionLevel)
    }

    /// One decoded block: `block` interleaved as decoded, `mono` its mean mix (the block itself when mono).
    func append(_ block: UnsafeBufferPointer<Float>, mono: UnsafeBufferPointer<Float>, frames: Int) throws {
        let input = downmix ? mono : block
        if let resampler {
            try resampler.process(input, frames: frames) { out, n in try encode(out, frames: n) }
        } else {
            try encode(input, frames: frames)
        }
    }

    /// The complete FLAC file, and its frames.
    func finish() throws -> (bytes: [UInt8], frames: Int) {
        try resampler?.finish { out, n in try encode(out, frames: n) }
        return (try encoder.finish(), frames)
    }

    private func encode(_ samples: UnsafeBufferPointer<Float>, frames n: Int) throws {
        try encoder.append(samples, frames: n)
        frames += n
    }
}
