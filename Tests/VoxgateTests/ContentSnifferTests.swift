import Testing

@testable import VoxgateAudio

@Suite("Content sniffing: formats by magic bytes, never by name")
struct ContentSnifferTests {
    static func bytes(_ ascii: String, pad: Int = 64) -> [UInt8] {
        Array(ascii.utf8) + [UInt8](repeating: 0, count: pad)
    }

    static func oggFirstPage(_ packet: String) -> [UInt8] {
        // "OggS", version, flags, granule(8), serial(4), seq(4), crc(4), 1 segment of 30 bytes
        var b = Array("OggS".utf8) + [0, 2] + [UInt8](repeating: 0, count: 20) + [1, 30]
        b += Array(packet.utf8)
        return b + [UInt8](repeating: 0, count: 40)
    }

    @Test(arguments: [
        (bytes("RIFF\u{0}\u{0}\u{0}\u{0}WAVEfmt "), ContainerFormat.wav),
        (bytes("RF64\u{0}\u{0}\u{0}\u{0}WAVEds64"), .rf64),
        (bytes("FORM\u{0}\u{0}\u{0}\u{0}AIFF"), .aiff),
        (bytes("fLaC\u{0}\u{0}\u{0}\u{22}"), .flac),
        (oggFirstPage("\u{01}vorbis"), .oggVorbis),
        (oggFirstPage("OpusHead"), .oggOpus),
        (oggFirstPage("\u{7F}FLAC"), .oggFLAC),
        (oggFirstPage("Speex   "), .unknown),
        ([0xFF, 0xFB, 0x90, 0x64] + [UInt8](repeating: 0, count: 60), .mp3),  // MPEG-1 Layer III 128k 44.1k
        ([0xFF, 0xF3, 0x48, 0xC4] + [UInt8](repeating: 0, count: 60), .mp3),  // MPEG-2 Layer III
        ([0xFF, 0xFD, 0x90, 0x64] + [UInt8](repeating: 0, count: 60), .unknown),  // Layer II is not MP3
        ([0xFF, 0xFB, 0xF0, 0x64] + [UInt8](repeating: 0, count: 60), .unknown),  // bitrate index 15 invalid
        ([0x1A, 0x45, 0xDF, 0xA3] + [UInt8](repeating: 0, count: 60), .webm),
        (bytes("\u{0}\u{0}\u{0}\u{20}ftypM4A "), .mp4),
        (bytes("hello, this is text"), .unknown),
        ([], .unknown),
    ])
    func recognises(_ head: [UInt8], _ expected: ContainerFormat) {
        #expect(ContentSniffer.sniff(head) == expected)
    }

    @Test func id3v2TagLengthIsSyncsafe() {
        // size bytes 0x00 0x00 0x02 0x01 → (2 << 7) | 1 = 257, plus the 10-byte header
        let tag: [UInt8] = Array("ID3".utf8) + [4, 0, 0, 0, 0, 2, 1]
        #expect(ContentSniffer.id3v2Length(tag) == 267)
        let withFooter: [UInt8] = Array("ID3".utf8) + [4, 0, 0x10, 0, 0, 0, 5]
        #expect(ContentSniffer.id3v2Length(withFooter) == 25)
        #expect(ContentSniffer.id3v2Length(Array("ID3".utf8) + [4, 0, 0, 0x80, 0, 0, 0]) == 0)  // not syncsafe
        #expect(ContentSniffer.id3v2Length(Array("RIFF".utf8)) == 0)
    }

    @Test func decodableFormatsHaveTheirContentExtension() {
        #expect(ContainerFormat.oggOpus.fileExtension == "opus")
        #expect(ContainerFormat.flac.fileExtension == "flac")
        #expect(ContainerFormat.webm.isDecodable && !ContainerFormat.webm.isReadableByShardClients)
        #expect(!ContainerFormat.mp4.isDecodable)
        #expect(ContainerFormat.mp3.isDecodable)
    }
}
