/// One input audio file of an upload tree, as found on disk (nothing read from it yet).
public struct ClipSource: Sendable, Hashable {
    /// Path relative to the upload root, `/`-separated, Unicode NFC: the clip's identity in every output.
    public var clip: String
    /// The path to open, exactly as the file system spells it (possibly NFD).
    public var path: String
    /// The language tag the contributor chose: the clip's directory name (NFC).
    public var languageTag: String
    /// The file name without its extension (NFC).
    public var clipID: String
    /// The sidecar to read, exactly as spelled on disk, when one exists.
    public var sidecarPath: String?
    /// The file's size in bytes.
    public var byteSize: Int

    public init(clip: String, path: String, languageTag: String, clipID: String, sidecarPath: String?, byteSize: Int) {
        self.clip = clip
        self.path = path
        self.languageTag = languageTag
        self.clipID = clipID
        self.sidecarPath = sidecarPath
        self.byteSize = byteSize
    }
}

extension ClipSource {
    /// The order of every output: byte order of the NFC clip path, so it is the same on every machine.
    public static func pathOrder(_ a: ClipSource, _ b: ClipSource) -> Bool {
        a.clip.utf8.lexicographicallyPrecedes(b.clip.utf8)
    }
}
