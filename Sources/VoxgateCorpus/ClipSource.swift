import Foundation

/// One input audio file of an upload tree, as found on disk (nothing read from it yet).
public struct ClipSource: Sendable, Hashable {
    /// Path relative to the upload root, `/`-separated, Unicode NFC: the clip's identity in every output.
    public var clip: String
    /// The path to open, exactly as the file system spells it (possibly NFD).
    public var path: String
    /// The clip's language: the catalog's tag for the folder's tag (`sv` → `sv-SE`), or the folder's tag (NFC)
    /// as written when it names no single catalog entry.
    public var languageTag: String
    /// The language tag as the contributor wrote it (the folder's name, NFC): its script subtag is used by the
    /// text checks (`sr-Latn`).
    public var writtenTag: String
    /// The file name without its extension (NFC).
    public var clipID: String
    /// Where the clip's metadata comes from (a sidecar file, or a row of a release's TSV).
    public var metadata: MetadataSource
    /// The file's size in bytes.
    public var byteSize: Int
    /// Why this upload cannot have its path as its identity (another upload has the same path after NFC):
    /// decided `invalid_metadata` with this detail. Nil for every other clip.
    public var conflict: String?
    /// Why the file must not be opened at all (a link out of the upload root, a named pipe, a device),
    /// found when the tree was listed: the clip is rejected with this detail, and no byte of it is read.
    public var refusal: String?
    /// The files' stamps as the listing found them (nil: the layout made none; the run then examines the files).
    public var listed: ListedStamps?

    public init(
        clip: String, path: String, languageTag: String, writtenTag: String? = nil, clipID: String,
        metadata: MetadataSource, byteSize: Int
    ) {
        self.clip = clip
        self.path = path
        self.languageTag = languageTag
        self.writtenTag = writtenTag ?? languageTag
        self.clipID = clipID
        self.metadata = metadata
        self.byteSize = byteSize
    }
}

extension ClipSource {
    /// The order of every output: byte order of the NFC clip path, so it is the same on every machine.
    public static func pathOrder(_ a: ClipSource, _ b: ClipSource) -> Bool {
        a.clip.utf8.lexicographicallyPrecedes(b.clip.utf8)
    }

    /// `sources` in ``pathOrder(_:_:)``, their paths' bytes compared with `memcmp`: sorting the sources themselves,
    /// two `String` UTF-8 views per comparison, was a third of the listing's CPU.
    public static func sortedByPath(_ sources: [ClipSource]) -> [ClipSource] {
        let keys = sources.map { Array($0.clip.utf8)[...] }
        return keys.indices.sorted { bytesPrecede(keys[$0], keys[$1]) }.map { sources[$0] }
    }

    /// Whether `a` comes before `b` in byte order (a prefix first).
    static func bytesPrecede(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Bool {
        let n = min(a.count, b.count)
        guard n > 0 else { return a.count < b.count }
        let order = a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in memcmp(a.baseAddress!, b.baseAddress!, n) }
        }
        return order != 0 ? order < 0 : a.count < b.count
    }
}

/// Where a clip's metadata comes from: read by the worker (a sidecar) or already parsed by the layout.
public enum MetadataSource: Sendable, Hashable {
    /// A `<clip-id>.json` sidecar, exactly as spelled on disk; nil when the clip has none.
    case sidecar(path: String?)
    /// Metadata the input layout parsed itself (e.g. a Common Voice TSV row).
    /// (Boxed: a `SidecarReading` is hundreds of bytes inline, and every listed clip carries a `MetadataSource`.)
    indirect case parsed(SidecarReading)

    /// Reads the metadata (file I/O for a sidecar).
    public func read() -> SidecarReading {
        switch self {
        case .sidecar(let path): SidecarReading.read(path: path)
        case .parsed(let reading): reading
        }
    }
}
