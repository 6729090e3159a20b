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
            let path = output + "/" + shard.path
            let members = try TarIndex.members(
                of: path, code: .outputUnusable,
                remedy: "the released shard was changed outside voxgate: restore it from a backup")
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw RunError(.outputUnusable, "cannot open shard '\(path)' to write its manifests", path: path)
            }
            defer { try? handle.close() }
            let audio = Dictionary(
                members.filter { !$0.name.hasSuffix(".json") }.map { (TarIndex.key(of: $0.name), $0.name) },
                uniquingKeysWith: { first, _ in first })
            for m in members where m.name.hasSuffix(".json") {
                let key = TarIndex.key(of: m.name)
                let data: Data
                do {
                    try handle.seek(toOffset: UInt64(m.offset))
                    data = try handle.read(upToCount: m.size) ?? Data()
                } catch {
                    throw RunError(.outputUnusable, "cannot read '\(m.name)' in shard '\(path)' (\(error))", path: path)
                }
                guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
                    let member = audio[key]
                else {
                    throw RunError(
                        .outputUnusable,
                        "sample '\(key)' in shard '\(path)' has no audio member or unreadable JSON; "
                            + "the shard was changed outside voxgate: restore it from a backup", path: path)
                }
                guard let split = json["split"] as? String else { continue }
                let int = { (name: String) in (json[name] as? NSNumber)?.intValue }
                entries.append(
                    ReleaseEntry(
                        key: key, shard: shard.path, audioMember: member,
                        language: json["language"] as? String ?? shard.language, split: split,
                        text: json["sentence"] as? String ?? "", speaker: json["speaker"] as? String ?? "",
                        durationSeconds: (json["duration_s"] as? NSNumber)?.doubleValue ?? 0,
                        sampleRate: int("audio_sample_rate") ?? int("sample_rate") ?? 0,
                        channels: int("audio_channels") ?? int("channels") ?? 0,
                        frames: int("audio_frames") ?? int("frames") ?? 0))
            }
        }
        return entries
    }
}
