internal import COpus
import Foundation

/// Decodes the Opus track of a WebM/Matroska file with libopus (`opus_decode_float` at 48 kHz),
/// dropping the OpusHead pre-skip at the start and each block's DiscardPadding at the end (RFC 7845 §4.2),
/// and applying the OpusHead output gain.
final class WebMOpusBackend: DecoderBackend {
    private var demuxer: MatroskaOpusDemuxer
    private let decoder: OpaquePointer
    let channels: Int
    private let gain: Float
    private var toSkip: Int
    private var pcm: [Float]
    private var pcmFrames = 0
    private var pcmCursor = 0
    let path: String

    /// 120 ms at 48 kHz: the longest Opus packet.
    private static let maxPacketFrames = 5760

    init(path: String) throws(DecodeError) {
        do {
            demuxer = try MatroskaOpusDemuxer(path: path)
        } catch let failure as EBMLReader.Failure {
            throw DecodeError(.corrupt, "WebM: \(failure.message); ask for the recording again", path: path)
        } catch {
            throw DecodeError(.unreadable, "cannot read the file (\(error))", path: path)
        }
        channels = demuxer.head.channels
        var status: Int32 = 0
        guard let decoder = opus_decoder_create(48_000, Int32(channels), &status), status == OPUS_OK else {
            demuxer.close()
            throw DecodeError(.corrupt, "libopus refused the stream's setup (\(Self.opusError(status)))", path: path)
        }
        self.decoder = decoder
        gain = Float(pow(10, Double(demuxer.head.outputGainQ8) / (20 * 256)))
        toSkip = demuxer.head.preSkip
        pcm = [Float](repeating: 0, count: Self.maxPacketFrames * channels)
        self.path = path
    }

    deinit {
        opus_decoder_destroy(decoder)
        demuxer.close()
    }

    func read(into buffer: UnsafeMutableBufferPointer<Float>) throws(DecodeError) -> Int {
        let capacity = buffer.count / channels
        var written = 0
        while written < capacity {
            if pcmCursor == pcmFrames {
                guard try decodeNextPacket() else { break }
                continue
            }
            let n = min(capacity - written, pcmFrames - pcmCursor)
            for i in 0..<n * channels {
                buffer[written * channels + i] = pcm[pcmCursor * channels + i] * gain
            }
            written += n
            pcmCursor += n
        }
        return written
    }

    private func decodeNextPacket() throws(DecodeError) -> Bool {
        let packet: MatroskaOpusDemuxer.Packet?
        do { packet = try demuxer.nextPacket() } catch let failure as EBMLReader.Failure {
            throw DecodeError(.corrupt, "WebM: \(failure.message); ask for the recording again", path: path)
        } catch {
            throw DecodeError(.unreadable, "cannot read the file (\(error))", path: path)
        }
        guard let packet else { return false }
        let frames = packet.data.withUnsafeBufferPointer { data in
            pcm.withUnsafeMutableBufferPointer { out in
                opus_decode_float(
                    decoder, data.baseAddress, Int32(data.count), out.baseAddress!, Int32(Self.maxPacketFrames), 0)
            }
        }
        guard frames >= 0 else {
            throw DecodeError(.corrupt, "libopus could not decode a packet (\(Self.opusError(frames)))", path: path)
        }
        pcmFrames = max(0, Int(frames) - min(packet.discardSamples, Int(frames)))
        pcmCursor = min(toSkip, pcmFrames)
        toSkip -= pcmCursor
        return true
    }

    private static func opusError(_ code: Int32) -> String { String(cString: opus_strerror(code)) }
}
