import Foundation

/// Where a RIFF/WAVE file's `data` chunk says its samples end, compared with the file's real size.
///
/// libsndfile quietly shortens a `data` chunk that runs past the end of the file; voxgate must reject
/// such an upload as truncated instead, so it reads the chunk table itself (RIFF: EBU Tech 3306 / Microsoft
/// Multimedia Standards Update 1994). Streamed WAVs whose sizes were never filled in (`0` or
/// `0xFFFFFFFF`) have no declared length and are not judged.
struct RIFFLayout {
    /// Bytes the `data` chunk declares.
    var declaredDataBytes: Int
    /// Bytes of `data` actually present in the file.
    var presentDataBytes: Int
    /// Bytes per frame (`nBlockAlign` of the `fmt ` chunk).
    var blockAlign: Int

    var isTruncated: Bool { presentDataBytes < declaredDataBytes }

    /// Walks the chunk headers of a RIFF/WAVE file (never its samples). nil when the layout is not
    /// a plain RIFF with `fmt ` and a sized `data` chunk.
    static func read(path: String) -> RIFFLayout? {
        guard let file = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? file.close() }
        guard let fileSize = try? Int(file.seekToEnd()), (try? file.seek(toOffset: 12)) != nil else { return nil }
        var offset = 12
        var blockAlign: Int?
        while offset + 8 <= fileSize {
            guard (try? file.seek(toOffset: UInt64(offset))) != nil,
                let header = try? file.read(upToCount: 8), header.count == 8
            else { return nil }
            let id = String(decoding: header.prefix(4), as: UTF8.self)
            let size = header.dropFirst(4).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            if id == "fmt " {
                guard let fmt = try? file.read(upToCount: 16), fmt.count == 16 else { return nil }
                blockAlign = Int(fmt[fmt.startIndex + 12]) | Int(fmt[fmt.startIndex + 13]) << 8
            }
            if id == "data" {
                guard let blockAlign, blockAlign > 0, size != 0, size != 0xFFFF_FFFF else { return nil }
                return RIFFLayout(
                    declaredDataBytes: size, presentDataBytes: min(size, fileSize - offset - 8), blockAlign: blockAlign)
            }
            offset += 8 + size + (size & 1)  // chunks are padded to even sizes
        }
        return nil
    }
}
