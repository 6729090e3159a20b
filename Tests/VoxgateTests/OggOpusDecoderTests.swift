import Foundation
import Testing

@testable import VoxgateAudio

/// voxgate's own Ogg Opus reader (libogg + libopus's single-stream decoder, ``OggOpusBackend``) gives libsndfile's
/// samples bit for bit, for every plain file ffmpeg writes (mono and stereo, every Opus rate, every frame length,
/// many pages) and for headers and granules ffmpeg does not write (output gain, a stream starting at a granule
/// offset, an end trimmed mid-packet); and every file outside the plain case is left to libsndfile, with its
/// result.
/// ffmpeg (libopus) writes the files, as scripts/setup installs it for the suite.
@Suite struct OggOpusDecoderTests {
    let dir = NSTemporaryDirectory() + "voxgate-oggopus-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"

    /// Encodes a noisy chirp with ffmpeg's libopus encoder into an Ogg Opus file; returns its path.
    func encode(_ name: String, seconds: Double = 2.5, rate: Int = 48_000, channels: Int = 1, options: [String] = [])
        throws -> String
    {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/" + name + ".opus"
        let source = "sine=frequency=300:sample_rate=\(rate):duration=\(seconds),vibrato=f=3:d=0.9"
        let run = try TestSupport.run(
            "ffmpeg",
            [
                "-v", "error", "-y", "-f", "lavfi", "-i", source, "-af", "volume=0.5", "-ac", "\(channels)", "-ar",
                "\(rate)",
                "-c:a", "libopus", "-b:a", "32k",
            ] + options + [path])
        try #require(run.status == 0, "ffmpeg: \(run.error)")
        return path
    }

    /// libsndfile reading the file from disk, and the decoder voxgate uses for the same bytes in memory.
    func bothWays(_ path: String) throws -> (
        sndfile: Result<DecodedFile, DecodeError>, memory: Result<DecodedFile, DecodeError>, direct: Bool
    ) {
        let image = try #require(FileImage.read(path: path))
        let direct = withExtendedLifetime(image) { OggOpusBackend.plainHead(image.bytes) != nil }
        return (
            Result { () throws(DecodeError) in try DecodedFile(path: path) },
            Result { () throws(DecodeError) in try DecodedFile(path: path, image: image, blockFrames: 333) }, direct
        )
    }

    func expectSameSamples(_ path: String, direct expectedDirect: Bool = true) throws {
        let (sndfile, memory, direct) = try bothWays(path)
        #expect(direct == expectedDirect, "\(path): read by voxgate's own Ogg Opus reader")
        switch (sndfile, memory) {
        case (.success(let a), .success(let b)):
            #expect(a.info == b.info, "\(path): stream info")
            #expect(firstDifference(a.samples, b.samples) == nil, "\(path): samples")
            #expect(a.frames > 0)
        case (.failure(let a), .failure(let b)):
            #expect(!expectedDirect, "\(path): libsndfile refuses a file read as plain: \(a.message)")
            #expect(a.code == b.code, "\(path): \(a.message) / \(b.message)")
        default:
            Issue.record("\(path): libsndfile \(sndfile), in memory \(memory)")
        }
    }

    @Test func plainFilesGiveLibsndfilesSamples() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try expectSameSamples(try encode("mono48"))
        try expectSameSamples(try encode("stereo48", channels: 2))
        for rate in [8_000, 12_000, 16_000, 24_000] {
            try expectSameSamples(try encode("mono\(rate)", rate: rate))
        }
        for duration in ["2.5", "10", "60"] {
            try expectSameSamples(try encode("frame\(duration)", options: ["-frame_duration", duration]))
        }
        try expectSameSamples(try encode("pages", seconds: 4, options: ["-page_duration", "20000"]))
        try expectSameSamples(try encode("long", seconds: 21, channels: 2))
        // The TestAudio uploads that are Ogg Opus.
        for path in FileImageTests.uploads() where Self.isOggOpus(path) {
            try expectSameSamples(path, direct: try Self.isPlain(path))
        }
    }

    @Test func headersAndGranulesFfmpegDoesNotWrite() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let source = try encode("edited", seconds: 3, options: ["-page_duration", "100000"])
        var pages = try OggPage.split(Data(contentsOf: URL(fileURLWithPath: source)))
        // Output gain +3 dB and −6 dB (Q7.8 at OpusHead bytes 16–17), applied by libopus on both paths.
        for (name, gain) in [("gain-up", Int16(3 * 256)), ("gain-down", Int16(-6 * 256))] {
            var edited = pages
            edited[0].body[16] = UInt8(truncatingIfNeeded: gain)
            edited[0].body[17] = UInt8(truncatingIfNeeded: gain >> 8)
            try expectSameSamples(try write(edited, name))
        }
        // A stream that starts at a granule offset (cut from a longer one): every audio page's granule moved on,
        // past the pre-skip, so libsndfile drops no pre-skip samples.
        var shifted = pages
        for i in 2..<shifted.count { shifted[i].granule += 48_000 }
        try expectSameSamples(try write(shifted, "offset"))
        // An end trimmed to 1,000 samples before the last page's packets end (the last page's granule, 48 kHz).
        pages[pages.count - 1].granule -= 1_000
        try expectSameSamples(try write(pages, "trimmed"))
    }

    @Test func filesOutsideThePlainCaseAreLeftToLibsndfile() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = try encode("plain", seconds: 3, options: ["-page_duration", "100000"])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let pages = try OggPage.split(bytes)
        var cases: [(String, Data)] = [
            ("cut", bytes.prefix(bytes.count * 7 / 10)),
            ("junk", bytes + Data("not a page".utf8)),
            ("chained", bytes + bytes),
            (
                "crc",
                {
                    var b = bytes; b[b.count - 20] ^= 0x40; return b
                }()
            ),
        ]
        var noEnd = pages
        noEnd[noEnd.count - 1].flags &= ~0x04
        cases.append(("no-end-flag", OggPage.join(noEnd)))
        var version = pages
        version[0].body[8] = 2
        cases.append(("version", OggPage.join(version)))
        var midStream = pages
        midStream[3].granule = midStream[2].granule + 10  // fewer samples than the page's packets hold, mid-stream
        cases.append(("short-granule", OggPage.join(midStream)))
        for (name, data) in cases {
            let file = dir + "/" + name + ".opus"
            try data.write(to: URL(fileURLWithPath: file))
            try expectSameSamples(file, direct: false)
        }
        #expect(try Self.isPlain(path), "the unedited file")
        try expectSameSamples(try encode("surround", channels: 6, options: ["-mapping_family", "1"]), direct: false)
    }

    /// Single bytes changed anywhere in a plain file, with the page CRCs made to match again so that libogg takes the
    /// page: both decoders give the same samples, or both refuse the file.
    @Test func editedBytesGiveTheSameResultBothWays() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = try encode("mutate", seconds: 1.5, channels: 2, options: ["-page_duration", "60000"])
        let pages = try OggPage.split(Data(contentsOf: URL(fileURLWithPath: path)))
        var generator = SplitMix64(seed: 18)
        var direct = 0
        for n in 0..<160 {
            var edited = pages
            let p = Int(generator.next() % UInt64(edited.count))
            if generator.next() % 3 == 0 {
                edited[p].granule = Int64(bitPattern: generator.next() % 200_000) - 1_000
            } else if !edited[p].body.isEmpty {
                let at = Int(generator.next() % UInt64(edited[p].body.count))
                edited[p].body[at] ^= UInt8(1 << (generator.next() % 8))
            }
            let file = dir + "/m\(n).opus"
            try OggPage.join(edited).write(to: URL(fileURLWithPath: file))
            let (sndfile, memory, isDirect) = try bothWays(file)
            if isDirect { direct += 1 }
            switch (sndfile, memory) {
            case (.success(let a), .success(let b)):
                #expect(
                    a.info == b.info && firstDifference(a.samples, b.samples) == nil,
                    "mutant \(n): \(firstDifference(a.samples, b.samples) ?? "")")
            case (.failure, .failure): break
            default: Issue.record("mutant \(n): libsndfile \(sndfile), in memory \(memory)")
            }
            unlink(file)
        }
        #expect(direct > 40, "most mutants stay plain and are read by voxgate's reader: \(direct)")
    }

    static func isPlain(_ path: String) throws -> Bool {
        let image = try #require(FileImage.read(path: path))
        return withExtendedLifetime(image) { OggOpusBackend.plainHead(image.bytes) != nil }
    }

    static func isOggOpus(_ path: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: path), data.count > 36 else { return false }
        return data.prefix(4) == Data("OggS".utf8) && data.range(of: Data("OpusHead".utf8)) != nil
    }

    func write(_ pages: [OggPage], _ name: String) throws -> String {
        let path = dir + "/" + name + ".opus"
        try OggPage.join(pages).write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// One Ogg page (RFC 3533 §6), split from a file and joined back with its CRC computed again, to edit headers.
struct OggPage {
    var flags: UInt8
    var granule: Int64
    var serial: UInt32
    var sequence: UInt32
    var lacing: [UInt8]
    var body: [UInt8]

    static func split(_ data: Data) throws -> [OggPage] {
        let b = [UInt8](data)
        var pages: [OggPage] = []
        var at = 0
        func le(_ o: Int, _ n: Int) -> UInt64 { (0..<n).reduce(0) { $0 | UInt64(b[o + $1]) << (8 * UInt64($1)) } }
        while at + 27 <= b.count {
            try #require(b[at..<at + 4].elementsEqual("OggS".utf8), "page at \(at)")
            let segments = Int(b[at + 26])
            let lacing = Array(b[at + 27..<at + 27 + segments])
            let size = lacing.reduce(0) { $0 + Int($1) }
            let start = at + 27 + segments
            pages.append(
                OggPage(
                    flags: b[at + 5], granule: Int64(bitPattern: le(at + 6, 8)), serial: UInt32(le(at + 14, 4)),
                    sequence: UInt32(le(at + 18, 4)), lacing: lacing, body: Array(b[start..<start + size])))
            at = start + size
        }
        return pages
    }

    static func join(_ pages: [OggPage]) -> Data {
        var out: [UInt8] = []
        for p in pages {
            var page: [UInt8] = Array("OggS".utf8) + [0, p.flags]
            page += withUnsafeBytes(of: UInt64(bitPattern: p.granule).littleEndian, Array.init)
            page += withUnsafeBytes(of: p.serial.littleEndian, Array.init)
            page += withUnsafeBytes(of: p.sequence.littleEndian, Array.init)
            page += [0, 0, 0, 0, UInt8(p.lacing.count)] + p.lacing + p.body
            let crc = crc32(page)
            for i in 0..<4 { page[22 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
            out += page
        }
        return Data(out)
    }

    /// Ogg's CRC-32: polynomial 0x04C11DB7, not reflected, initial value 0, no final XOR.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0
        for byte in bytes {
            crc ^= UInt32(byte) << 24
            for _ in 0..<8 { crc = crc & 0x8000_0000 != 0 ? (crc << 1) ^ 0x04C1_1DB7 : crc << 1 }
        }
        return crc
    }
}
