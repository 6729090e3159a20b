/// A small, strict Matroska/WebM demuxer for what audio uploads need: the EBML header, one Segment
/// (known or unknown size), Tracks with an `A_OPUS` track and its `CodecPrivate` OpusHead, Clusters
/// (known or unknown size, as browsers' MediaRecorder live-streams them), SimpleBlock and BlockGroup
/// with DiscardPadding, and Xiph, EBML and fixed lacing (Matroska, IETF CELLAR RFC 9559).
///
/// Memory is bounded by one element at a time (a block is at most ``maxBlockBytes``); nesting is
/// fixed by the grammar, so hostile files cannot recurse.
struct MatroskaOpusDemuxer {
    /// One Opus packet and the padding (in 48 kHz samples) to drop from the end of its decoded output.
    struct Packet {
        var data: [UInt8]
        var discardSamples: Int
    }

    /// The Opus track's setup (RFC 7845 §5.1 OpusHead, carried in CodecPrivate).
    struct OpusHead {
        var channels: Int
        var preSkip: Int
        var outputGainQ8: Int16
        var mappingFamily: UInt8
    }

    static let maxBlockBytes = 1 << 20

    // Element IDs (Matroska), marker bits included.
    enum ID {
        static let ebml: UInt32 = 0x1A45_DFA3, docType: UInt32 = 0x4282
        static let segment: UInt32 = 0x1853_8067, cluster: UInt32 = 0x1F43_B675, tracks: UInt32 = 0x1654_AE6B
        static let trackEntry: UInt32 = 0xAE, trackNumber: UInt32 = 0xD7, codecID: UInt32 = 0x86
        static let codecPrivate: UInt32 = 0x63A2, audio: UInt32 = 0xE1, channels: UInt32 = 0x9F
        static let simpleBlock: UInt32 = 0xA3, blockGroup: UInt32 = 0xA0, block: UInt32 = 0xA1
        static let discardPadding: UInt32 = 0x75A2
        /// Children of Segment: they also end an unknown-size Cluster.
        static let segmentChildren: Set<UInt32> = [
            0x114D_9B74, 0x1549_A966, 0x1654_AE6B, 0x1F43_B675, 0x1C53_BB6B, 0x1941_A469, 0x1043_A770, 0x1254_C367,
        ]
    }

    typealias Failure = EBMLReader.Failure

    private var reader: EBMLReader
    private(set) var head: OpusHead
    private let trackNumber: UInt64
    private let segmentEnd: Int
    private var clusterEnd: Int?  // nil: not in a cluster; Int.max: unknown-size cluster
    private var laces: [[UInt8]] = []
    private var lastLaceDiscard = 0

    init(path: String) throws {
        var reader = try EBMLReader(path: path)
        let ebml = try reader.header()
        guard ebml.id == ID.ebml, let ebmlEnd = ebml.end else { throw Failure(message: "no EBML header") }
        var docType = "matroska"
        while reader.position < ebmlEnd {
            let h = try reader.header()
            if h.id == ID.docType { docType = try reader.string(h) } else { try reader.skip(to: h.end ?? ebmlEnd) }
        }
        guard docType == "webm" || docType == "matroska" else {
            throw Failure(message: "EBML document type '\(docType)' is not WebM or Matroska")
        }
        let segment = try reader.header()
        guard segment.id == ID.segment else { throw Failure(message: "no Segment after the EBML header") }
        let segmentEnd = segment.end ?? reader.fileSize
        // Everything before the first Cluster: find the Tracks.
        var found: (number: UInt64, head: OpusHead)?
        while found == nil {
            guard reader.position < segmentEnd else { throw Failure(message: "the Segment has no Tracks") }
            let h = try reader.header()
            if h.id == ID.cluster { throw Failure(message: "a Cluster comes before any Tracks") }
            guard let end = h.end else { throw Failure(message: "an unknown-size element other than a Cluster") }
            if h.id == ID.tracks { found = try Self.readTracks(&reader, end: end) }
            try reader.skip(to: end)
        }
        self.reader = reader
        self.head = found!.head
        self.trackNumber = found!.number
        self.segmentEnd = segmentEnd
    }

    func close() { reader.close() }

    private static func readTracks(_ r: inout EBMLReader, end: Int) throws -> (UInt64, OpusHead) {
        var codecs: [String] = []
        while r.position < end {
            let entry = try r.header()
            guard let entryEnd = entry.end else { throw Failure(message: "a TrackEntry of unknown size") }
            guard entry.id == ID.trackEntry else {
                try r.skip(to: entryEnd)
                continue
            }
            var number: UInt64?, codec = "", priv: [UInt8]?
            while r.position < entryEnd {
                let h = try r.header()
                switch h.id {
                case ID.trackNumber: number = try r.unsigned(h)
                case ID.codecID: codec = try r.string(h)
                case ID.codecPrivate:
                    guard let size = h.size, size <= 64 * 1024 else {
                        throw Failure(message: "an oversized CodecPrivate")
                    }
                    priv = try r.bytes(size)
                default: try r.skip(to: h.end ?? entryEnd)
                }
            }
            codecs.append(codec)
            guard codec == "A_OPUS" else { continue }
            guard let number else { throw Failure(message: "the Opus track has no TrackNumber") }
            guard let priv else { throw Failure(message: "the Opus track has no CodecPrivate (OpusHead)") }
            return (number, try parseOpusHead(priv))
        }
        throw Failure(
            message: "no Opus audio track (tracks: \(codecs.isEmpty ? "none" : codecs.joined(separator: ", ")))")
    }

    /// RFC 7845 §5.1.
    static func parseOpusHead(_ b: [UInt8]) throws -> OpusHead {
        guard b.count >= 19, b.starts(with: Array("OpusHead".utf8)) else {
            throw Failure(message: "the Opus CodecPrivate is not an OpusHead")
        }
        guard b[8] & 0xF0 == 0 else { throw Failure(message: "OpusHead version \(b[8]) is not supported") }
        let channels = Int(b[9])
        guard channels > 0 else { throw Failure(message: "OpusHead declares 0 channels") }
        let head = OpusHead(
            channels: channels, preSkip: Int(b[10]) | Int(b[11]) << 8,
            outputGainQ8: Int16(bitPattern: UInt16(b[16]) | UInt16(b[17]) << 8), mappingFamily: b[18])
        guard head.mappingFamily == 0, channels <= 2 else {
            throw Failure(
                message: "Opus channel mapping family \(head.mappingFamily) with \(channels) channels "
                    + "(multistream) is not supported; browser recordings are mono or stereo")
        }
        return head
    }

    /// The next Opus packet of the track, or nil at the end of the Segment.
    mutating func nextPacket() throws -> Packet? {
        while true {
            if !laces.isEmpty {
                let data = laces.removeFirst()
                return Packet(data: data, discardSamples: laces.isEmpty ? lastLaceDiscard : 0)
            }
            guard reader.position < segmentEnd, !reader.atEnd else { return nil }
            if let end = clusterEnd, reader.position >= end { clusterEnd = nil }
            let h = try reader.header()
            if clusterEnd == nil {
                if h.id == ID.cluster {
                    clusterEnd = h.end ?? Int.max
                } else {
                    guard let end = h.end else {
                        throw Failure(message: "an unknown-size element other than a Cluster")
                    }
                    try reader.skip(to: end)
                }
                continue
            }
            if clusterEnd == Int.max, ID.segmentChildren.contains(h.id) {
                // An unknown-size Cluster ends where the next Segment child begins.
                clusterEnd = nil
                if h.id == ID.cluster {
                    clusterEnd = h.end ?? Int.max
                } else {
                    try reader.skip(to: h.end ?? segmentEnd)
                }
                continue
            }
            guard let end = h.end else { throw Failure(message: "an unknown-size element inside a Cluster") }
            switch h.id {
            case ID.simpleBlock:
                try readBlock(size: end - h.payloadOffset, discardNs: 0)
            case ID.blockGroup:
                var block: (offset: Int, size: Int)?
                var discardNs: Int64 = 0
                while reader.position < end {
                    let c = try reader.header()
                    guard let cEnd = c.end else { throw Failure(message: "an unknown-size element in a BlockGroup") }
                    switch c.id {
                    case ID.block: block = (c.payloadOffset, cEnd - c.payloadOffset)
                    case ID.discardPadding: discardNs = try reader.signed(c)
                    default: break
                    }
                    try reader.skip(to: cEnd)
                }
                if let block {
                    try reader.skip(to: block.offset)
                    try readBlock(size: block.size, discardNs: discardNs)
                }
            default:
                break
            }
            try reader.skip(to: end)
        }
    }

    /// Parses a (Simple)Block's header and lacing into `laces`, when it belongs to the Opus track.
    private mutating func readBlock(size: Int, discardNs: Int64) throws {
        guard size <= Self.maxBlockBytes else { throw Failure(message: "a block of \(size) bytes (limit 1 MiB)") }
        let start = reader.position
        let track = try reader.vint(limit: min(size, 8))
        guard size >= track.length + 3 else { throw Failure(message: "a block shorter than its header") }
        guard track.value == trackNumber else { return }
        _ = try reader.bytes(2)  // relative timecode
        let flags = try reader.byte()
        let lacing = (flags >> 1) & 0x03
        let headerBytes = reader.position - start
        var sizes: [Int] = []
        var payload = size - headerBytes
        if lacing != 0 {
            let overrun = Failure(message: "lace sizes exceed the block")
            guard payload >= 1 else { throw overrun }
            let count = Int(try reader.byte()) + 1
            payload -= 1
            switch lacing {
            case 1:  // Xiph: each size a run of 255s ended by a smaller byte
                for _ in 0..<count - 1 {
                    var s = 0
                    var b: UInt8
                    repeat {
                        guard payload >= 1 else { throw overrun }
                        b = try reader.byte()
                        s += Int(b)
                        payload -= 1
                    } while b == 255
                    sizes.append(s)
                }
            case 3:  // EBML: first size unsigned, then signed differences
                for i in 0..<count - 1 {
                    guard payload >= 1, let v = try? reader.vint(limit: payload) else { throw overrun }
                    payload -= v.length
                    guard payload >= 0 else { throw overrun }
                    if i == 0 {
                        sizes.append(Int(v.value))
                    } else {
                        let bias = (Int64(1) << (7 * Int64(v.length) - 1)) - 1
                        sizes.append(sizes.last! + Int(Int64(v.value) - bias))
                    }
                }
            default:  // fixed
                guard payload % count == 0 else {
                    throw Failure(message: "fixed lacing that does not divide the block")
                }
                sizes = Array(repeating: payload / count, count: count - 1)
            }
            let used = sizes.reduce(0, +)
            guard sizes.allSatisfy({ $0 >= 0 }), used <= payload else { throw overrun }
            sizes.append(payload - used)
        } else {
            sizes = [payload]
        }
        guard payload >= 0 else { throw Failure(message: "a block shorter than its header") }
        for s in sizes { laces.append(try reader.bytes(s)) }
        lastLaceDiscard = discardNs > 0 ? Int((Double(discardNs) * 48_000 / 1e9).rounded()) : 0
    }
}
