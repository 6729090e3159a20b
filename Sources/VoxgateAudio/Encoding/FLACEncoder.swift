internal import CFLAC

/// Why FLAC encoding failed.
public struct EncodeError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, naming the libFLAC state.
    public var message: String
    public var description: String { message }
}

/// Encodes interleaved `Float` frames to a FLAC stream in memory with libFLAC
/// (`FLAC__stream_encoder_init_stream`).
///
/// Seek and tell callbacks over the in-memory buffer let libFLAC rewrite STREAMINFO at the end,
/// so the stream carries its exact total sample count and MD5 signature. The class owns its
/// `FLAC__StreamEncoder*`; libFLAC reaches it through `client_data` + `Unmanaged`.
public final class FLACEncoder {
    private let encoder: UnsafeMutablePointer<FLAC__StreamEncoder>
    private let channels: Int
    private let scale: Float
    private let maxValue: Float
    private var output: [UInt8] = []
    private var position = 0
    private var scratch: [Int32] = []
    private var finished = false

    /// Starts a FLAC stream.
    /// - Parameters:
    ///   - sampleRate: frames per second (1…655 350).
    ///   - channels: 1…8.
    ///   - bitsPerSample: 8, 16 or 24; samples are scaled by 2^(bits−1) and clamped to the integer range.
    ///   - compressionLevel: libFLAC's 0…8 presets.
    public init(sampleRate: Int, channels: Int, bitsPerSample: Int, compressionLevel: Int = 5) throws(EncodeError) {
        guard let encoder = FLAC__stream_encoder_new() else {
            throw EncodeError(message: "libFLAC could not allocate an encoder")
        }
        self.encoder = encoder
        self.channels = channels
        self.scale = Float(1 << (bitsPerSample - 1))
        self.maxValue = scale - 1
        FLAC__stream_encoder_set_channels(encoder, UInt32(channels))
        FLAC__stream_encoder_set_bits_per_sample(encoder, UInt32(bitsPerSample))
        FLAC__stream_encoder_set_sample_rate(encoder, UInt32(sampleRate))
        FLAC__stream_encoder_set_compression_level(encoder, UInt32(compressionLevel))
        let status = FLAC__stream_encoder_init_stream(
            encoder, flacWrite, flacSeek, flacTell, nil, Unmanaged.passUnretained(self).toOpaque())
        guard status == FLAC__STREAM_ENCODER_INIT_STATUS_OK else {
            let text = String(cString: vg_flac_encoder_init_status_string(status))
            throw EncodeError(
                message: "libFLAC refused \(sampleRate) Hz, \(channels) channels, \(bitsPerSample) bits (\(text))")
        }
    }

    deinit {
        if !finished { FLAC__stream_encoder_finish(encoder) }
        FLAC__stream_encoder_delete(encoder)
    }

    /// Appends `frames` interleaved frames.
    public func append(_ samples: UnsafeBufferPointer<Float>, frames: Int) throws(EncodeError) {
        let count = frames * channels
        if scratch.count < count { scratch = [Int32](repeating: 0, count: count) }
        let (scale, maxValue) = (scale, maxValue)
        let ok = scratch.withUnsafeMutableBufferPointer { out -> Bool in
            for i in 0..<count {
                let v = (samples[i] * scale).rounded(.toNearestOrEven)
                out[i] = Int32(Swift.min(Swift.max(v.isNaN ? 0 : v, -scale), maxValue))
            }
            return FLAC__stream_encoder_process_interleaved(encoder, out.baseAddress, UInt32(frames)) != 0
        }
        guard ok else { throw stateError("encoding") }
    }

    /// Flushes the stream and returns the complete FLAC file.
    public func finish() throws(EncodeError) -> [UInt8] {
        finished = true
        guard FLAC__stream_encoder_finish(encoder) != 0 else { throw stateError("finishing") }
        return output
    }

    private func stateError(_ what: String) -> EncodeError {
        let state = FLAC__stream_encoder_get_state(encoder)
        return EncodeError(
            message: "libFLAC failed while \(what): \(String(cString: vg_flac_encoder_state_string(state)))")
    }

    fileprivate func write(_ bytes: UnsafePointer<UInt8>, _ count: Int) {
        let end = position + count
        if end > output.count { output.append(contentsOf: repeatElement(0, count: end - output.count)) }
        output.withUnsafeMutableBufferPointer {
            $0.baseAddress!.advanced(by: position).update(from: bytes, count: count)
        }
        position = end
    }

    fileprivate func seek(_ offset: Int) { position = offset }
    fileprivate var tell: Int { position }
}

private func flacWrite(
    _ encoder: UnsafePointer<FLAC__StreamEncoder>?, _ buffer: UnsafePointer<FLAC__byte>?, _ bytes: Int,
    _ samples: UInt32, _ frame: UInt32, _ client: UnsafeMutableRawPointer?
) -> FLAC__StreamEncoderWriteStatus {
    guard let client, let buffer else { return FLAC__STREAM_ENCODER_WRITE_STATUS_FATAL_ERROR }
    Unmanaged<FLACEncoder>.fromOpaque(client).takeUnretainedValue().write(buffer, bytes)
    return FLAC__STREAM_ENCODER_WRITE_STATUS_OK
}

private func flacSeek(
    _ encoder: UnsafePointer<FLAC__StreamEncoder>?, _ offset: FLAC__uint64, _ client: UnsafeMutableRawPointer?
) -> FLAC__StreamEncoderSeekStatus {
    guard let client else { return FLAC__STREAM_ENCODER_SEEK_STATUS_ERROR }
    Unmanaged<FLACEncoder>.fromOpaque(client).takeUnretainedValue().seek(Int(offset))
    return FLAC__STREAM_ENCODER_SEEK_STATUS_OK
}

private func flacTell(
    _ encoder: UnsafePointer<FLAC__StreamEncoder>?, _ offset: UnsafeMutablePointer<FLAC__uint64>?,
    _ client: UnsafeMutableRawPointer?
) -> FLAC__StreamEncoderTellStatus {
    guard let client, let offset else { return FLAC__STREAM_ENCODER_TELL_STATUS_ERROR }
    offset.pointee = FLAC__uint64(Unmanaged<FLACEncoder>.fromOpaque(client).takeUnretainedValue().tell)
    return FLAC__STREAM_ENCODER_TELL_STATUS_OK
}
