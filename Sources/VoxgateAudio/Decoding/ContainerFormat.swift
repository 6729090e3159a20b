/// The container and codec of an audio file, as recognised from its first bytes.
///
/// voxgate never trusts a file's extension: a FLAC stream named `.wav` is FLAC.
public struct ContainerFormat: Hashable, Sendable, CustomStringConvertible {
    @usableFromInline
    enum Kind: String, Sendable, CaseIterable {
        case wav, rf64, aiff, flac, oggVorbis, oggOpus, oggFLAC, mp3, webm, mp4, unknown
    }

    @usableFromInline
    let kind: Kind

    init(_ kind: Kind) { self.kind = kind }

    /// RIFF/WAVE (PCM, IEEE float, µ-law, A-law, …).
    public static var wav: Self { .init(.wav) }
    /// RF64/BW64, the 64-bit WAV variant.
    public static var rf64: Self { .init(.rf64) }
    /// AIFF or AIFF-C.
    public static var aiff: Self { .init(.aiff) }
    /// Native FLAC (`fLaC` stream marker, possibly after an ID3v2 tag).
    public static var flac: Self { .init(.flac) }
    /// Ogg with a Vorbis first packet.
    public static var oggVorbis: Self { .init(.oggVorbis) }
    /// Ogg with an `OpusHead` first packet (RFC 7845).
    public static var oggOpus: Self { .init(.oggOpus) }
    /// Ogg with a FLAC first packet.
    public static var oggFLAC: Self { .init(.oggFLAC) }
    /// MPEG-1/2 Layer III, with or without an ID3v2 tag.
    public static var mp3: Self { .init(.mp3) }
    /// Matroska/WebM (EBML): decoded when it carries Opus (browser recordings).
    public static var webm: Self { .init(.webm) }
    /// ISO base media (MP4/M4A, `ftyp`). Recognised, not yet decodable.
    public static var mp4: Self { .init(.mp4) }
    /// Nothing voxgate recognises.
    public static var unknown: Self { .init(.unknown) }

    /// Whether voxgate can decode this container.
    public var isDecodable: Bool {
        switch kind {
        case .wav, .rf64, .aiff, .flac, .oggVorbis, .oggOpus, .oggFLAC, .mp3, .webm: true
        case .mp4, .unknown: false
        }
    }

    /// Whether libsndfile-based readers (Python's soundfile, torchaudio's sox/soundfile backends) open
    /// this container: shards store other containers (WebM) as FLAC of the decoded samples.
    public var isReadableByShardClients: Bool { isDecodable && kind != .webm }

    /// The file extension that names this content correctly (used for shard members).
    public var fileExtension: String {
        switch kind {
        case .wav, .rf64: "wav"
        case .aiff: "aiff"
        case .flac: "flac"
        case .oggVorbis, .oggFLAC: "ogg"
        case .oggOpus: "opus"
        case .mp3: "mp3"
        case .webm: "webm"
        case .mp4: "m4a"
        case .unknown: "bin"
        }
    }

    /// A short stable name, used in records and error messages.
    public var description: String {
        switch kind {
        case .wav: "wav"
        case .rf64: "rf64"
        case .aiff: "aiff"
        case .flac: "flac"
        case .oggVorbis: "ogg-vorbis"
        case .oggOpus: "ogg-opus"
        case .oggFLAC: "ogg-flac"
        case .mp3: "mp3"
        case .webm: "webm"
        case .mp4: "mp4"
        case .unknown: "unknown"
        }
    }

    /// The container a ``description`` names (as stored in records and the ledger).
    public init?(description: String) {
        guard let kind = Kind.allCases.first(where: { Self($0).description == description }) else { return nil }
        self.kind = kind
    }
}
