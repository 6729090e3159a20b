import Foundation
import VoxgateCorpus
import VoxgatePipeline

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
///
/// Per language, not per release: a language's manifests are read and written again only when its shards changed
/// (a shard added, rewritten or removed). `manifests/<tag>/.shards` (``Stamp``) names the shards, with their sizes
/// and SHA-256, that the language's manifests were written from, and those manifest files; it is written after
/// them, so a run killed in between writes them again, and with each file's SHA-256, so a file changed or deleted
/// outside voxgate is written again too. A night that releases into three languages of three hundred
/// writes three languages' manifests.
///
/// Within a language, a sealed shard is read once: its part of the manifests is kept (``ManifestPart``, in
/// `.voxgate/manifests/<tag>/`) while the shard is unchanged, and the language's files are put together from the
/// parts (``ManifestAssembly``): a night that adds one shard to a language reads that shard, not every one.
enum ReleaseManifests {
    static let folder = "manifests"

    /// How many shards' parts were read from their shards (new or rewritten shards, or parts that had to be made
    /// again) and how many were kept from an earlier run (``ManifestPart``).
    struct PartCounts: Equatable {
        var read = 0
        var kept = 0
    }

    /// Writes the manifests of every language whose shards changed since its manifests were written, from each
    /// shard's part (``ManifestPart``): a shard is read only when its part is not kept yet (a new or rewritten
    /// shard), and what is held is one shard's part at a time per language (``ManifestAssembly``). Each language's
    /// files are its own, so the languages are written on every core; what they wrote is gathered in language order.
    @discardableResult
    static func write(into output: String, shards: [ShardInfo]) async throws(RunError) -> PartCounts {
        let byShardLanguage = Dictionary(grouping: shards, by: \.language)
        let languages = byShardLanguage.keys.sorted()
        let results = await Concurrent.map(languages, chunk: 1) { language throws(RunError) in
            try write(language, shards: byShardLanguage[language]!.sorted { $0.path < $1.path }, into: output)
        }
        var written: Set<String> = []
        var parts: Set<String> = []
        var counts = PartCounts()
        var mixed = false
        for result in results {
            let done = try result.get()
            parts.formUnion(done.parts)
            counts.read += done.counts.read
            counts.kept += done.counts.kept
            // A sample of another language than its shard's (not a shard voxgate wrote): every shard at once.
            if done.mixed {
                mixed = true
                break
            }
            written.formUnion(done.written)
        }
        removeStale(under: output + "/" + ManifestPart.folder, keeping: parts)
        if mixed {
            written = []
            let entries = try ReleaseEntries.read(output: output, shards: shards)
            let byLanguage = Dictionary(grouping: entries, by: \.language)
            for language in byLanguage.keys.sorted() {
                try write(language, byLanguage[language]!, into: output, written: &written)
            }
        }
        removeStale(under: output + "/" + folder, keeping: written)
        return counts
    }

    /// What writing one language's manifests did: the files it wrote or found unchanged, the shards' parts it
    /// keeps, how many parts it read and kept, and whether a shard held a sample of another language (`mixed`:
    /// then nothing after that shard was written).
    struct LanguageWritten: Sendable {
        var written: Set<String> = []
        var parts: Set<String>
        var counts = PartCounts()
        var mixed = false
    }

    /// Writes one language's manifests from its shards' parts (`shards` in path order), unless its stamp says they
    /// are unchanged.
    static func write(_ language: String, shards: [ShardInfo], into output: String) throws(RunError)
        -> LanguageWritten
    {
        var done = LanguageWritten(parts: Set(shards.map { ManifestPart.path(of: $0, in: output) }))
        let stamp = Stamp(language: language, shards: shards)
        if let files = stamp.unchangedFiles(in: output) {
            done.written.formUnion(files.map { output + "/" + $0 })
            done.written.insert(stamp.path(in: output))
            return done
        }
        let assembly = ManifestAssembly(language: language, output: output)
        for shard in shards {
            let part: ManifestPart
            if let kept = ManifestPart.kept(for: shard, in: output) {
                part = kept
                done.counts.kept += 1
            } else {
                part = try ManifestPart.make(for: shard, in: output)
                try part.keep(for: shard, in: output)  // before the files put together from it, and the stamp
                done.counts.read += 1
            }
            guard part.sameLanguage else {
                done.mixed = true
                return done
            }
            try assembly.add(part, shard: shard.path)
        }
        guard !assembly.isEmpty else { return done }
        try assembly.commit()
        try stamp.write(files: assembly.written, in: output)
        done.written.formUnion(assembly.written)
        done.written.insert(stamp.path(in: output))
        return done
    }

    /// Writes one language's manifests from its samples (in shard and member order): for a release whose shards
    /// mix languages (not voxgate's), and the tests' reference for what ``ManifestAssembly`` puts together.
    static func write(
        _ language: String, _ entries: [ReleaseEntry], into output: String, written: inout Set<String>
    ) throws(RunError) {
        func put(_ name: String, _ bytes: [UInt8]) throws(RunError) {
            let path = output + "/" + folder + "/" + name
            try AtomicFile.write(bytes, creatingFolderOf: path)
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
                try put("\(language)/nemo/\(split).json", NeMoManifest.lines(list))
                try put(
                    "\(language)/nemo/\(split).tars", Array((NeMoManifest.tarredAudioFilepaths(shardPaths) + "\n").utf8)
                )
                try put(
                    "\(language)/lhotse/\(language)_recordings_\(split).jsonl.gz",
                    Gzip.stored(LhotseManifest.recordings(list)))
                try put(
                    "\(language)/lhotse/\(language)_supervisions_\(split).jsonl.gz",
                    Gzip.stored(LhotseManifest.supervisions(list)))
            }
            let types = Set(entries.map { String($0.audioMember.split(separator: ".").last ?? "") })
            try put(
                "\(language)/huggingface.json",
                Array(huggingFace(dataFiles: dataFiles, counts: counts, types: types).pretty.utf8))
        }
    }

    /// `huggingface.json`: each split's shards and samples, and whether the webdataset builder can load them (`types`:
    /// the audio members' extensions).
    static func huggingFace(dataFiles: [(String, JSONText)], counts: [(String, JSONText)], types: Set<String>)
        -> JSONText
    {
        // Hugging Face's webdataset builder infers one set of member types (its columns) from the first
        // samples and refuses shards whose first samples differ: a release of uploads as they came (WAV,
        // MP3, Opus… side by side) is not offered to it; one of FLAC is.
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
        return .object(hf)
    }

    /// What a language's manifests were written from: its shards (path, bytes, SHA-256, samples, in path order), under
    /// the manifests' format version, and the files written from them (`manifests/<tag>/.shards`).
    struct Stamp {
        /// Raised whenever what the manifests hold changes, so a new voxgate writes them again.
        static let format = "voxgate-manifests 1"
        static let fileName = ".shards"
        let language: String
        let shardLines: String

        init(language: String, shards: [ShardInfo]) {
            self.language = language
            shardLines = shards.sorted { $0.path < $1.path }
                .map { "\($0.path)\t\($0.bytes)\t\($0.sha256)\t\($0.samples)\n" }.joined()
        }

        func path(in output: String) -> String { output + "/" + folder + "/" + language + "/" + Self.fileName }

        /// The manifest files (relative to `output`) when the stamp on disk names these very shards and every file
        /// it lists is there; nil when the language's manifests must be written again.
        func unchangedFiles(in output: String) -> [String]? {
            guard let text = try? String(contentsOfFile: path(in: output), encoding: .utf8),
                let split = text.range(of: "--\n"), text[..<split.lowerBound] == Self.format + "\n" + shardLines
            else { return nil }
            // Each file as written (its SHA-256): one changed or deleted outside voxgate is written again.
            var files: [String] = []
            for line in text[split.upperBound...].split(separator: "\n") {
                let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
                guard fields.count == 2, FileDigest.sha256(path: output + "/" + fields[0]) == String(fields[1]) else {
                    return nil
                }
                files.append(String(fields[0]))
            }
            return files.isEmpty ? nil : files
        }

        /// Writes the stamp, after the manifest files it lists (absolute paths under `output`), with their SHA-256.
        func write(files: Set<String>, in output: String) throws(RunError) {
            var lines = ""
            for file in files.sorted() {
                guard let digest = FileDigest.sha256(path: file) else {
                    throw RunError(.outputUnusable, "cannot read back the manifest '\(file)' just written", path: file)
                }
                lines += "\(file.dropFirst(output.count + 1))\t\(digest)\n"
            }
            try AtomicFile.write(Self.format + "\n" + shardLines + "--\n" + lines, to: path(in: output))
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
