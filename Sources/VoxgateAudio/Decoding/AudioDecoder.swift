internal import CSndfile
import Foundation

/// What a decoder knows about a stream before reading it.
public struct AudioStreamInfo: Sendable, Hashable {
    /// The container recognised from the content.
    public var container: ContainerFormat
    /// The sample coding inside the container.
    public var encoding: SampleEncoding
    /// Frames per second of the source; never resampled.
    public var sampleRate: Int
    /// Interleaved channels of the source.
    public var channels: Int
    /// The frame count the header declares, when the format declares an exact one (WAV, AIFF, FLAC).
    /// Informational only: durations are always counted from decoded frames.
    public var declaredFrames: Int?
}

/// Streams interleaved `Float` frames from an audio file through libsndfile (`sf_open`, `sf_readf_float`).
///
/// The format is chosen by content (``ContentSniffer``), never by extension. The decoder owns its
/// `SNDFILE*` and closes it in `deinit`; memory does not grow with the length of the stream.
public struct AudioDecoder: ~Copyable {
    private let handle: OpaquePointer
    /// The stream's format, rate and channel count.
    public let info: AudioStreamInfo
    /// The file being decoded.
    public let path: String
    private var framesDecoded = 0

    /// Opens `path` for decoding.
    /// - Throws: ``DecodeError`` with `.unreadable`, `.unsupportedFormat` or `.corrupt`.
    public init(path: String) throws(DecodeError) {
        let container = try Self.sniff(path: path)
        guard container.isDecodable else {
            throw DecodeError(
                .unsupportedFormat,
                "content is \(container) audio, which this version cannot decode yet; convert it to FLAC, WAV, "
                    + "Ogg or MP3 and upload it again", path: path)
        }
        var sfInfo = SF_INFO()
        guard let handle = sf_open(path, Int32(SFM_READ), &sfInfo) else {
            let reason = String(cString: sf_strerror(nil))
            throw DecodeError(
                .corrupt,
                "content looks like \(container) but the decoder rejected it (\(reason)); "
                    + "the file is damaged or not really \(container): re-export it from the original recording",
                path: path)
        }
        // libsndfile keeps floats as decoded (no clamping) unless asked: peaks above full scale stay visible.
        var declared: Int? =
            switch container.kind {
            case .wav, .rf64, .aiff, .flac:
                sfInfo.frames >= 0 && sfInfo.frames < vg_sf_count_max() ? Int(sfInfo.frames) : nil
            default: nil
            }
        if container == .wav, let riff = RIFFLayout.read(path: path), riff.isTruncated {
            // libsndfile shortened the data chunk to the file; the header's own length is what was meant.
            declared = riff.declaredDataBytes / riff.blockAlign
        }
        let info = AudioStreamInfo(
            container: container, encoding: SampleEncoding(sndfileFormat: sfInfo.format),
            sampleRate: Int(sfInfo.samplerate), channels: Int(sfInfo.channels), declaredFrames: declared)
        guard info.sampleRate > 0, info.channels > 0 else {
            sf_close(handle)
            throw DecodeError(
                .corrupt, "header declares \(info.sampleRate) Hz and \(info.channels) channels, which is not audio",
                path: path)
        }
        self.handle = handle
        self.info = info
        self.path = path
    }

    deinit { sf_close(handle) }

    /// Decodes up to `buffer.count / channels` frames into `buffer`, interleaved.
    /// - Returns: the number of frames decoded; 0 at the end of the stream.
    /// - Throws: ``DecodeError`` `.corrupt` when the decoder reports an error, `.empty` when the stream
    ///   ends with no frames at all, `.truncated` when it ends before the declared length.
    public mutating func read(into buffer: UnsafeMutableBufferPointer<Float>) throws(DecodeError) -> Int {
        let capacity = buffer.count / info.channels
        precondition(capacity > 0, "buffer smaller than one frame")
        let got = Int(sf_readf_float(handle, buffer.baseAddress, sf_count_t(capacity)))
        let status = sf_error(handle)
        if status != 0 {
            let reason = String(cString: sf_strerror(handle))
            throw DecodeError(
                .corrupt,
                "decoding failed after \(framesDecoded + max(got, 0)) frames (\(reason)); "
                    + "the file is damaged: ask for a new upload", path: path)
        }
        framesDecoded += max(got, 0)
        if got <= 0 { try checkEnd() }
        return max(got, 0)
    }

    private func checkEnd() throws(DecodeError) {
        if framesDecoded == 0 {
            throw DecodeError(
                .empty,
                "the \(info.container) stream holds no audio frames (0 decoded); "
                    + "the recording failed or was cut before it began", path: path)
        }
        if let declared = info.declaredFrames, framesDecoded < declared {
            throw DecodeError(
                .truncated,
                "the stream ends after \(framesDecoded) of the \(declared) frames its header declares; "
                    + "the upload was cut short: ask for it again", path: path)
        }
    }

    /// Reads the first bytes of `path` (past any ID3v2 tag) and recognises the container.
    static func sniff(path: String) throws(DecodeError) -> ContainerFormat {
        guard let file = FileHandle(forReadingAtPath: path) else {
            throw DecodeError(
                .unreadable, "cannot open the file for reading; check that it exists and is readable",
                path: path)
        }
        defer { try? file.close() }
        do {
            var head = try file.read(upToCount: ContentSniffer.prefixLength) ?? Data()
            if head.isEmpty {
                throw DecodeError(
                    .empty, "the file is empty (0 bytes); the upload failed: ask for it again",
                    path: path)
            }
            let tag = ContentSniffer.id3v2Length(head)
            if tag > 0 {
                try file.seek(toOffset: UInt64(tag))
                head = try file.read(upToCount: ContentSniffer.prefixLength) ?? Data()
            }
            let format = ContentSniffer.sniff(head)
            guard format != .unknown else {
                let hex = head.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " ")
                throw DecodeError(
                    .unsupportedFormat,
                    "content is not a recognised audio format (first bytes: \(hex)); "
                        + "voxgate reads WAV, FLAC, Ogg Vorbis/Opus and MP3 by content, whatever the file is named",
                    path: path)
            }
            return format
        } catch let error as DecodeError {
            throw error
        } catch {
            throw DecodeError(
                .unreadable, "reading the file failed (\(error)); check the disk and permissions",
                path: path)
        }
    }
}
