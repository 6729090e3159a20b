import CXXHash
import VoxgateAudio
import VoxgateCorpus

/// XXH3-128 of decoded PCM, the identity of a clip's sound for exact duplicate detection (identity version 2,
/// ``ClipMeasurement/pcmXXH3``).
///
/// Hashes a version tag, the sample rate, the channel count, then every decoded sample as little-endian IEEE-754
/// float32, interleaved. A WAV and a FLAC of the same samples hash alike; the same samples at another rate or
/// channel layout do not. Version 1 was SHA-256 of the same stream under the tag `voxgate-pcm-f32le-v1`
/// (`pcm_sha256`); XXH3-128 costs about a tenth of it per sample, and an identity needs no cryptographic hash
/// (README, "The PCM identity").
struct PCMDigest {
    /// The tag the hashed stream starts with: names the stream's definition and the hash.
    static let tag = "voxgate-pcm-f32le-v2"

    private let state = XXH3State()

    init(sampleRate: Int, channels: Int) {
        Self.header(sampleRate: sampleRate, channels: channels).withUnsafeBytes { state.update($0) }
    }

    /// The tag, the rate and the channel count, as the stream starts.
    static func header(sampleRate: Int, channels: Int) -> [UInt8] {
        var bytes = Array(tag.utf8)
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: sampleRate).littleEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: channels).littleEndian) { bytes.append(contentsOf: $0) }
        return bytes
    }

    func update(_ samples: UnsafeBufferPointer<Float>) {
        #if _endian(big)
            for s in samples { withUnsafeBytes(of: s.bitPattern.littleEndian) { state.update($0) } }
        #else
            state.update(UnsafeRawBufferPointer(samples))
        #endif
    }

    /// The 128-bit hash in its canonical form (big-endian, as `xxhsum -H2` prints it), lowercase hex: 32 digits.
    func finalize() -> String { state.hex() }

    /// The identity of the file's decoded samples, read again without measuring anything: for a clip whose stored
    /// analysis predates this identity. Nil when the file does not decode to the frames, rate and channels the
    /// analysis recorded (then the clip is analysed again in full).
    static func identity(path: String, expecting m: ClipMeasurement) -> String? {
        guard var decoder = try? AudioDecoder(path: path, image: FileImage.read(path: path)),
            decoder.info.sampleRate == m.sampleRate, decoder.info.channels == m.channels
        else { return nil }
        let digest = PCMDigest(sampleRate: m.sampleRate, channels: m.channels)
        let blockFrames = 4096
        var frames = 0
        let read = withUnsafeTemporaryAllocation(of: Float.self, capacity: blockFrames * m.channels) { buffer -> Bool in
            while true {
                guard let got = try? decoder.read(into: buffer) else { return false }
                if got == 0 { return true }
                frames += got
                digest.update(UnsafeBufferPointer(rebasing: buffer[0..<got * m.channels]))
            }
        }
        return read && frames == m.frames ? digest.finalize() : nil
    }
}

/// An XXH3 streaming state of libxxhash (created and freed by the library, which keeps it 64-byte aligned).
final class XXH3State {
    private let state: OpaquePointer

    init() {
        guard let state = XXH3_createState() else { fatalError("XXH3_createState: out of memory") }
        self.state = state
        XXH3_128bits_reset(state)
    }

    deinit { XXH3_freeState(state) }

    func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        _ = XXH3_128bits_update(state, base, bytes.count)
    }

    /// The digest so far, canonical (high 64 bits first, big-endian), lowercase hex.
    func hex() -> String {
        var canonical = XXH128_canonical_t()
        XXH128_canonicalFromHash(&canonical, XXH3_128bits_digest(state))
        return withUnsafeBytes(of: canonical) { $0.hexLowercased }
    }
}

extension ClipAnalysis {
    /// The analysis holds a measurement without the current PCM identity: an older voxgate stored it (identity
    /// version 1, SHA-256, which no version-2 value can equal).
    public var lacksPCMIdentity: Bool { measurement.map { $0.pcmXXH3 == nil } ?? false }

    /// The analysis with the PCM identity of the file at `path` (decoded again, nothing measured): what an older
    /// voxgate's analysis of an unchanged upload becomes. Nil when the file no longer decodes to the frames, rate
    /// and channels the analysis recorded: then the clip must be analysed again in full.
    public func identified(readingFile path: String) -> ClipAnalysis? {
        guard let m = measurement, let identity = PCMDigest.identity(path: path, expecting: m) else { return nil }
        var analysis = self
        analysis.measurement?.pcmXXH3 = identity
        return analysis
    }
}
