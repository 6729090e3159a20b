internal import CSndfile

/// libsndfile behind ``AudioDecoder``: owns the `SNDFILE*` and closes it in `deinit`.
final class SndfileBackend: DecoderBackend {
    private let handle: OpaquePointer
    let info: AudioStreamInfo
    private let path: String

    /// The sample rates voxgate decodes: from narrow-band telephone speech to the highest studio rate.
    /// Anything else in a header is damage or hostility, and rates size the meters' filter tables.
    public static let sampleRates = 4_000...384_000
    /// The most channels voxgate decodes (every channel is mixed to mono; buffers scale with it).
    public static let maxChannels = 64

    /// The file in memory that libsndfile reads through its virtual I/O, when the decoder was given one.
    private let memory: MemoryReader?

    init(path: String, container: ContainerFormat, image: FileImage? = nil) throws(DecodeError) {
        var sfInfo = SF_INFO()
        let opened: OpaquePointer?
        if let image {
            let reader = MemoryReader(image)
            memory = reader
            var io = MemoryReader.io  // libsndfile copies the callbacks; the reader lives as long as the handle
            opened = sf_open_virtual(&io, Int32(SFM_READ), &sfInfo, Unmanaged.passUnretained(reader).toOpaque())
        } else {
            memory = nil
            let fd: Int32
            do { fd = try RegularFile.open(path) } catch { throw DecodeError(.unreadable, error.message, path: path) }
            // libsndfile closes the descriptor (SF_TRUE) when the handle is closed, or at once when opening fails.
            opened = sf_open_fd(fd, Int32(SFM_READ), &sfInfo, Int32(SF_TRUE))
        }
        guard let handle = opened else {
            let reason = Self.explain(String(cString: sf_strerror(nil)))
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
        var info = AudioStreamInfo(
            container: container, encoding: SampleEncoding(sndfileFormat: sfInfo.format),
            sampleRate: Int(sfInfo.samplerate), channels: Int(sfInfo.channels), declaredFrames: declared)
        switch container.kind {
        case .mp3:
            if let (frames, perFrame) = StreamEnd.mp3DeclaredFrames(path: path) {
                info.declaredFrames = frames
                // The Info frame's count includes the encoder delay and padding (under two frames plus LAME's
                // 1105-sample delay), which mpg123 removes.
                info.declaredFramesSlack = 2 * perFrame + 2_048
            }
        case .oggVorbis, .oggOpus, .oggFLAC:
            info.lacksEndOfStream = StreamEnd.oggEndsWithEndOfStream(path: path) == false
        default: break
        }
        guard Self.sampleRates.contains(info.sampleRate), (1...Self.maxChannels).contains(info.channels) else {
            sf_close(handle)
            throw DecodeError(
                .corrupt,
                "header declares \(info.sampleRate) Hz and \(info.channels) channels; voxgate decodes "
                    + "\(Self.sampleRates.lowerBound)–\(Self.sampleRates.upperBound) Hz with 1–\(Self.maxChannels) "
                    + "channels, so the header is damaged: re-export the recording", path: path)
        }
        self.handle = handle
        self.info = info
        self.path = path
    }

    deinit {
        sf_close(handle)
        withExtendedLifetime(memory) {}
    }

    /// libsndfile's messages that mislead about an upload, said plainly.
    static func explain(_ reason: String) -> String {
        if reason.contains("not a regular file") || reason.contains("possibly a pipe") {
            // Said of streams too short or too damaged to parse: the file was checked to be a regular one.
            return "the stream is too short or too damaged to parse"
        }
        if reason.contains("SF_INFO struct incomplete") {
            return "the header lacks the sample rate, channel count or format"
        }
        return reason
    }

    func read(into buffer: UnsafeMutableBufferPointer<Float>) throws(DecodeError) -> Int {
        let capacity = buffer.count / info.channels
        let got = Int(sf_readf_float(handle, buffer.baseAddress, sf_count_t(capacity)))
        guard sf_error(handle) == 0 else {
            let reason = Self.explain(String(cString: sf_strerror(handle)))
            throw DecodeError(.corrupt, "\(reason); the file is damaged: ask for a new upload", path: path)
        }
        return max(got, 0)
    }
}

/// A ``FileImage`` as a seekable file for libsndfile's virtual I/O (`sf_open_virtual`).
final class MemoryReader {
    let image: FileImage
    var position = 0

    init(_ image: FileImage) { self.image = image }

    private static func reader(_ context: UnsafeMutableRawPointer?) -> MemoryReader {
        Unmanaged<MemoryReader>.fromOpaque(context!).takeUnretainedValue()
    }

    /// The callbacks: length, seek (clamped to the file), read (what is left, at most), tell; no writing.
    static let io = SF_VIRTUAL_IO(
        get_filelen: { sf_count_t(reader($0).image.bytes.count) },
        seek: { offset, whence, context in
            let r = reader(context)
            let base =
                switch whence {
                case SEEK_CUR: r.position
                case SEEK_END: r.image.bytes.count
                default: 0
                }
            r.position = min(max(base + Int(offset), 0), r.image.bytes.count)
            return sf_count_t(r.position)
        },
        read: { destination, count, context in
            let r = reader(context)
            let n = max(0, min(Int(count), r.image.bytes.count - r.position))
            if n > 0 { destination!.copyMemory(from: r.image.bytes.baseAddress! + r.position, byteCount: n) }
            r.position += n
            return sf_count_t(n)
        },
        write: { _, _, _ in 0 },
        tell: { sf_count_t(reader($0).position) })
}
