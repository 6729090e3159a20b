internal import COgg
import Foundation

/// The packets of one Ogg logical stream in a file held in memory, read with libogg (pages, CRCs, lacing),
/// in the groups libsndfile's Ogg reader takes them: whatever completes once more pages are read, until at
/// least one packet does.
///
/// Only the plain layout is read: one logical stream whose pages are numbered 0, 1, 2… with no gap, a
/// first page marked as the beginning and a last page marked as the end, and nothing before, between or
/// after the pages (no junk, no page with a bad CRC, no cut page). Anything else sets ``irregularity``
/// and ends the packets: the caller then leaves the file to libsndfile, which reads such files its own way.
final class OggPackets {
    /// One packet: its bytes (valid until the next group is read) and the granule position libogg gives it
    /// (the page's, on the last packet a page completes; -1 on the others).
    struct Packet {
        var bytes: UnsafeBufferPointer<UInt8>
        var granule: Int64
    }

    private let sync = UnsafeMutablePointer<ogg_sync_state>.allocate(capacity: 1)
    private let stream = UnsafeMutablePointer<ogg_stream_state>.allocate(capacity: 1)
    private let page = UnsafeMutablePointer<ogg_page>.allocate(capacity: 1)
    private var serial: Int32 = 0
    /// Pages read into the stream so far.
    private(set) var pages = 0
    /// The page read last carried the end-of-stream flag.
    private(set) var atEndOfStream = false
    /// Why the file is not the plain layout, once that is seen.
    private(set) var irregularity: String?
    /// The granule position of the page read last.
    private(set) var pageGranule: Int64 = -1
    /// libsndfile takes at most 255 packets at once (and refuses a file that has more waiting).
    static let maxGroup = 255

    /// Copies `bytes` into libogg's buffer (the file stays the caller's).
    init(_ bytes: UnsafeRawBufferPointer) {
        ogg_sync_init(sync)
        stream.initialize(to: ogg_stream_state())
        page.initialize(to: ogg_page())
        if let base = bytes.baseAddress, let buffer = ogg_sync_buffer(sync, bytes.count) {
            buffer.withMemoryRebound(to: UInt8.self, capacity: bytes.count) {
                $0.update(from: base.assumingMemoryBound(to: UInt8.self), count: bytes.count)
            }
            ogg_sync_wrote(sync, bytes.count)
        }
    }

    deinit {
        if pages > 0 { ogg_stream_clear(stream) }
        ogg_sync_clear(sync)
        sync.deallocate()
        stream.deallocate()
        page.deallocate()
    }

    /// Reads the next group of packets into `group` (emptied first).
    /// - Returns: false at the end of the stream, or once the layout is seen not to be plain (``irregularity``).
    func nextGroup(into group: inout [Packet]) -> Bool {
        group.removeAll(keepingCapacity: true)
        guard irregularity == nil else { return false }
        var packet = ogg_packet()
        var status: Int32 = pages == 0 ? 0 : ogg_stream_packetout(stream, &packet)
        while status == 0 {
            guard nextPage() else { return false }
            status = ogg_stream_packetout(stream, &packet)
        }
        while status == 1 {
            guard group.count < Self.maxGroup else { return irregular("more than \(Self.maxGroup) packets at once") }
            group.append(
                Packet(
                    bytes: UnsafeBufferPointer(start: packet.packet, count: packet.bytes), granule: packet.granulepos))
            status = ogg_stream_packetout(stream, &packet)
        }
        guard status == 0 else { return irregular("a gap in the packets") }
        return true
    }

    /// Moves the next page into the stream; false at the end of the bytes or when the page breaks the plain layout.
    private func nextPage() -> Bool {
        switch ogg_sync_pageout(sync, page) {
        case 1: break
        case 0:
            // Out of bytes: the end, if the last page read ended the stream and no cut page is left over.
            if sync.pointee.fill != sync.pointee.returned { return irregular("a cut page at the end") }
            return atEndOfStream ? false : irregular("no end-of-stream page")
        default: return irregular("bytes outside any page (junk, or a page whose CRC does not match)")
        }
        let number = ogg_page_serialno(page)
        if pages == 0 {
            guard ogg_page_bos(page) != 0 else { return irregular("a first page not marked as the beginning") }
            serial = number
            ogg_stream_init(stream, number)
        } else {
            guard number == serial else { return irregular("a second logical stream") }
            guard ogg_page_bos(page) == 0 else { return irregular("a second beginning-of-stream page") }
        }
        guard ogg_page_pageno(page) == pages else { return irregular("pages out of sequence") }
        guard !atEndOfStream else { return irregular("pages after the end-of-stream page") }
        guard ogg_stream_pagein(stream, page) == 0 else { return irregular("a page libogg refused") }
        atEndOfStream = ogg_page_eos(page) != 0
        pageGranule = ogg_page_granulepos(page)
        pages += 1
        return true
    }

    private func irregular(_ reason: String) -> Bool {
        irregularity = irregularity ?? reason
        return false
    }
}
