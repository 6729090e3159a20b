internal import CSndfile

/// How samples are coded inside a container (libsndfile's `SF_FORMAT_SUBMASK` part).
public enum SampleEncoding: String, Sendable, Hashable {
    case pcmS8 = "pcm_s8", pcmU8 = "pcm_u8", pcm16 = "pcm_16", pcm24 = "pcm_24", pcm32 = "pcm_32"
    case float32 = "float", float64 = "double", ulaw, alaw
    case vorbis, opus, mp3, other

    /// Converts libsndfile's subtype once, in one place (its anonymous enums import as `Int`).
    init(sndfileFormat format: Int32) {
        switch Int(format) & Int(SF_FORMAT_SUBMASK) {
        case Int(SF_FORMAT_PCM_S8): self = .pcmS8
        case Int(SF_FORMAT_PCM_U8): self = .pcmU8
        case Int(SF_FORMAT_PCM_16): self = .pcm16
        case Int(SF_FORMAT_PCM_24): self = .pcm24
        case Int(SF_FORMAT_PCM_32): self = .pcm32
        case Int(SF_FORMAT_FLOAT): self = .float32
        case Int(SF_FORMAT_DOUBLE): self = .float64
        case Int(SF_FORMAT_ULAW): self = .ulaw
        case Int(SF_FORMAT_ALAW): self = .alaw
        case Int(SF_FORMAT_VORBIS): self = .vorbis
        case Int(SF_FORMAT_OPUS): self = .opus
        case Int(SF_FORMAT_MPEG_LAYER_III): self = .mp3
        default: self = .other
        }
    }

    /// The integer bit depth that holds every decoded sample exactly, or `nil` for lossy codecs.
    ///
    /// Used to re-encode losslessly: 8- and 16-bit PCM and the 13/14-bit companded codes fit 16 bits;
    /// 24-bit PCM fits 24. Float sources and 32-bit PCM (decoded through `Float`, 24-bit mantissa)
    /// are stored at 24 bits.
    public var losslessBitDepth: Int? {
        switch self {
        case .pcmS8, .pcmU8: 8
        case .pcm16, .ulaw, .alaw: 16
        case .pcm24, .pcm32, .float32, .float64: 24
        case .vorbis, .opus, .mp3, .other: nil
        }
    }
}
