import Crypto
import Foundation
public import VoxgateCorpus

/// What the server knows of an output folder's clips: `decisions.jsonl` (re-read whenever a run replaces
/// it), the upload root from `run.json`, and the sentences from the uploads' metadata. Reads files only:
/// never the ledger, whose lock an ingest run may hold.
public final class ReviewCatalog: @unchecked Sendable {
    /// One clip as its decision describes it.
    public struct Clip: Sendable {
        public var clip: String
        public var language: String
        public var accepted: Bool
        public var reasons: [String]
        public var detail: String?
        /// Measurements a listener can check by ear, in the decision's field names.
        public var metrics: [(String, Double)]
        public var shard: String?
        public var key: String?

        /// Rejected only for reasons a listener can judge (votes can lift it).
        public var isFlagged: Bool {
            !accepted && !reasons.isEmpty
                && reasons.allSatisfy { code in
                    guard let r = ReasonCode(rawValue: code) else { return false }
                    if r == .duplicate {
                        return detail?.contains("duplicate: " + ReviewPolicy.nearDuplicatePrefix) == true
                    }
                    return ReviewPolicy.judgeable.contains(r)
                }
        }
    }

    public let output: String
    private let lock = NSLock()
    private var clips: [String: Clip] = [:]
    private var order: [String] = []
    private var stamp: (Int, Int64) = (-1, 0)
    private var root: String?
    private var metadata: [String: MetadataSource] = [:]
    private var sentences: [String: String] = [:]

    static let metricFields = [
        "duration_s", "loudness_lufs", "snr_db", "true_peak_dbtp", "clipped_ratio", "speech_s", "rms_dbfs",
    ]

    /// - Throws: `.inputUnusable` when `output` holds no decisions (not the folder of a finished ingest).
    public init(output: String) throws(RunError) {
        self.output = output
        try refresh()
    }

    /// Re-reads `decisions.jsonl` when a run has replaced it since the last read.
    public func refresh() throws(RunError) {
        let path = output + "/decisions.jsonl"
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let size = attributes[.size] as? Int, let modified = attributes[.modificationDate] as? Date
        else {
            throw RunError(
                .inputUnusable, "'\(output)' holds no decisions.jsonl; pass the --out folder of a finished ingest",
                path: path)
        }
        // A run replaces the file (a new inode, a new modification time to the nanosecond Foundation reports).
        let now = (size, Int64((modified.timeIntervalSince1970 * 1e9).rounded()))
        lock.lock()
        let same = now == stamp
        lock.unlock()
        if same { return }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw RunError(.inputUnusable, "cannot read '\(path)'", path: path)
        }
        var byClip: [String: Clip] = [:]
        var order: [String] = []
        for line in text.split(separator: "\n") {
            guard let d = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let clip = d["clip"] as? String, let language = d["language"] as? String
            else { continue }
            let metrics = Self.metricFields.compactMap { f in
                (d[f] as? Double).map { (f, $0) } ?? (d[f] as? Int).map { (f, Double($0)) }
            }
            byClip[clip] = Clip(
                clip: clip, language: language, accepted: d["status"] as? String == "accepted",
                reasons: d["reasons"] as? [String] ?? [], detail: d["detail"] as? String, metrics: metrics,
                shard: d["shard"] as? String, key: d["key"] as? String)
            order.append(clip)
        }
        var root: String?
        if let data = FileManager.default.contents(atPath: output + "/run.json"),
            let run = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        {
            root = run["root_absolute"] as? String ?? run["root"] as? String
        }
        var metadata: [String: MetadataSource] = [:]
        if let root, let tree = try? InputLayouts.scan(root: root) {
            for source in tree.clips { metadata[source.clip] = source.metadata }
        }
        lock.lock()
        (self.clips, self.order, self.stamp, self.root, self.metadata) = (byClip, order, now, root, metadata)
        sentences = [:]
        lock.unlock()
    }

    public func clip(_ path: String) -> Clip? {
        lock.lock()
        defer { lock.unlock() }
        return clips[path]
    }

    /// The upload root the last run read, if its `run.json` names it.
    public var uploadRoot: String? {
        lock.lock()
        defer { lock.unlock() }
        return root
    }

    /// The sentence the clip's metadata gives, if any.
    public func sentence(_ clip: String) -> String? {
        lock.lock()
        if let s = sentences[clip] {
            lock.unlock()
            return s
        }
        let source = metadata[clip]
        lock.unlock()
        guard let source, case .valid(let m) = source.read() else { return nil }
        lock.lock()
        sentences[clip] = m.sentence
        lock.unlock()
        return m.sentence
    }

    /// The review queue of one language: every flagged clip (in path order), then a sample of at most
    /// `sample` accepted clips, the same sample on every request (ordered by a hash of the clip path).
    public func queue(language: String, sample: Int) -> [Clip] {
        lock.lock()
        let all = order.compactMap { clips[$0] }.filter { $0.language == language }
        lock.unlock()
        let flagged = all.filter(\.isFlagged)
        let accepted = all.filter(\.accepted).map { (Self.digest($0.clip), $0) }.sorted { $0.0 < $1.0 }.prefix(sample)
            .map(\.1)
        return flagged + accepted
    }

    /// Every language tag the decisions hold.
    public var languages: [String] {
        lock.lock()
        defer { lock.unlock() }
        return Set(clips.values.map(\.language)).sorted()
    }

    static func digest(_ s: String) -> String {
        SHA256.hash(data: Data(s.utf8)).prefix(8).hexLowercased
    }
}
