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
    /// How many frames fewer than `declaredFrames` still count as complete: an MP3's Xing/Info count
    /// includes the encoder's delay and padding, which a gapless decoder drops.
    var declaredFramesSlack = 0
    /// The stream's container marks its own end (an Ogg end-of-stream page) and the file lacks it.
    var lacksEndOfStream = false
}

/// Streams interleaved `Float` frames from an audio file: libsndfile (`sf_open`, `sf_readf_float`) for
/// WAV, AIFF, FLAC, Ogg Vorbis/Opus/FLAC and MP3; voxgate's own WebM demuxer with libopus for WebM/Opus, and
/// libogg with libopus for plain Ogg Opus files in memory (``OggOpusBackend``: libsndfile's samples, faster).
///
/// The format is chosen by content (``ContentSniffer``), never by extension. The decoder owns its C
/// handles (through its backend, released in `deinit`); memory does not grow with the stream's length.
public struct AudioDecoder: ~Copyable {
    private let backend: any DecoderBackend
    /// The stream's format, rate and channel count.
    public let info: AudioStreamInfo
    /// The file being decoded.
    public let path: String
    private var framesDecoded = 0

    /// Opens `path` for decoding; with `image` (the file's bytes, ``FileImage``), libsndfile decodes those
    /// instead of reading the file again.
    /// - Throws: ``DecodeError`` with `.unreadable`, `.unsupportedFormat` or `.corrupt`.
    public init(path: String, image: FileImage? = nil) throws(DecodeError) {
        let container: ContainerFormat
        if let image {
            container = try Self.sniff(image.bytes, path: path)
        } else {
            container = try Self.sniff(path: path)
        }
        // A plain Ogg Opus file in memory is decoded with libopus directly (OggOpusBackend says why): same samples.
        var opus: OggOpusBackend?
        if container == .oggOpus, let image { opus = try OggOpusBackend.open(image, path: path) }
        switch container.kind {
        case .webm:
            let webm = try WebMOpusBackend(path: path)
            backend = webm
            info = AudioStreamInfo(
                container: container, encoding: .opus, sampleRate: 48_000, channels: webm.channels,
                declaredFrames: nil)
        case .oggOpus where opus != nil:
            let opus = opus!
            backend = opus
            info = AudioStreamInfo(
                container: container, encoding: .opus, sampleRate: opus.sampleRate, channels: opus.head.channels,
                declaredFrames: nil)
        case _ where container.isDecodable:
            let sndfile = try SndfileBackend(path: path, container: container, image: image)
            backend = sndfile
            info = sndfile.info
        default:
            throw DecodeError(
                .unsupportedFormat,
                "content is \(container) audio, which voxgate cannot decode (Safari's MP4/AAC recordings among them); "
                    + "convert it to FLAC, WAV, Ogg or MP3 (e.g. ffmpeg -i in.m4a out.flac) and upload it again",
                path: path)
        }
        self.path = path
    }

    /// Decodes up to `buffer.count / channels` frames into `buffer`, interleaved.
    /// - Returns: the number of frames decoded; 0 at the end of the stream.
    /// - Throws: ``DecodeError`` `.corrupt` when the decoder reports an error, `.empty` when the stream
    ///   ends with no frames at all, `.truncated` when it ends before the declared length.
    public mutating func read(into buffer: UnsafeMutableBufferPointer<Float>) throws(DecodeError) -> Int {
        precondition(buffer.count >= info.channels, "buffer smaller than one frame")
        let got: Int
        do { got = try backend.read(into: buffer) } catch {
            var error = error
            error.message = "decoding failed after \(framesDecoded) frames: " + error.message
            throw error
        }
        framesDecoded += got
        if got == 0 { try checkEnd() }
        return got
    }

    private func checkEnd() throws(DecodeError) {
        if info.lacksEndOfStream {
            throw DecodeError(
                .truncated,
                "truncated: the Ogg stream ends after \(framesDecoded) frames inside a cut page, without its end-of-stream page; "
                    + "the upload was cut short: ask for it again", path: path)
        }
        if framesDecoded == 0 {
            throw DecodeError(
                .empty,
                "the \(info.container) stream holds no audio frames (0 decoded); "
                    + "the recording failed or was cut before it began", path: path)
        }
        if let declared = info.declaredFrames, framesDecoded + info.declaredFramesSlack < declared {
            throw DecodeError(
                .truncated,
                "truncated: the stream ends after \(framesDecoded) of the \(declared) frames its header declares; "
                    + "the upload was cut short: ask for it again", path: path)
        }
    }

    /// Reads the first bytes of `path` (past any ID3v2 tag) and recognises the container.
    static func sniff(path: String) throws(DecodeError) -> ContainerFormat {
        let fd: Int32
        do { fd = try RegularFile.open(path) } catch { throw DecodeError(.unreadable, error.message, path: path) }
        let file = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
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
            return try recognise(head, path: path)
        } catch let error as DecodeError {
            throw error
        } catch {
            throw DecodeError(
                .unreadable, "reading the file failed (\(error)); check the disk and permissions",
                path: path)
        }
    }

    /// ``sniff(path:)`` of a file already in memory.
    static func sniff(_ bytes: UnsafeRawBufferPointer, path: String) throws(DecodeError) -> ContainerFormat {
        guard !bytes.isEmpty else {
            throw DecodeError(.empty, "the file is empty (0 bytes); the upload failed: ask for it again", path: path)
        }
        let tag = ContentSniffer.id3v2Length(bytes.prefix(ContentSniffer.prefixLength))
        let start = tag > 0 ? min(tag, bytes.count) : 0
        return try recognise(bytes[start..<min(start + ContentSniffer.prefixLength, bytes.count)], path: path)
    }

    /// The container of the bytes at the start of a file (past any ID3v2 tag).
    private static func recognise(_ head: some Collection<UInt8>, path: String) throws(DecodeError) -> ContainerFormat {
        let format = ContentSniffer.sniff(head)
        guard format != .unknown else {
            // Never the bytes themselves: the file may be a key, a password file or a private document.
            throw DecodeError(
                .unsupportedFormat,
                "content is not a recognised audio format (it looks like \(ContentSniffer.describe(head))); "
                    + "voxgate reads WAV, FLAC, Ogg Vorbis/Opus and MP3 by content, whatever the file is named",
                path: path)
        }
        return format
    }
}
