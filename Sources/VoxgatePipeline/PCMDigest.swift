import Crypto

/// SHA-256 of decoded PCM, the identity of a clip's sound for exact duplicate detection.
///
/// Hashes a version tag, the sample rate, the channel count, then every decoded sample as
/// little-endian IEEE-754 float32, interleaved. A WAV and a FLAC of the same samples hash alike;
/// the same samples at another rate or channel layout do not.
struct PCMDigest {
    private var hasher = SHA256()

    init(sampleRate: Int, channels: Int) {
        hasher.update(data: Array("voxgate-pcm-f32le-v1".utf8))
        withUnsafeBytes(of: UInt32(sampleRate).littleEndian) { hasher.update(bufferPointer: $0) }
        withUnsafeBytes(of: UInt32(channels).littleEndian) { hasher.update(bufferPointer: $0) }
    }

    mutating func update(_ samples: UnsafeBufferPointer<Float>) {
        #if _endian(big)
            for s in samples { withUnsafeBytes(of: s.bitPattern.littleEndian) { hasher.update(bufferPointer: $0) } }
        #else
            hasher.update(bufferPointer: UnsafeRawBufferPointer(samples))
        #endif
    }

    func finalize() -> String { FileDigest.hex(hasher.finalize()) }
}
