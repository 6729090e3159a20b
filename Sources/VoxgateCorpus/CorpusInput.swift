import Foundation

/// What a run ingests, whatever layout it came in: the clips in path order, with where each one's
/// metadata comes from, plus what the layout itself declares (withdrawals, declared durations).
public struct CorpusInput: Sendable {
    /// The root folder given on the command line.
    public var root: String
    /// The layout recognised, e.g. `upload-tree`, `common-voice`.
    public var layout: String
    /// Every input audio file, in ``ClipSource/pathOrder(_:_:)`` (compactly: ``ClipList``).
    public var clips: ClipList
    /// client_ids whose consent was withdrawn.
    public var withdrawals: Set<String>
    /// Things found that are not part of the layout, as sentences for the operator.
    public var warnings: [String]
    /// Durations the layout's own metadata declares, in ms, by clip (Common Voice's `clip_durations.tsv`):
    /// audited against the decoded durations.
    public var declaredDurationsMs: [String: Int]
    /// Clips the layout's metadata lists but whose audio file does not exist.
    public var missingFiles: [String]
    /// Rows of the layout's declared durations that could not be used (`clip_durations.tsv`: not a number,
    /// negative, a clip not in `clips/`), each as "file row N: why": counted and named in `audit.json`.
    public var unparsableDurations: [String] = []
    /// Each language community's terms of use (`<root>/<tag>/TERMS.yaml`), by language tag.
    public var communityTerms: [String: Terms] = [:]

    public init(
        root: String, layout: String, clips: ClipList, withdrawals: Set<String> = [], warnings: [String] = [],
        declaredDurationsMs: [String: Int] = [:], missingFiles: [String] = []
    ) {
        self.root = root
        self.layout = layout
        self.clips = clips
        self.withdrawals = withdrawals
        self.warnings = warnings
        self.declaredDurationsMs = declaredDurationsMs
        self.missingFiles = missingFiles
    }
}

/// Choices that only some layouts use.
public struct InputOptions: Sendable, Hashable, Codable {
    /// Common Voice TSVs to ingest (`validated`, `other`, `invalidated`).
    public var commonVoiceBuckets: [String] = CommonVoiceRelease.buckets
    public init() {}
}

/// One way an input folder can be laid out. A new layout (a NeMo or Lhotse manifest, say) is one new
/// type conforming to this, added to ``InputLayouts/all``.
public protocol InputLayout: Sendable {
    /// A short stable name, recorded in `run.json`.
    static var name: String { get }
    /// Whether `root` is laid out this way (cheap: looks at names, never at audio).
    static func recognises(root: String) -> Bool
    /// Lists the clips and their metadata sources.
    static func scan(root: String, options: InputOptions) throws(RunError) -> CorpusInput
}

/// The layouts voxgate recognises, most specific first.
public enum InputLayouts {
    public static let all: [any InputLayout.Type] = [CommonVoiceRelease.self, UploadTree.self]

    /// Scans `root` with the first layout that recognises it.
    public static func scan(root: String, options: InputOptions = InputOptions()) throws(RunError) -> CorpusInput {
        try requireFolder(root)
        let layout = all.first { $0.recognises(root: root) } ?? UploadTree.self
        var input = try layout.scan(root: root, options: options)
        UploadConfinement.apply(to: &input)
        return input
    }

    static func requireFolder(_ root: String) throws(RunError) {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue else {
            throw RunError(
                .inputUnusable,
                "upload root '\(root)' does not exist or is not a directory; pass an upload tree (one sub-folder "
                    + "per language tag) or a Common Voice release or locale folder", path: root)
        }
    }
}
