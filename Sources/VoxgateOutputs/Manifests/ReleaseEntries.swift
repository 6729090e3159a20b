import Foundation
import VoxgateCorpus

/// One released sample as the manifests describe it, read back from the release's shards (their index of
/// members and each sample's `<key>.json`), so the manifests list exactly what the shards hold: a withdrawn
/// or removed sample, gone from its shard, is gone from every manifest.
struct ReleaseEntry {
    var key: String
    /// The shard, relative to the output folder (`shards/<tag>/<tag>-<terms>-NNNNNN.tar`).
    var shard: String
    /// The audio member's name inside the shard (`<key>.<ext>`).
    var audioMember: String
    var language: String
    var split: String
    var text: String
    var speaker: String
    /// The duration voxgate measured on the decoded upload.
    var durationSeconds: Double
    /// The audio member's own rate, channels and frames (uniform audio's, when resampled or downmixed).
    var sampleRate: Int
    var channels: Int
    var frames: Int
}

enum ReleaseEntries {
    /// Every sample of `shards` that belongs to a split (a sample whose sentence sits in another split,
    /// `split: null`, is in no split's manifest), in shard and member order.
    static func read(output: String, shards: [ShardInfo]) throws(RunError) -> [ReleaseEntry] {
        var entries: [ReleaseEntry] = []
        for shard in shards.sorted(by: { $0.path < $1.path }) {
            try forEach(in: shard, output: output) { entries.append($0) }
        }
        return entries
    }

    /// Calls `body` with each sample of `shard` that belongs to a split, in member order, holding one at a time.
    static func forEach(in shard: ShardInfo, output: String, _ body: (ReleaseEntry) -> Void) throws(RunError) {
        let path = output + "/" + shard.path
        let members = try TarIndex.members(
            of: path, code: .outputUnusable,
            remedy: "the released shard was changed outside voxgate: restore it from a backup")
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw RunError(.outputUnusable, "cannot open shard '\(path)' to write its manifests", path: path)
        }
        defer { close(fd) }
        let audio = Dictionary(
            members.filter { !$0.name.hasSuffix(".json") }.map { (TarIndex.key(of: $0.name), $0.name) },
            uniquingKeysWith: { first, _ in first })
        var buffer: [UInt8] = []  // one for the shard's members, grown to the largest
        for m in members where m.name.hasSuffix(".json") {
            let key = TarIndex.key(of: m.name)
            if buffer.count < m.size { buffer = [UInt8](repeating: 0, count: m.size) }
            let read = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, m.size, off_t(m.offset)) }
            guard read == m.size else {
                throw RunError(
                    .outputUnusable,
                    "cannot read '\(m.name)' in shard '\(path)' (\(String(cString: strerror(errno))))",
                    path: path)
            }
            // The sample JSON voxgate wrote, read strictly (a key given twice is a shard changed outside voxgate).
            guard case .object(let json)? = try? StrictJSON.parse(buffer[..<m.size]), let member = audio[key] else {
                throw RunError(
                    .outputUnusable,
                    "sample '\(key)' in shard '\(path)' has no audio member or unreadable JSON; "
                        + "the shard was changed outside voxgate: restore it from a backup", path: path)
            }
            guard case .string(let split)? = json["split"] else { continue }
            func string(_ name: String) -> String? {
                if case .string(let s)? = json[name] { return s }
                return nil
            }
            func number(_ name: String) -> Double? {
                if case .number(let x)? = json[name] { return x }
                return nil
            }
            func int(_ name: String) -> Int? {
                number(name).flatMap { $0.isFinite && abs($0) < 9e18 ? Int($0) : nil }
            }
            body(
                ReleaseEntry(
                    key: key, shard: shard.path, audioMember: member,
                    language: string("language") ?? shard.language,
                    split: split, text: string("sentence") ?? "", speaker: string("speaker") ?? "",
                    durationSeconds: number("duration_s") ?? 0,
                    sampleRate: int("audio_sample_rate") ?? int("sample_rate") ?? 0,
                    channels: int("audio_channels") ?? int("channels") ?? 0,
                    frames: int("audio_frames") ?? int("frames") ?? 0))
        }
    }
}
