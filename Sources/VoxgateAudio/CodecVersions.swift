internal import CFLAC
internal import COpus
internal import CSndfile

/// The versions of the C codec libraries this process decodes and encodes with.
///
/// Recorded in every run's manifest: decoded samples (and so duplicate hashes) of lossy formats
/// depend on the decoder, so a corpus must say which decoders measured it.
public enum CodecVersions {
    /// libsndfile's `sf_version_string()`, e.g. "libsndfile-1.2.0".
    public static var sndfile: String { String(cString: sf_version_string()) }
    /// libFLAC's `FLAC__VERSION_STRING`.
    public static var flac: String { String(cString: vg_flac_version_string()) }
    /// libopus's `opus_get_version_string()`.
    public static var opus: String { String(cString: opus_get_version_string()) }
}
