internal import COpus
import Foundation

/// Decodes an Ogg Opus file held in memory with libogg and libopus's single-stream decoder
/// (`opus_decode_float`), giving the very samples libsndfile 1.2 gives for it, in less time.
///
/// Why not libsndfile: it decodes every Ogg Opus stream through libopus's multistream API, and libopus 1.3's
/// `opus_multistream_decode_float` asks `opus_decoder_get_size` for each stream's size on every call, which
/// runs the CPU-feature check, two `cpuid` instructions, about four times per 20 ms packet. In a virtual
/// machine (where such pipelines run) each `cpuid` exits to the hypervisor: on the 2-core VM voxgate is
/// measured on, that was 20% of a whole run's CPU samples (perf), and decoding the mixed corpus's Opus files
/// this way takes about half the time libsndfile takes (same samples, bit for bit).
///
/// The arithmetic is libsndfile's (`ogg_opus.c`): the decoding rate is the lowest Opus rate at or above the
/// OpusHead's input rate; the pre-skip is dropped from the first samples, the end trimmed to the last page's
/// granule position, the output gain applied by libopus (`OPUS_SET_GAIN`), and a stream may start at a
/// granule offset. Only the plain case is read here (``OggPackets``: one logical stream, pages in sequence
/// with matching CRCs, an end-of-stream page, nothing else in the file; mono or stereo, channel mapping 0;
/// well-formed headers; every packet's length readable; granule positions libsndfile accepts). For anything
/// else ``open(_:path:)`` returns nil and the file goes to libsndfile, which reads, repairs or rejects it as
/// before.
final class OggOpusBackend: DecoderBackend {
    /// The OpusHead fields libsndfile uses (RFC 7845 §5.1), for channel mapping family 0.
    struct Head: Equatable {
        var channels: Int
        var preSkip: Int
        var inputRate: Int
        var gainQ8: Int16
        /// The frames libsndfile reports and reads at most: (last granule − first granule − pre-skip) ÷ factor.
        var frames = 0

        /// libsndfile's choice: the lowest Opus decoding rate at or above the input rate, as 48 kHz ÷ factor.
        var rateFactor: Int {
            switch inputRate {
            case 24_001...: 1
            case 16_001...: 2
            case 12_001...: 3
            case 8_001...: 4
            default: 6
            }
        }

        /// The 19-byte identification header of a mono or stereo stream (version 0 or 1, as libsndfile
        /// accepts), or nil.
        init?(_ packet: UnsafeBufferPointer<UInt8>) {
            guard packet.count == 19, Array(packet[0..<8]) == Array("OpusHead".utf8), packet[8] <= 1,
                packet[18] == 0, (1...2).contains(packet[9])
            else { return nil }
            func le(_ at: Int, _ n: Int) -> Int { (0..<n).reduce(0) { $0 | Int(packet[at + $1]) << (8 * $1) } }
            channels = Int(packet[9])
            preSkip = le(10, 2)
            inputRate = le(12, 4)
            gainQ8 = Int16(truncatingIfNeeded: le(16, 2))
        }
    }

    let head: Head
    let sampleRate: Int
    private let image: FileImage
    private let packets: OggPackets
    private let decoder: OpaquePointer
    private let path: String
    private var group: [OggPackets.Packet] = []
    private var nextInGroup = 0
    private var firstGroup = true
    /// libsndfile's positions, in 48 kHz samples: where the next packet starts, and the page's granule.
    private var packetPosition: Int64 = 0
    private var pagePosition: Int64 = 0
    /// The decoded packet, interleaved, and the frames of it still to hand out (`cursor..<end`).
    private var pcm: [Float]
    private var cursor = 0
    private var end = 0
    /// Frames handed out so far (at most ``Head/frames``, libsndfile's count).
    private var handedOut = 0

    /// 120 ms at 48 kHz: the longest Opus packet.
    private static let maxPacketFrames = 5_760

    /// A decoder for `image` when it is a plain Ogg Opus file (see the type's notes), else nil: libsndfile's.
    static func open(_ image: FileImage, path: String) throws(DecodeError) -> OggOpusBackend? {
        guard let head = plainHead(image.bytes) else { return nil }
        return try OggOpusBackend(image: image, head: head, path: path)
    }

    private init(image: FileImage, head: Head, path: String) throws(DecodeError) {
        self.image = image
        self.head = head
        self.path = path
        sampleRate = 48_000 / head.rateFactor
        var status: Int32 = 0
        guard let decoder = opus_decoder_create(Int32(sampleRate), Int32(head.channels), &status), status == OPUS_OK
        else {
            throw DecodeError(.corrupt, "libopus refused the stream's setup (\(Self.opusError(status)))", path: path)
        }
        self.decoder = decoder
        _ = vg_opus_decoder_set_gain(decoder, Int32(head.gainQ8))
        pcm = [Float](repeating: 0, count: Self.maxPacketFrames * head.channels)
        packets = OggPackets(image.bytes)
        var headers: [OggPackets.Packet] = []
        _ = packets.nextGroup(into: &headers)  // OpusHead
        _ = packets.nextGroup(into: &headers)  // OpusTags
    }

    deinit { opus_decoder_destroy(decoder) }

    func read(into buffer: UnsafeMutableBufferPointer<Float>) throws(DecodeError) -> Int {
        let channels = head.channels
        let capacity = buffer.count / channels
        var written = 0
        // libsndfile never reads past the frame count the granules give, whatever the packets hold.
        while written < capacity, handedOut < head.frames {
            if cursor == end {
                guard try decodeNextPacket() else { break }
                continue
            }
            let n = min(capacity - written, end - cursor, head.frames - handedOut)
            pcm.withUnsafeBufferPointer { from in
                buffer.baseAddress!.advanced(by: written * channels)
                    .update(from: from.baseAddress!.advanced(by: cursor * channels), count: n * channels)
            }
            written += n
            cursor += n
            handedOut += n
        }
        return written
    }

    /// Decodes the next packet and sets the frames of it to hand out (libsndfile's `ogg_opus_read_refill`).
    private func decodeNextPacket() throws(DecodeError) -> Bool {
        if nextInGroup >= group.count {
            nextInGroup = 0
            guard packets.nextGroup(into: &group) else {
                if let reason = packets.irregularity {  // checked before decoding began: the file changed in memory?
                    throw DecodeError(.corrupt, "the Ogg stream is damaged (\(reason))", path: path)
                }
                return false
            }
            (packetPosition, pagePosition) = Self.positions(
                of: group, after: pagePosition, first: firstGroup, atEnd: packets.atEndOfStream)
            firstGroup = false
        }
        let packet = group[nextInGroup]
        nextInGroup += 1
        let frames = pcm.withUnsafeMutableBufferPointer { out in
            opus_decode_float(
                decoder, packet.bytes.baseAddress, Int32(packet.bytes.count), out.baseAddress!,
                Int32(Self.maxPacketFrames), 0)
        }
        guard frames >= 0 else {
            throw DecodeError(.corrupt, "libopus could not decode a packet (\(Self.opusError(frames)))", path: path)
        }
        let factor = Int64(head.rateFactor)
        let packetEnd = packetPosition + Int64(frames) * factor
        end =
            packetEnd <= pagePosition || !packets.atEndOfStream
            ? Int(frames) : max(Int(Int32(truncatingIfNeeded: pagePosition - packetPosition)) / Int(factor), 0)
        cursor = packetPosition < head.preSkip ? min((head.preSkip - Int(packetPosition)) / Int(factor), end) : 0
        packetPosition = packetEnd
        return true
    }

    /// Where a group's first packet starts and the group's page granule (libsndfile: the previous page's
    /// granule, or, for the first audio page, its granule less its packets' samples).
    private static func positions(
        of group: [OggPackets.Packet], after previous: Int64, first: Bool, atEnd: Bool
    ) -> (packet: Int64, page: Int64) {
        let page = group[group.count - 1].granule
        guard first, !atEnd else { return (first ? 0 : previous, page) }
        return (page - samples(group), page)
    }

    /// The 48 kHz samples a group's packets hold.
    private static func samples(_ group: [OggPackets.Packet]) -> Int64 {
        group.reduce(0) { $0 + Int64(max(samples($1), 0)) }
    }

    /// A packet's samples at 48 kHz from its TOC byte and frame count, or a negative libopus error.
    private static func samples(_ packet: OggPackets.Packet) -> Int32 {
        guard let base = packet.bytes.baseAddress, !packet.bytes.isEmpty else { return OPUS_BAD_ARG }
        return opus_packet_get_nb_samples(base, Int32(packet.bytes.count), 48_000)
    }

    /// The OpusHead of `bytes` when the whole file is the plain case this backend reads, else nil. Walks every
    /// page and packet once (libogg, no decoding) and checks what libsndfile would refuse or read its own way.
    static func plainHead(_ bytes: UnsafeRawBufferPointer) -> Head? {
        let packets = OggPackets(bytes)
        var group: [OggPackets.Packet] = []
        // The first page holds the OpusHead alone (libsndfile's requirement), the next packet is OpusTags alone.
        guard packets.nextGroup(into: &group), group.count == 1, packets.pages == 1, let head = Head(group[0].bytes),
            packets.nextGroup(into: &group), group.count == 1, isWellFormedTags(group[0].bytes)
        else { return nil }
        var first = true
        var previous: Int64 = 0
        var start: Int64 = 0
        while packets.nextGroup(into: &group) {
            let page = group[group.count - 1].granule
            guard page >= 0 else { return nil }
            var total: Int64 = 0
            for packet in group {
                let n = samples(packet)
                guard n > 0, n <= Int32(maxPacketFrames) else { return nil }
                total += Int64(n)
            }
            let atEnd = packets.atEndOfStream
            if first {
                // libsndfile: a first audio page must hold no more samples than its granule says, unless it is
                // also the last, which must then start at granule 0.
                guard atEnd ? total >= page : total <= page else { return nil }
                start = atEnd ? 0 : page - total
            } else if !atEnd {
                // Mid-stream, every packet must end at or before its page's granule (libsndfile refuses it).
                guard previous + total <= page else { return nil }
            }
            previous = page
            first = false
        }
        // libsndfile's frame count, from the last page's granule (which must be the last packet's).
        guard packets.irregularity == nil, !first, packets.pageGranule == previous,
            previous - start - Int64(head.preSkip) >= 0
        else { return nil }
        var plain = head
        plain.frames = Int((previous - start - Int64(head.preSkip)) / Int64(head.rateFactor))
        return plain
    }

    /// OpusTags as libsndfile bounds-checks it (a Vorbis comment header after the magic).
    static func isWellFormedTags(_ packet: UnsafeBufferPointer<UInt8>) -> Bool {
        guard packet.count >= 16, Array(packet[0..<8]) == Array("OpusTags".utf8) else { return false }
        func u32(_ at: Int) -> Int { (0..<4).reduce(0) { $0 | Int(packet[at + $1]) << (8 * $1) } }
        var at = 8
        let vendor = u32(at)
        at += 4
        guard vendor <= packet.count - at - 4 else { return false }
        at += vendor
        let count = u32(at)
        at += 4
        for _ in 0..<count {
            guard at + 4 <= packet.count else { return false }
            let length = u32(at)
            at += 4
            guard length <= packet.count - at else { return false }
            at += length
        }
        return true
    }

    private static func opusError(_ code: Int32) -> String { String(cString: opus_strerror(code)) }
}
