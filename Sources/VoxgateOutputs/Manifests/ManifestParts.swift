import Crypto
import Foundation
import VoxgateCorpus

/// One released shard's part of its language's manifests, kept so a sealed shard is read once, not every run
/// (`<out>/.voxgate/manifests/<tag>/<shard file name>.manifests`): per split, the shard's NeMo lines, Lhotse recording and
/// supervision lines and its sample count, and the audio member types of its split samples. A language's manifests
/// are these parts put together in shard (path) order (``ManifestAssembly``), the same bytes as from its shards.
///
/// A part is a cache, never trusted blindly: it is used only when it names the very shard (path, language, bytes,
/// SHA-256 as the ledger records it), holds this format and its own SHA-256 still matches its content; otherwise (a
/// shard rewritten by a withdrawal, a part missing, edited or unreadable) the shard is read again and its part
/// written again. Parts live beside the ledger, not in the release: they are the operator's state, not published.
///
/// The file: `<format>\t<SHA-256 of the rest>\n`, a JSON line naming the shard (`shard`, `language`, `bytes`,
/// `sha256`), whether every sample is of the shard's language (`same_language`) and the audio `types`, then per
/// split (in name order) a JSON line `{"split", "samples": N}` followed by N NeMo lines, N recording lines and N
/// supervision lines.
struct ManifestPart {
    /// Raised whenever what a part holds changes, so a new voxgate reads every shard again.
    static let format = "voxgate-manifest-part 1"
    static let folder = ".voxgate/manifests"
    /// After the shard's file name (`en-CC0-1.0-000000.tar.manifests`): a part is no tar.
    static let suffix = ".manifests"

    struct Split {
        var name: String
        var samples: Int
        /// Byte ranges of `bytes`: the NeMo lines, the recordings' lines and the supervisions' lines.
        var nemo: Range<Int>
        var recordings: Range<Int>
        var supervisions: Range<Int>
    }

    let bytes: [UInt8]
    var splits: [Split] = []
    var types: Set<String> = []
    /// Every sample's language is its shard's (else the language's manifests are written from every shard at once).
    var sameLanguage = true

    /// Where `shard`'s part is kept.
    static func path(of shard: ShardInfo, in output: String) -> String {
        output + "/" + folder + "/" + shard.language + "/" + (shard.path as NSString).lastPathComponent + suffix
    }

    /// Whether a part can be keyed to the shard: the ledger knows its SHA-256.
    static func isKeyable(_ shard: ShardInfo) -> Bool { shard.sha256.utf8.count == 64 }

    /// The shard's part as kept, when it names this very shard and is intact; nil when it must be made again.
    static func kept(for shard: ShardInfo, in output: String) -> ManifestPart? {
        guard isKeyable(shard), let bytes = contents(of: path(of: shard, in: output)) else { return nil }
        return ManifestPart(parsing: bytes, for: shard)
    }

    /// A kept part's bytes, read into one array (a part is as large as its shard's manifests: no second copy);
    /// nil when it is not a regular file or cannot be read whole.
    private static func contents(of path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return nil }
        let size = Int(st.st_size)
        var whole = true
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            while count < size {
                let n = pread(fd, buffer.baseAddress! + count, size - count, off_t(count))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { break }
                count += n
            }
            whole = count == size
        }
        return whole ? bytes : nil
    }

    /// One split's sections of a part, rendered as its samples are read.
    private struct Sections {
        var samples = 0
        var nemo: [UInt8] = []
        var recordings: [UInt8] = []
        var supervisions: [UInt8] = []

        mutating func append(_ e: ReleaseEntry) {
            samples += 1
            NeMoManifest.line(e, into: &nemo)
            LhotseManifest.recording(e, into: &recordings)
            LhotseManifest.supervision(e, into: &supervisions)
        }
    }

    /// Reads the shard's samples and renders its part (``ReleaseEntries``, ``NeMoManifest``, ``LhotseManifest``).
    /// One sample is held at a time, and the part's text once in its sections and once whole. Holding the samples
    /// and every piece of the text together (4-5 copies) made the end of a 50,000-clip first run its peak: two
    /// shards of 6,250 samples in flight raised its RSS by up to 20 MB.
    static func make(for shard: ShardInfo, in output: String) throws(RunError) -> ManifestPart {
        var sections: [String: Sections] = [:]  // each split's samples stay in member order
        var types: Set<String> = []
        var sameLanguage = true
        try ReleaseEntries.forEach(in: shard, output: output) { e in
            types.insert(String(e.audioMember.split(separator: ".").last ?? ""))
            if e.language != shard.language { sameLanguage = false }
            sections[e.split, default: Sections()].append(e)
        }
        let head: JSONText = .object([
            ("shard", .string(shard.path)), ("language", .string(shard.language)), ("bytes", .int(shard.bytes)),
            ("sha256", .string(shard.sha256)), ("same_language", .bool(sameLanguage)),
            ("types", .array(types.sorted().map { .string($0) })),
        ])
        // The part's pieces in order (the arrays share the sections' buffers: nothing is copied yet).
        var headLine: [UInt8] = []
        head.appendLine(to: &headLine)
        var pieces = [headLine]
        for name in sections.keys.sorted() {
            let split = sections[name]!
            var line: [UInt8] = []
            JSONText.object([("split", .string(name)), ("samples", .int(split.samples))]).appendLine(to: &line)
            pieces += [line, split.nemo, split.recordings, split.supervisions]
        }
        sections = [:]
        var hasher = SHA256()
        for piece in pieces { hasher.update(data: piece) }
        var bytes = Array("\(format)\t\(hasher.finalize().hexLowercased)\n".utf8)
        bytes.reserveCapacity(bytes.count + pieces.reduce(0) { $0 + $1.count })
        for i in pieces.indices {
            bytes += pieces[i]
            pieces[i] = []  // each piece given back once copied
        }
        guard let part = ManifestPart(parsing: bytes, for: shard) else {
            throw RunError(
                .outputUnusable, "the manifests' part of shard '\(shard.path)' does not read back", path: shard.path)
        }
        return part
    }

    /// Writes the part where it is kept (atomically), when it can be keyed to its shard.
    func keep(for shard: ShardInfo, in output: String) throws(RunError) {
        guard Self.isKeyable(shard) else { return }
        try AtomicFile.write(bytes, creatingFolderOf: Self.path(of: shard, in: output))
    }

    /// Parses a part's bytes; nil unless they hold this format, match their own SHA-256, name `shard` and hold
    /// whole sections.
    private init?(parsing bytes: [UInt8], for shard: ShardInfo) {
        self.bytes = bytes
        var cursor = 0
        /// The next line's range (without its newline), or nil at the end.
        func line() -> Range<Int>? {
            guard cursor < bytes.count, let end = bytes[cursor...].firstIndex(of: 0x0a) else { return nil }
            defer { cursor = end + 1 }
            return cursor..<end
        }
        func json(_ range: Range<Int>) -> [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(bytes[range]))) as? [String: Any]
        }
        guard let first = line(),
            String(decoding: bytes[first], as: UTF8.self)
                == Self.format + "\t" + SHA256.hash(data: bytes[cursor...]).hexLowercased,
            let headLine = line(), let head = json(headLine),
            head["shard"] as? String == shard.path, head["language"] as? String == shard.language,
            (head["bytes"] as? NSNumber)?.intValue == shard.bytes, head["sha256"] as? String == shard.sha256,
            let sameLanguage = head["same_language"] as? Bool, let types = head["types"] as? [String]
        else { return nil }
        self.sameLanguage = sameLanguage
        self.types = Set(types)
        while cursor < bytes.count {
            guard let splitLine = line(), let header = json(splitLine), let name = header["split"] as? String,
                let samples = (header["samples"] as? NSNumber)?.intValue, samples > 0
            else { return nil }
            var sections: [Range<Int>] = []
            for _ in 0..<3 {
                let start = cursor
                for _ in 0..<samples {
                    guard line() != nil else { return nil }
                }
                sections.append(start..<cursor)
            }
            splits.append(
                Split(
                    name: name, samples: samples, nemo: sections[0], recordings: sections[1],
                    supervisions: sections[2]))
        }
    }
}
