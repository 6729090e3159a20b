/// Recognises an audio container from its first bytes (magic numbers), never from its name.
///
/// - Complexity: O(1): looks at most at the first ``ContentSniffer/prefixLength`` bytes,
///   plus the length of a leading ID3v2 tag, which the caller reads past.
public enum ContentSniffer {
    /// How many leading bytes ``sniff(_:)`` needs to see.
    public static let prefixLength = 64

    /// The size of a leading ID3v2 tag (header, body and optional footer), or 0 when there is none.
    ///
    /// ID3v2 §3.1: "ID3", version, flags, then a 28-bit syncsafe size.
    public static func id3v2Length(_ bytes: some Collection<UInt8>) -> Int {
        let b = Array(bytes.prefix(10))
        guard b.count == 10, b[0] == 0x49, b[1] == 0x44, b[2] == 0x33,
            b[6] & 0x80 == 0, b[7] & 0x80 == 0, b[8] & 0x80 == 0, b[9] & 0x80 == 0
        else { return 0 }
        let size = Int(b[6]) << 21 | Int(b[7]) << 14 | Int(b[8]) << 7 | Int(b[9])
        let hasFooter = b[5] & 0x10 != 0
        return 10 + size + (hasFooter ? 10 : 0)
    }

    /// Recognises the container of `bytes`, the first bytes of a file after any ID3v2 tag.
    public static func sniff(_ bytes: some Collection<UInt8>) -> ContainerFormat {
        let b = Array(bytes.prefix(prefixLength))
        func at(_ offset: Int, _ ascii: String) -> Bool {
            let magic = Array(ascii.utf8)
            guard b.count >= offset + magic.count else { return false }
            return Array(b[offset..<offset + magic.count]) == magic
        }
        if at(0, "RIFF") && at(8, "WAVE") { return .wav }
        if (at(0, "RF64") || at(0, "BW64")) && at(8, "WAVE") { return .rf64 }
        if at(0, "FORM") && (at(8, "AIFF") || at(8, "AIFC")) { return .aiff }
        if at(0, "fLaC") { return .flac }
        if at(0, "OggS") {
            // RFC 3533: the first page's header is 27 bytes + segment table; the first packet follows.
            guard b.count > 27 else { return .unknown }
            let packet = 27 + Int(b[26])
            if at(packet, "\u{01}vorbis") { return .oggVorbis }
            if at(packet, "OpusHead") { return .oggOpus }
            if at(packet, "\u{7F}FLAC") { return .oggFLAC }
            return .unknown
        }
        if b.count >= 4, b[0] == 0x1A, b[1] == 0x45, b[2] == 0xDF, b[3] == 0xA3 { return .webm }
        if at(4, "ftyp") { return .mp4 }
        if isMPEGAudioLayer3Header(b) { return .mp3 }
        return .unknown
    }

    /// What non-audio content looks like, in words ("a PDF document", "text", "binary data"), for a
    /// rejection's detail. Never the bytes themselves: an upload may be a key or a password file.
    public static func describe(_ bytes: some Collection<UInt8>) -> String {
        let b = Array(bytes.prefix(prefixLength))
        func starts(_ magic: [UInt8]) -> Bool { b.count >= magic.count && Array(b[0..<magic.count]) == magic }
        let known: [([UInt8], String)] = [
            (Array("%PDF".utf8), "a PDF document"),
            ([0x50, 0x4B, 0x03, 0x04], "a ZIP archive (or an Office document)"),
            ([0x89, 0x50, 0x4E, 0x47], "a PNG image"), ([0xFF, 0xD8, 0xFF], "a JPEG image"),
            (Array("GIF8".utf8), "a GIF image"), ([0x7F, 0x45, 0x4C, 0x46], "an executable (ELF)"),
            ([0x1F, 0x8B], "gzip-compressed data"), (Array("SQLite format 3".utf8), "an SQLite database"),
            (Array("-----BEGIN".utf8), "a PEM key or certificate"),
            (Array("ID3".utf8), "an ID3 tag with no audio after it"),
        ]
        if let (_, name) = known.first(where: { starts($0.0) }) { return name }
        if b.isEmpty { return "nothing (no bytes after its header)" }
        // Text: valid UTF-8 (a sequence cut at the end of the prefix aside) without control characters.
        var text = b
        for _ in 0..<3 where text.last.map({ $0 >= 0x80 }) == true { text.removeLast() }
        if let s = String(validating: text, as: UTF8.self),
            s.unicodeScalars.allSatisfy({ $0.value >= 0x20 || $0 == "\n" || $0 == "\r" || $0 == "\t" })
        {
            let first = s.unicodeScalars.first(where: { !$0.properties.isWhitespace })
            if first == "{" || first == "[" { return "JSON or other text" }
            if first == "<" { return "an HTML or XML document" }
            return "text"
        }
        return "binary data of no known type"
    }

    /// Whether `b` starts with a plausible MPEG audio Layer III frame header (ISO/IEC 11172-3 §2.4.2.3).
    static func isMPEGAudioLayer3Header(_ b: [UInt8]) -> Bool {
        guard b.count >= 4, b[0] == 0xFF, b[1] & 0xE0 == 0xE0 else { return false }
        let version = (b[1] >> 3) & 0x03  // 01 is reserved
        let layer = (b[1] >> 1) & 0x03  // 01 = Layer III
        let bitrate = b[2] >> 4  // 1111 is invalid
        let rate = (b[2] >> 2) & 0x03  // 11 is reserved
        return version != 0x01 && layer == 0x01 && bitrate != 0x0F && rate != 0x03
    }
}
