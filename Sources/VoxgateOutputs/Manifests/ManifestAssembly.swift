import Foundation
import VoxgateCorpus

/// One language's manifest files put together from its shards' parts (``ManifestPart``), one part at a time, in
/// shard (path) order: each split's NeMo, recordings and supervisions files are appended to as the parts come, so
/// what is held is one shard's part, not the language's samples. The bytes equal those written from all the
/// language's samples at once (``ReleaseManifests``): entries grouped by split, in shard and member order.
final class ManifestAssembly {
    private final class SplitFiles {
        let nemo: AtomicFile
        let recordings: GzipStoredFile
        let supervisions: GzipStoredFile
        var shards: [String] = []
        var samples = 0

        init(nemo: AtomicFile, recordings: GzipStoredFile, supervisions: GzipStoredFile) {
            self.nemo = nemo
            self.recordings = recordings
            self.supervisions = supervisions
        }
    }

    let language: String
    let output: String
    private var splits: [String: SplitFiles] = [:]
    private var types: Set<String> = []
    /// Every file written, absolute (once ``commit()`` returned).
    private(set) var written: Set<String> = []

    init(language: String, output: String) {
        self.language = language
        self.output = output
    }

    /// Whether no part added so far had a sample in a split (then no file is written).
    var isEmpty: Bool { splits.isEmpty }

    private func path(_ name: String) throws(RunError) -> String {
        let path = output + "/" + ReleaseManifests.folder + "/" + language + "/" + name
        try AtomicFile.createFolder(of: path)
        return path
    }

    /// Appends the shard's samples of each split (shards must come in path order).
    func add(_ part: ManifestPart, shard: String) throws(RunError) {
        types.formUnion(part.types)
        for split in part.splits {
            let files: SplitFiles
            if let open = splits[split.name] {
                files = open
            } else {
                let nemo = try AtomicFile(path: path("nemo/\(split.name).json"))
                let recordings = try GzipStoredFile(path: path("lhotse/\(language)_recordings_\(split.name).jsonl.gz"))
                let supervisions = try GzipStoredFile(
                    path: path("lhotse/\(language)_supervisions_\(split.name).jsonl.gz"))
                files = SplitFiles(nemo: nemo, recordings: recordings, supervisions: supervisions)
                splits[split.name] = files
            }
            try files.nemo.write(Array(part.bytes[split.nemo]))
            try files.recordings.append(part.bytes[split.recordings])
            try files.supervisions.append(part.bytes[split.supervisions])
            files.shards.append(shard)
            files.samples += split.samples
        }
    }

    /// Writes the `.tars` files and `huggingface.json` and puts every file in place.
    func commit() throws(RunError) {
        var dataFiles: [(String, JSONText)] = []
        var counts: [(String, JSONText)] = []
        for name in splits.keys.sorted() {
            let files = splits[name]!
            dataFiles.append((name, .array(files.shards.map { .string($0) })))
            counts.append((name, .int(files.samples)))
            let nemo = files.nemo
            try nemo.commit()
            written.insert(nemo.path)
            written.insert(try files.recordings.commit())
            written.insert(try files.supervisions.commit())
            let tars = try path("nemo/\(name).tars")
            try AtomicFile.write(NeMoManifest.tarredAudioFilepaths(files.shards) + "\n", to: tars)
            written.insert(tars)
        }
        let hf = try path("huggingface.json")
        try AtomicFile.write(
            ReleaseManifests.huggingFace(dataFiles: dataFiles, counts: counts, types: types).pretty, to: hf)
        written.insert(hf)
    }
}

/// A gzip file of stored blocks written as its content comes, the same bytes as ``Gzip/stored(_:)`` of the whole
/// content: full blocks of 65,535 bytes, the last one (possibly short, or empty for no content) marked last.
final class GzipStoredFile {
    private let file: AtomicFile
    private var pending: [UInt8] = []
    private var crc: UInt32 = 0xffff_ffff
    private var size = 0

    init(path: String) throws(RunError) {
        file = try AtomicFile(path: path)
        try file.write([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff])
    }

    func append(_ bytes: ArraySlice<UInt8>) throws(RunError) {
        crc = Gzip.crc32(continuing: crc, bytes)
        size += bytes.count
        pending += bytes
        guard pending.count > 65_535 else { return }
        var offset = 0
        while pending.count - offset > 65_535 {  // a block is known not to be the last only when more follows
            try block(pending[offset..<offset + 65_535], last: false)
            offset += 65_535
        }
        pending.removeFirst(offset)
    }

    private func block(_ data: ArraySlice<UInt8>, last: Bool) throws(RunError) {
        let n = data.count
        try file.write([last ? 1 : 0, UInt8(n & 0xff), UInt8(n >> 8), UInt8(~n & 0xff), UInt8((~n >> 8) & 0xff)])
        try file.write(Array(data))
    }

    /// Writes the last block and the trailer and puts the file in place; returns its path.
    func commit() throws(RunError) -> String {
        try block(pending[...], last: true)
        var trailer: [UInt8] = []
        for v in [crc ^ 0xffff_ffff, UInt32(truncatingIfNeeded: size)] {
            trailer += [UInt8(v & 0xff), UInt8((v >> 8) & 0xff), UInt8((v >> 16) & 0xff), UInt8(v >> 24)]
        }
        try file.write(trailer)
        try file.commit()
        return file.path
    }
}
