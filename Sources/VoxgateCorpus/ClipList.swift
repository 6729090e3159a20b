/// The clips of a listing in a compact form: what a run keeps of every clip of the tree until it ends.
///
/// A clip whose every field follows from its path and the listing's root — the file is `<root>/<clip>` byte for
/// byte, its id is the file name without its extension, its sidecar (if any) is `<root>/<clip without
/// extension>.json`, no conflict, no refusal — is kept as its path's UTF-8 bytes, its size, the index of its
/// language tags and its listed stamps (about 67 bytes instead of a ``ClipSource``'s ~150 bytes inline plus three
/// heap strings). Every other clip (a name spelled in NFD on disk, a `.JSON` sidecar, metadata parsed by the layout, a
/// conflict…) is kept whole. Reading a clip (`clips[i]`) builds its ``ClipSource``; the fields are exactly those appended.
public struct ClipList: Sendable {
    /// The folder a compact clip's path is relative to (nil: every clip is kept whole).
    public let root: String?
    /// Compact clips' paths, UTF-8, one after another; a whole clip has an empty range.
    private var bytes: [UInt8] = []
    /// Where each clip's path ends in `bytes`.
    private var ends: [Int] = []
    private var sizes: [Int] = []
    /// Index into `tags`.
    private var tagIndex: [UInt16] = []
    private var kinds: [Kind] = []
    /// A compact clip's listed stamps (``ClipSource/listed``) beside its size: nil when it has none.
    private var stamps: [Stamps] = []
    /// (language tag, written tag) pairs, and their index by their bytes (String equality would merge NFC and NFD).
    private var tags: [(language: String, written: String)] = []
    private var tagIDs: [[UInt8]: UInt16] = [:]
    /// The clips kept whole, by index.
    private var whole: [Int: ClipSource] = [:]

    private enum Kind: UInt8 {
        case compactWithoutSidecar, compactWithSidecar, whole
    }

    /// ``ListedStamps`` but the file's size (in `sizes`): 32 bytes a clip (the plan keeps no stamps of its own);
    /// `mtimeNs == .min`: the clip has none.
    private struct Stamps {
        var mtimeNs: Int64
        var sidecarSize: Int64
        var sidecarMtimeNs: Int64
        var plain: Bool

        static let none = Stamps(mtimeNs: .min, sidecarSize: 0, sidecarMtimeNs: 0, plain: false)

        init(mtimeNs: Int64, sidecarSize: Int64, sidecarMtimeNs: Int64, plain: Bool) {
            (self.mtimeNs, self.sidecarSize, self.sidecarMtimeNs, self.plain) =
                (mtimeNs, sidecarSize, sidecarMtimeNs, plain)
        }

        init(_ listed: ListedStamps?) {
            guard let listed else {
                self = .none
                return
            }
            self.init(
                mtimeNs: listed.file.mtimeNs, sidecarSize: Int64(listed.sidecar?.size ?? 0),
                sidecarMtimeNs: listed.sidecar?.mtimeNs ?? 0, plain: listed.plain)
        }

        func listed(size: Int, hasSidecar: Bool) -> ListedStamps? {
            guard mtimeNs != .min else { return nil }
            return ListedStamps(
                file: FileStamp(size: size, mtimeNs: mtimeNs),
                sidecar: hasSidecar ? FileStamp(size: Int(sidecarSize), mtimeNs: sidecarMtimeNs) : nil, plain: plain)
        }
    }

    /// An empty list whose clips under `root` are kept compactly.
    public init(root: String?) { self.root = root }

    /// `clips` in the given order.
    public init(root: String?, _ clips: some Sequence<ClipSource>) {
        self.root = root
        append(contentsOf: clips)
    }

    public mutating func reserveCapacity(_ n: Int) {
        ends.reserveCapacity(n)
        sizes.reserveCapacity(n)
        tagIndex.reserveCapacity(n)
        kinds.reserveCapacity(n)
        stamps.reserveCapacity(n)
    }

    public mutating func append(_ clip: ClipSource) {
        let start = ends.last ?? 0
        ends.append(start)
        sizes.append(clip.byteSize)
        tagIndex.append(0)
        kinds.append(.whole)
        stamps.append(.none)
        if !store(clip, at: ends.count - 1, start: start) { whole[ends.count - 1] = clip }
    }

    public mutating func append(contentsOf clips: some Sequence<ClipSource>) {
        for clip in clips { append(clip) }
    }

    /// The clips `isIncluded` keeps, in order, kept as compactly.
    public func filter(_ isIncluded: (ClipSource) throws -> Bool) rethrows -> ClipList {
        var kept = ClipList(root: root)
        for clip in self where try isIncluded(clip) { kept.append(clip) }
        return kept
    }

    /// Sorts the clips in ``ClipSource/pathOrder(_:_:)``; a list already in that order (a listing's, almost always)
    /// is checked on its stored path bytes, without building a clip.
    public mutating func sortByPath() {
        var sorted = true
        for i in indices.dropFirst() where ClipSource.bytesPrecede(pathBytes(i), pathBytes(i - 1)) {
            sorted = false
            break
        }
        if !sorted { self = ClipList(root: root, ClipSource.sortedByPath(Array(self))) }
    }

    /// The UTF-8 bytes of the clip's path (``ClipSource/clip``) at `i`.
    private func pathBytes(_ i: Int) -> ArraySlice<UInt8> {
        guard kinds[i] != .whole else { return ArraySlice(whole[i]!.clip.utf8) }
        return bytes[(i == 0 ? 0 : ends[i - 1])..<ends[i]]
    }

    /// Keeps `clip` at `i` compactly if it can be, its path's bytes appended at `start` (the end of `bytes`).
    private mutating func store(_ clip: ClipSource, at i: Int, start: Int) -> Bool {
        guard let root, clip.conflict == nil, clip.refusal == nil else { return false }
        let path = Array(clip.clip.utf8)
        let split = Self.split(path)
        let prefix = Array(root.utf8) + [0x2F]
        // Bytes, not `==`: Swift's String equality is canonical equivalence, under which NFC == NFD.
        guard clip.path.utf8.elementsEqual(prefix + path),
            clip.clipID.utf8.elementsEqual(path[split.name..<split.stem])
        else { return false }
        let kind: Kind
        switch clip.metadata {
        case .sidecar(path: nil): kind = .compactWithoutSidecar
        case .sidecar(let sidecar?):
            guard sidecar.utf8.elementsEqual(prefix + Array(path[..<split.stem]) + Self.json) else { return false }
            kind = .compactWithSidecar
        case .parsed: return false
        }
        // The stamps' sidecar is the one the metadata names.
        if let listed = clip.listed,
            listed.file.size != clip.byteSize || (listed.sidecar != nil) != (kind == .compactWithSidecar)
        {
            return false
        }
        let key = Array(clip.languageTag.utf8) + [0] + Array(clip.writtenTag.utf8)
        var tag = tagIDs[key]
        if tag == nil, tags.count <= Int(UInt16.max) {
            tag = UInt16(tags.count)
            tags.append((clip.languageTag, clip.writtenTag))
            tagIDs[key] = tag
        }
        guard let tag else { return false }
        if ends[i] != start + path.count {  // a whole clip's range is empty; `bytes` ends at `start`
            precondition(i == ends.count - 1 && bytes.count == start)
            bytes.append(contentsOf: path)
            ends[i] = start + path.count
        }
        tagIndex[i] = tag
        kinds[i] = kind
        stamps[i] = Stamps(clip.listed)
        return true
    }

    private static let json = Array(".json".utf8)

    /// Where a path's file name starts and where its stem ends (before the last `.` that does not start the name).
    private static func split(_ path: some RandomAccessCollection<UInt8>) -> (name: Int, stem: Int) {
        let bytes = Array(path)
        let name = (bytes.lastIndex(of: 0x2F).map { $0 + 1 }) ?? 0
        guard let dot = bytes[name...].lastIndex(of: 0x2E), dot != name else { return (name, bytes.count) }
        return (name, dot)
    }
}

extension ClipList: RandomAccessCollection, MutableCollection {
    public var startIndex: Int { 0 }
    public var endIndex: Int { ends.count }

    public subscript(i: Int) -> ClipSource {
        get {
            guard kinds[i] != .whole, let root else { return whole[i]! }
            let start = i == 0 ? 0 : ends[i - 1]
            let path = bytes[start..<ends[i]]
            let split = Self.split(path)
            let clip = String(decoding: path, as: UTF8.self)
            let tags = tags[Int(tagIndex[i])]
            let sidecar =
                kinds[i] == .compactWithSidecar
                ? root + "/" + String(decoding: path.prefix(split.stem), as: UTF8.self) + ".json" : nil
            var source = ClipSource(
                clip: clip, path: root + "/" + clip, languageTag: tags.language, writtenTag: tags.written,
                clipID: String(decoding: path.dropFirst(split.name).prefix(split.stem - split.name), as: UTF8.self),
                metadata: .sidecar(path: sidecar), byteSize: sizes[i])
            source.listed = listed(at: i)
            return source
        }
        set {
            sizes[i] = newValue.byteSize
            let start = i == 0 ? 0 : ends[i - 1]
            // Compact again only with the same path in place (a whole clip has no bytes to reuse).
            if kinds[i] != .whole, bytes[start..<ends[i]].elementsEqual(newValue.clip.utf8),
                store(newValue, at: i, start: start)
            {
                return
            }
            kinds[i] = .whole
            whole[i] = newValue
        }
    }
}

extension ClipList {
    /// The listed stamps of the clip at `i` (``ClipSource/listed``), without building its ``ClipSource``.
    public func listed(at i: Int) -> ListedStamps? {
        guard kinds[i] != .whole else { return whole[i]!.listed }
        return stamps[i].listed(size: sizes[i], hasSidecar: kinds[i] == .compactWithSidecar)
    }
}

extension ClipList: ExpressibleByArrayLiteral {
    /// Clips kept whole (no root to derive their paths from).
    public init(arrayLiteral clips: ClipSource...) { self.init(root: nil, clips) }
}
