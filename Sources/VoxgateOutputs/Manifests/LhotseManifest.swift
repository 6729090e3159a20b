import Foundation

/// Lhotse's `recordings` and `supervisions` manifests (`manifests/<tag>/lhotse/<tag>_recordings_<split>.jsonl.gz`
/// and `…_supervisions_…`), as `Recording.to_dict()` and `SupervisionSegment.to_dict()` write them.
///
/// A recording's audio is a member of a shard: its source is of type `command`, `tar -xOf <shard> <member>`
/// (paths relative to the output folder, so Lhotse runs from there), which Lhotse pipes into its audio
/// backend. `num_samples` is the member's frame count and `duration` is `num_samples / sampling_rate`,
/// as Lhotse checks; the supervision's duration is the one voxgate measured, capped at the recording's.
enum LhotseManifest {
    static func recordings(_ entries: [ReleaseEntry]) -> [UInt8] {
        var text: [UInt8] = []
        for e in entries { recording(e, into: &text) }
        return text
    }

    /// Appends one sample's recording line.
    static func recording(_ e: ReleaseEntry, into text: inout [UInt8]) {
        let channels: [JSONText] = (0..<max(e.channels, 1)).map { .int($0) }
        let command = "tar -xOf \(shellQuoted(e.shard)) \(shellQuoted(e.audioMember))"
        JSONText.object([
            ("id", .string(e.key)),
            (
                "sources",
                .array([
                    .object([
                        ("type", .string("command")), ("channels", .array(channels)), ("source", .string(command)),
                    ])
                ])
            ),
            ("sampling_rate", .int(e.sampleRate)),
            ("num_samples", .int(e.frames)),
            ("duration", .double(recordingDuration(e))),
            ("channel_ids", .array(channels)),
        ]).appendLine(to: &text)
    }

    static func supervisions(_ entries: [ReleaseEntry]) -> [UInt8] {
        var text: [UInt8] = []
        for e in entries { supervision(e, into: &text) }
        return text
    }

    /// Appends one sample's supervision line.
    static func supervision(_ e: ReleaseEntry, into text: inout [UInt8]) {
        let channel: JSONText = e.channels > 1 ? .array((0..<e.channels).map { .int($0) }) : .int(0)
        JSONText.object([
            ("id", .string(e.key)),
            ("recording_id", .string(e.key)),
            ("start", .double(0)),
            ("duration", .double(min(e.durationSeconds, recordingDuration(e)))),
            ("channel", channel),
            ("text", .string(e.text)),
            ("language", .string(e.language)),
            ("speaker", .string(e.speaker)),
        ]).appendLine(to: &text)
    }

    static func recordingDuration(_ e: ReleaseEntry) -> Double {
        e.sampleRate > 0 ? Double(e.frames) / Double(e.sampleRate) : 0
    }

    private static func shellQuoted(_ s: String) -> String {
        "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// A gzip file (RFC 1952) of stored deflate blocks (RFC 1951 §3.2.4: no compression), which any gzip
/// reader opens. Written in Swift to keep zlib out of the outputs layer; manifests are small beside the audio.
enum Gzip {
    static func stored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]  // no name, no mtime: the same bytes every run
        var offset = 0
        repeat {
            let n = min(65_535, data.count - offset)
            let last: UInt8 = offset + n == data.count ? 1 : 0
            out.append(last)
            out += [UInt8(n & 0xff), UInt8(n >> 8), UInt8(~n & 0xff), UInt8((~n >> 8) & 0xff)]
            out += data[offset..<offset + n]
            offset += n
        } while offset < data.count
        let crc = crc32(data)
        let size = UInt32(truncatingIfNeeded: data.count)
        for v in [crc, size] {
            out += [UInt8(v & 0xff), UInt8((v >> 8) & 0xff), UInt8((v >> 16) & 0xff), UInt8(v >> 24)]
        }
        return out
    }

    private static let table: [UInt32] = (0..<256).map { i -> UInt32 in
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// CRC-32 of content given in pieces: start from `0xffff_ffff`, pass each piece in turn, and xor the last
    /// result with `0xffff_ffff`.
    static func crc32(continuing c: UInt32, _ data: ArraySlice<UInt8>) -> UInt32 {
        var c = c
        for b in data { c = table[Int((c ^ UInt32(b)) & 0xff)] ^ (c >> 8) }
        return c
    }

    static func crc32(_ data: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xffff_ffff
        for b in data { c = table[Int((c ^ UInt32(b)) & 0xff)] ^ (c >> 8) }
        return c ^ 0xffff_ffff
    }
}
