internal import CSndfile

/// libsndfile behind ``AudioDecoder``: owns the `SNDFILE*` and closes it in `deinit`.
final class SndfileBackend: DecoderBackend {
    private let handle: OpaquePointer
    let info: AudioStreamInfo
    private let path: String

    init(path: String, container: ContainerFormat) throws(DecodeError) {
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

    func read(into buffer: UnsafeMutableBufferPointer<Float>) throws(DecodeError) -> Int {
        let capacity = buffer.count / info.channels
        let got = Int(sf_readf_float(handle, buffer.baseAddress, sf_count_t(capacity)))
        guard sf_error(handle) == 0 else {
            let reason = String(cString: sf_strerror(handle))
            throw DecodeError(.corrupt, "\(reason); the file is damaged: ask for a new upload", path: path)
        }
        return max(got, 0)
    }
}
