import Foundation

/// What a compressed stream's own headers say about where it should end, for formats whose decoders
/// (libsndfile's mpg123 and Ogg readers) quietly stop at the end of a cut file: an MP3's Xing/Info frame
/// count, and an Ogg stream's end-of-stream page.
enum StreamEnd {
    /// The PCM frames an MP3's Xing/Info header declares (its MPEG frames × samples per frame), or nil
    /// when the stream has no such header or it gives no frame count.
    static func mp3DeclaredFrames(path: String) -> (frames: Int, samplesPerFrame: Int)? {
        guard let fd = try? RegularFile.open(path) else { return nil }
        let file = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        guard var head = try? file.read(upToCount: 16), !head.isEmpty else { return nil }
        let tag = ContentSniffer.id3v2Length(head)
        guard (try? file.seek(toOffset: UInt64(tag))) != nil, let frame = try? file.read(upToCount: 256) else {
            return nil
        }
        head = frame
        let b = Array(head)
        guard b.count >= 4, ContentSniffer.isMPEGAudioLayer3Header(b) else { return nil }
        let mpeg1 = (b[1] >> 3) & 0x03 == 0x03
        let mono = (b[3] >> 6) & 0x03 == 0x03
        let sideInfo = mpeg1 ? (mono ? 17 : 32) : (mono ? 9 : 17)
        let at = 4 + sideInfo
        guard b.count >= at + 12 else { return nil }
        let magic = String(decoding: b[at..<at + 4], as: UTF8.self)
        guard magic == "Xing" || magic == "Info" else { return nil }
        func u32(_ o: Int) -> Int { Int(b[o]) << 24 | Int(b[o + 1]) << 16 | Int(b[o + 2]) << 8 | Int(b[o + 3]) }
        guard u32(at + 4) & 0x01 != 0 else { return nil }
        let frames = u32(at + 8)
        let samplesPerFrame = mpeg1 ? 1152 : 576
        guard frames > 0, frames < Int(Int32.max) / samplesPerFrame else { return nil }
        return (frames * samplesPerFrame, samplesPerFrame)
    }

    /// Whether the Ogg stream ends where it should: its last page has the end-of-stream flag (RFC 3533 §6,
    /// header_type 0x04), or, without the flag, that page is complete and ends the file; false for a file cut
    /// inside its last page; nil when no page header is found near the end.
    static func oggEndsWithEndOfStream(path: String) -> Bool? {
        guard let fd = try? RegularFile.open(path) else { return nil }
        let file = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        guard let size = try? Int(file.seekToEnd()) else { return nil }
        // A page is at most 27 + 255 + 255 × 255 bytes: the last page starts within that of the end.
        let window = min(size, 27 + 255 + 255 * 255)
        guard (try? file.seek(toOffset: UInt64(size - window))) != nil, let tail = try? file.read(upToCount: window)
        else { return nil }
        let b = Array(tail)
        var i = b.count - 27
        while i >= 0 {
            if b[i] == 0x4F, b[i + 1] == 0x67, b[i + 2] == 0x67, b[i + 3] == 0x53, b[i + 4] == 0 {
                // A page whose header and segment table fit: its flags are byte 5.
                let segments = Int(b[i + 26])
                if i + 27 + segments <= b.count {
                    if b[i + 5] & 0x04 != 0 { return true }
                    // No end-of-stream flag. Some encoders never set it on a complete file (Debian's klettres
                    // recordings): the stream counts as cut only when this last page is itself cut short.
                    let body = b[(i + 27)..<(i + 27 + segments)].reduce(0) { $0 + Int($1) }
                    return i + 27 + segments + body == b.count
                }
            }
            i -= 1
        }
        return nil
    }
}
