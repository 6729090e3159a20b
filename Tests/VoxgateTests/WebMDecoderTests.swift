import Foundation
import Testing
import VoxgateAudio

/// Builds small Matroska files byte by byte, to test what ffmpeg never writes (lacing, unknown
/// sizes, discard padding) and what no encoder would write (malformed elements).
enum MKV {
    static func vint(_ value: Int, length: Int? = nil) -> [UInt8] {
        let n = length ?? (1...8).first { value < (1 << (7 * $0)) - 1 }!
        var bytes = (0..<n).map { UInt8(truncatingIfNeeded: value >> (8 * (n - 1 - $0))) }
        bytes[0] |= UInt8(0x80 >> (n - 1))
        return bytes
    }
    static func id(_ id: UInt32) -> [UInt8] {
        let n = id > 0xFFFFFF ? 4 : id > 0xFFFF ? 3 : id > 0xFF ? 2 : 1
        return (0..<n).map { UInt8(truncatingIfNeeded: id >> (8 * UInt32(n - 1 - $0))) }
    }
    static func element(_ i: UInt32, _ payload: [UInt8]) -> [UInt8] { id(i) + vint(payload.count) + payload }
    static func unknownSize(_ i: UInt32, _ payload: [UInt8]) -> [UInt8] {
        id(i) + [0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF] + payload
    }
    static func uint(_ i: UInt32, _ v: Int) -> [UInt8] { element(i, [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]) }

    static func opusHead(channels: UInt8 = 1, preSkip: UInt16 = 312) -> [UInt8] {
        Array("OpusHead".utf8) + [1, channels, UInt8(preSkip & 0xFF), UInt8(preSkip >> 8), 0x80, 0xBB, 0, 0, 0, 0, 0]
    }
    /// One 20 ms CELT packet with no coded data (TOC only): libopus conceals it as 960 frames.
    static let packet: [UInt8] = [0xF8]

    static func file(tracks: [UInt8]? = nil, clusters: [UInt8], segmentKnownSize: Bool = false) -> Data {
        let header = element(0x1A45_DFA3, element(0x4282, Array("webm".utf8)))
        let track =
            tracks
            ?? element(
                0x1654_AE6B,
                element(
                    0xAE,
                    uint(0xD7, 1) + element(0x86, Array("A_OPUS".utf8))
                        + element(0x63A2, opusHead())))
        let body = track + clusters
        return Data(header + (segmentKnownSize ? element(0x1853_8067, body) : unknownSize(0x1853_8067, body)))
    }
    /// A SimpleBlock for track 1 with the given lacing (0 none, 1 Xiph, 2 fixed, 3 EBML) of `count` packets.
    static func simpleBlock(lacing: UInt8, count: Int) -> [UInt8] {
        var b: [UInt8] = [0x81, 0, 0, 0x80 | lacing << 1]
        let packets = Array(repeating: packet, count: count)
        switch lacing {
        case 0: break
        case 1: b += [UInt8(count - 1)] + packets.dropLast().map { UInt8($0.count) }
        case 2: b += [UInt8(count - 1)]
        default:
            b +=
                [UInt8(count - 1)] + vint(packets[0].count)
                + Array(repeating: [UInt8(0xBF)], count: count - 2).flatMap { $0 }  // +0 differences
        }
        return element(0xA3, b + packets.flatMap { $0 })
    }
}

@Suite("WebM/Opus: our demuxer feeding libopus")
struct WebMDecoderTests {
    func write(_ data: Data) throws -> (String, String) {
        let dir = try TestSupport.temporaryFolder()
        let path = dir + "/clip.webm"
        try data.write(to: URL(fileURLWithPath: path))
        return (dir, path)
    }

    @Test(arguments: [(1, 16000), (2, 44100)])
    func ffmpegWebMDecodesToTheSameLengthAsFFmpeg(channels: Int, rate: Int) throws {
        let dir = try TestSupport.temporaryFolder()
        defer { TestSupport.remove(dir) }
        try TestSupport.tone(dir + "/in.wav", seconds: 1.7, rate: rate, channels: channels)
        try TestSupport.must(
            "ffmpeg", ["-loglevel", "error", "-i", dir + "/in.wav", "-c:a", "libopus", dir + "/a.webm"])
        try TestSupport.must("ffmpeg", ["-loglevel", "error", "-i", dir + "/a.webm", "-f", "f32le", dir + "/ref.raw"])
        let refSamples = try Data(contentsOf: URL(fileURLWithPath: dir + "/ref.raw")).count / 4
        let decoded = try DecodedFile(path: dir + "/a.webm")
        #expect(decoded.info.container == .webm && decoded.info.encoding == .opus)
        #expect(decoded.info.sampleRate == 48000 && decoded.info.channels == channels)
        #expect(decoded.samples.count == refSamples)  // pre-skip and end trimming as ffmpeg does
        #expect(abs(Double(decoded.frames) / 48000 - 1.7) < 0.05)
        let peak = decoded.samples.map(abs).max() ?? 0
        #expect(abs(20 * log10(Double(peak)) - 20 * log10(0.5)) < 1.0)
    }

    @Test(arguments: [UInt8(0), 1, 2, 3])
    func everyLacingKindYieldsEveryPacket(lacing: UInt8) throws {
        let count = lacing == 0 ? 1 : 5
        let blocks = Array(repeating: MKV.simpleBlock(lacing: lacing, count: count), count: 4).flatMap { $0 }
        let (dir, path) = try write(MKV.file(clusters: MKV.unknownSize(0x1F43_B675, MKV.uint(0xE7, 0) + blocks)))
        defer { TestSupport.remove(dir) }
        let decoded = try DecodedFile(path: path)
        #expect(decoded.frames == 4 * count * 960 - 312)  // pre-skip from the OpusHead
    }

    @Test func discardPaddingTrimsTheLastBlock() throws {
        let block = MKV.element(0xA1, [0x81, 0, 0, 0x00] + MKV.packet)
        let padding = MKV.element(0x75A2, [0x00, 0x98, 0x96, 0x80])  // 10 000 000 ns = 480 samples
        let clusters = MKV.element(
            0x1F43_B675,
            MKV.uint(0xE7, 0) + MKV.simpleBlock(lacing: 0, count: 1)
                + MKV.element(0xA0, block + padding))
        let (dir, path) = try write(MKV.file(clusters: clusters, segmentKnownSize: true))
        defer { TestSupport.remove(dir) }
        #expect(try DecodedFile(path: path).frames == 2 * 960 - 312 - 480)
    }

    @Test func clustersOfUnknownSizeEndAtTheNextCluster() throws {
        let cluster = MKV.unknownSize(0x1F43_B675, MKV.uint(0xE7, 0) + MKV.simpleBlock(lacing: 0, count: 1))
        let (dir, path) = try write(MKV.file(clusters: cluster + cluster + cluster))
        defer { TestSupport.remove(dir) }
        #expect(try DecodedFile(path: path).frames == 3 * 960 - 312)
    }

    @Test func malformedFilesAreDecodeErrorsNamingTheProblem() throws {
        let noPrivate = MKV.element(
            0x1654_AE6B, MKV.element(0xAE, MKV.uint(0xD7, 1) + MKV.element(0x86, Array("A_OPUS".utf8))))
        let vorbisOnly = MKV.element(
            0x1654_AE6B, MKV.element(0xAE, MKV.uint(0xD7, 1) + MKV.element(0x86, Array("A_VORBIS".utf8))))
        let cluster = MKV.element(0x1F43_B675, MKV.simpleBlock(lacing: 0, count: 1))
        let cases: [(Data, String)] = [
            (MKV.file(tracks: noPrivate, clusters: cluster), "no CodecPrivate"),
            (MKV.file(tracks: vorbisOnly, clusters: cluster), "no Opus audio track (tracks: A_VORBIS)"),
            (MKV.file(tracks: [], clusters: cluster), "Cluster comes before any Tracks"),
            (MKV.file(clusters: MKV.id(0x1F43_B675) + MKV.vint(1 << 40) + [1, 2, 3]), "remain"),
            (
                MKV.file(clusters: MKV.element(0x1F43_B675, MKV.element(0xA3, [0x81, 0, 0, 0x86, 200, 1]))),
                "lace sizes"
            ),
        ]
        for (data, words) in cases {
            let (dir, path) = try write(data)
            defer { TestSupport.remove(dir) }
            do {
                let d = try DecodedFile(path: path)
                Issue.record("decoded \(d.frames) frames; expected an error mentioning \(words)")
            } catch {
                #expect(error.code == .corrupt, "\(error)")
                #expect(error.message.contains(words), "\(error.message)")
            }
        }
    }

    /// Cut and mutated copies of a real WebM: every one decodes or fails with a decode error; none crashes.
    @Test func truncatedAndMutatedWebMNeverCrash() throws {
        let dir = try TestSupport.temporaryFolder()
        defer { TestSupport.remove(dir) }
        try TestSupport.tone(dir + "/in.wav", seconds: 1.2)
        try TestSupport.must(
            "ffmpeg", ["-loglevel", "error", "-i", dir + "/in.wav", "-c:a", "libopus", dir + "/a.webm"])
        let original = try Data(contentsOf: URL(fileURLWithPath: dir + "/a.webm"))
        var rng = SplitMix64(seed: 7)
        var failures = 0
        for trial in 0..<120 {
            var bytes = [UInt8](original)
            if trial < 40 {
                bytes = Array(bytes.prefix(bytes.count * trial / 40))
            } else {
                for _ in 0..<(1 + trial % 4) {
                    bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
                }
            }
            try Data(bytes).write(to: URL(fileURLWithPath: dir + "/m.webm"))
            do { _ = try DecodedFile(path: dir + "/m.webm") } catch { failures += 1 }
        }
        #expect(failures >= 40)  // every cut before the end fails (the empty and header-only ones included)
    }
}

/// A seeded generator, so the mutation test is the same on every run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
