import Foundation
import VoxgateCorpus
import VoxgatePipeline

/// One finished shard, for the run's summary and manifest.
public struct ShardInfo: Sendable, Hashable {
    /// Path relative to the output folder, e.g. `shards/en/en-CC0-1.0-000000.tar`.
    public var path: String
    public var language: String
    /// The licence of every sample in it.
    public var license: String
    /// The terms group (``TermsRecords/label(_:)``); its terms are in `shards/<tag>/<tag>-<terms>.terms.json`.
    public var terms: String
    public var samples: Int
    public var bytes: Int
    /// SHA-256 of the shard file, lowercase hex.
    public var sha256: String = ""
}

/// Writes a run's new WebDataset shards: one open tar per (language, terms of use), sealed when it would
/// exceed `maxBytes` or reaches `maxSamples`. Shards never mix languages or terms, each terms group has its
/// `terms.json` beside its shards, and a reader never sees a partial shard: sealed shards stay `.partial`
/// until the run's ledger commit, which owes their renames (``AtomicFile/seal()``). Numbering continues
/// after the shards earlier runs released, which are never appended to.
final class ShardWriter {
    struct Stream: Hashable {
        var language: String
        var terms: Terms
        var label: String { TermsRecords.label(terms) }
    }

    private final class OpenShard {
        let file: AtomicFile
        let info: ShardInfo
        var samples = 0
        init(file: AtomicFile, info: ShardInfo) {
            self.file = file
            self.info = info
        }
    }

    private let outputRoot: String
    private let maxBytes: Int
    private let maxSamples: Int
    private var open: [Stream: OpenShard] = [:]
    private var nextIndex: [Stream: Int] = [:]
    private(set) var finished: [ShardInfo] = []

    /// - Parameter released: the paths of shards earlier runs released (numbering continues after them).
    init(outputRoot: String, maxBytes: Int, maxSamples: Int, released: [String] = []) {
        self.outputRoot = outputRoot
        self.maxBytes = maxBytes
        self.maxSamples = maxSamples
        for path in released {  // shards/<tag>/<tag>-<terms>-NNNNNN.tar
            let name = (path as NSString).lastPathComponent
            guard name.hasSuffix(".tar"), let number = Int(name.dropLast(4).suffix(6)) else { continue }
            let group = String(name.dropLast(4 + 7))
            releasedIndex[group] = max(releasedIndex[group] ?? 0, number + 1)
        }
    }

    private var releasedIndex: [String: Int] = [:]  // "<tag>-<terms>" → next free number
    /// The `terms.json` files this writer sealed (renamed with its shards).
    private(set) var sealedTermsFiles: [String] = []

    /// Adds one sample: its members (`<key>.<ext>` names and bytes) go into the stream's current shard.
    /// A member copied from a file is hashed as it is copied and must match `sha256` (the hash recorded for
    /// it when it was analysed or first sharded): an upload changed since, or a partition's member damaged
    /// in transit, is never published. An upload still in memory (``ShardAudio/Content/upload(_:)``) is written
    /// as analysed: its hash was taken over those bytes.
    func add(language: String, terms: Terms, members: [(name: String, data: ShardAudio.Content, sha256: String?)])
        throws(RunError)
    {
        let stream = Stream(language: language, terms: terms)
        let size = members.reduce(0) { $0 + Tar.memberSize($1.data.size) }
        if let shard = open[stream], shard.samples > 0,
            shard.file.bytesWritten + size + Tar.trailer.count > maxBytes || shard.samples >= maxSamples
        {
            try close(stream)
        }
        let shard: OpenShard
        if let current = open[stream] { shard = current } else { shard = try start(stream) }
        for member in members {
            try shard.file.write(Tar.header(name: member.name, size: member.data.size))
            switch member.data {
            case .bytes(let bytes): try shard.file.write(bytes)
            case .upload(let upload):  // the bytes analysed: `sha256` was taken over them (UploadBytes)
                try upload.withBytes { bytes throws(RunError) in try shard.file.write(bytes) }
            case .file(let path, let size):
                let got = try shard.file.copy(from: path, size: size, hashing: member.sha256 != nil)
                if let want = member.sha256, got != want {
                    throw RunError(
                        .inputDamaged,
                        "'\(path)' changed after voxgate analysed it (SHA-256 \(got), analysed \(want)); nothing was "
                            + "published: rerun when uploads are complete", path: path)
                }
            case .fileRange(let path, let offset, let size):
                let got = try shard.file.copy(from: path, offset: offset, size: size, hashing: member.sha256 != nil)
                if let want = member.sha256, got != want {
                    throw RunError(
                        .inputDamaged,
                        "shard '\(path)' member '\(member.name)' does not match the SHA-256 recorded for it when it was "
                            + "written (\(want), now \(got)); nothing was published: copy that partition folder again "
                            + "or rerun that partition", path: path)
                }
            }
            try shard.file.write(Tar.padding(member.data.size))
        }
        shard.samples += 1
    }

    /// Adds one sample whose members carry no recorded hash (bytes made here).
    func add(language: String, terms: Terms, members: [(name: String, data: ShardAudio.Content)]) throws(RunError) {
        try add(language: language, terms: terms, members: members.map { ($0.name, $0.data, nil) })
    }

    /// The path (relative to the output folder) of the shard the stream's last sample went into.
    func currentShardPath(language: String, terms: Terms) -> String {
        open[Stream(language: language, terms: terms)]?.info.path ?? ""
    }

    /// Closes every open shard (in a stable order) and returns all shards written.
    func finish() throws(RunError) -> [ShardInfo] {
        for stream in open.keys.sorted(by: { ($0.language, $0.label) < ($1.language, $1.label) }) {
            try close(stream)
        }
        return finished.sorted { $0.path < $1.path }
    }

    /// Deletes the shards this writer sealed: for a run that failed or was interrupted.
    func removeSealed() {
        for shard in finished { unlink(outputRoot + "/" + shard.path + AtomicFile.partialSuffix) }
        for file in sealedTermsFiles { unlink(outputRoot + "/" + file + AtomicFile.partialSuffix) }
        finished.removeAll()
        sealedTermsFiles.removeAll()
    }

    private func start(_ stream: Stream) throws(RunError) -> OpenShard {
        let label = stream.label
        let firstInRun = nextIndex[stream] == nil
        let tagName = TagFileName.of(stream.language)
        let index = nextIndex[stream] ?? releasedIndex["\(tagName)-\(label)", default: 0]
        nextIndex[stream] = index + 1
        let dir = "shards/\(tagName)"
        do {
            try FileManager.default.createDirectory(atPath: outputRoot + "/" + dir, withIntermediateDirectories: true)
        } catch {
            throw RunError(
                .outputUnusable, "cannot create '\(outputRoot)/\(dir)' (\(error.localizedDescription))", path: dir)
        }
        let name = "\(dir)/\(tagName)-\(label)-\(String(format: "%06d", index)).tar"
        if firstInRun {  // the group's first shard in this run: its terms beside it (the same text every time)
            let terms = "\(dir)/\(tagName)-\(label).terms.json"
            let file = try AtomicFile(path: outputRoot + "/" + terms)
            try file.write(TermsRecords.json(stream.terms).pretty)
            try file.seal()
            sealedTermsFiles.append(terms)
        }
        let shard = OpenShard(
            file: try AtomicFile(path: outputRoot + "/" + name, hashing: true),
            info: ShardInfo(
                path: name, language: stream.language, license: stream.terms.license ?? "", terms: label, samples: 0,
                bytes: 0))
        open[stream] = shard
        return shard
    }

    private func close(_ stream: Stream) throws(RunError) {
        guard let shard = open.removeValue(forKey: stream) else { return }
        try shard.file.write(Tar.trailer)
        try shard.file.seal()
        var info = shard.info
        info.samples = shard.samples
        info.bytes = shard.file.bytesWritten
        info.sha256 = shard.file.sha256()
        finished.append(info)
    }
}
