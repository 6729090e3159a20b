import Foundation
import VoxgateCorpus

/// `<out>/manifests/<tag>/`: the manifests the speech toolkits load, per language and split, written with
/// every release from the shards as released (so a withdrawal's removals reach them too):
///
/// - `huggingface.json`: the `data_files` of each split for `load_dataset("webdataset", …)`;
/// - `nemo/<split>.json` and `nemo/<split>.tars`: NeMo's tarred-dataset manifest and its
///   `tarred_audio_filepaths` (``NeMoManifest``);
/// - `lhotse/<tag>_recordings_<split>.jsonl.gz` and `lhotse/<tag>_supervisions_<split>.jsonl.gz` (``LhotseManifest``).
///
/// Shards hold the samples of every split of their language; each split's manifests list only its own.
/// Paths are relative to the output folder. Files of languages or splits no longer released are removed.
enum ReleaseManifests {
    static let folder = "manifests"

    /// Writes every language's manifests, reading one language's shards at a time: what is held is one language's
    /// samples, not every released sample.
    static func write(into output: String, shards: [ShardInfo]) throws(RunError) {
        var written: Set<String> = []
        let byShardLanguage = Dictionary(grouping: shards, by: \.language)
        var mixed = false
        for language in byShardLanguage.keys.sorted() {
            let entries = try ReleaseEntries.read(output: output, shards: byShardLanguage[language]!)
            // A sample of another language than its shard's (not a shard voxgate wrote): every shard at once.
            guard entries.allSatisfy({ $0.language == language }) else {
                mixed = true
                break
            }
            if !entries.isEmpty { try write(language, entries, into: output, written: &written) }
        }
        if mixed {
            written = []
            let entries = try ReleaseEntries.read(output: output, shards: shards)
            let byLanguage = Dictionary(grouping: entries, by: \.language)
            for language in byLanguage.keys.sorted() {
                try write(language, byLanguage[language]!, into: output, written: &written)
            }
        }
        removeStale(under: output + "/" + folder, keeping: written)
    }

    /// Writes one language's manifests from its samples (in shard and member order).
    private static func write(
        _ language: String, _ entries: [ReleaseEntry], into output: String, written: inout Set<String>
    ) throws(RunError) {
        func put(_ name: String, _ bytes: [UInt8]) throws(RunError) {
            let path = output + "/" + folder + "/" + name
            do {
                try FileManager.default.createDirectory(
                    atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            } catch {
                throw RunError(.outputUnusable, "cannot create the folder of '\(path)' (\(error))", path: path)
            }
            let file = try AtomicFile(path: path)
            try file.write(bytes)
            try file.commit()
            written.insert(path)
        }
        do {
            let bySplit = Dictionary(grouping: entries, by: \.split)
            var dataFiles: [(String, JSONText)] = []
            var counts: [(String, JSONText)] = []
            for split in bySplit.keys.sorted() {
                let list = bySplit[split]!
                let shardPaths = Array(Set(list.map(\.shard))).sorted()
                dataFiles.append((split, .array(shardPaths.map { .string($0) })))
                counts.append((split, .int(list.count)))
                try put("\(language)/nemo/\(split).json", Array(NeMoManifest.lines(list).utf8))
                try put(
                    "\(language)/nemo/\(split).tars", Array((NeMoManifest.tarredAudioFilepaths(shardPaths) + "\n").utf8)
                )
                try put(
                    "\(language)/lhotse/\(language)_recordings_\(split).jsonl.gz",
                    Gzip.stored(Array(LhotseManifest.recordings(list).utf8)))
                try put(
                    "\(language)/lhotse/\(language)_supervisions_\(split).jsonl.gz",
                    Gzip.stored(Array(LhotseManifest.supervisions(list).utf8)))
            }
            // Hugging Face's webdataset builder infers one set of member types (its columns) from the first
            // samples and refuses shards whose first samples differ: a release of uploads as they came (WAV,
            // MP3, Opus… side by side) is not offered to it; one of FLAC is.
            let types = Set(entries.map { String($0.audioMember.split(separator: ".").last ?? "") })
            var hf: [(String, JSONText)] = [
                ("builder", .string("webdataset")),
                ("data_files", .object(dataFiles)),
                ("split_field", .string("json.split")),
                ("samples", .object(counts)),
                ("loadable", .bool(types.count == 1)),
            ]
            if types.count > 1 {
                hf.append(
                    (
                        "why_not",
                        .string(
                            "the shards mix audio types (\(types.sorted().joined(separator: ", "))) and the webdataset "
                                + "builder expects one; release with shards.audio: flac")
                    ))
            }
            try put("\(language)/huggingface.json", Array(JSONText.object(hf).pretty.utf8))
        }
    }

    /// Deletes the manifests of languages and splits this release no longer has.
    private static func removeStale(under root: String, keeping: Set<String>) {
        guard let names = FileManager.default.enumerator(atPath: root) else { return }
        var stale: [String] = []
        for case let name as String in names {
            let path = root + "/" + name
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                !keeping.contains(path)
            {
                stale.append(path)
            }
        }
        for path in stale { unlink(path) }
    }
}
