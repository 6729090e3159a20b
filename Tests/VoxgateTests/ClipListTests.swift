import Foundation
import Testing
import VoxgateCorpus

/// The compact listing (``ClipList``): every clip reads back exactly as appended, byte for byte (NFC and NFD
/// spellings, sidecars named otherwise, parsed metadata, conflicts, refusals and stamps that do not agree with the clip
/// are kept whole; a compact clip keeps its listed stamps), and changes,
/// filters and sorts keep that. Whole runs over it: IngestTests, ClipIdentityTests, SidecarTests, InputTrustTests.
@Suite("Clip list")
struct ClipListTests {
    static let root = "/uploads/tree"

    static func clip(
        _ clip: String, path: String? = nil, id: String? = nil, sidecar: String?? = .none, written: String = "en",
        size: Int = 100
    ) -> ClipSource {
        let stem = String(clip.prefix(upTo: clip.lastIndex(of: ".") ?? clip.endIndex))
        let name = String(stem.split(separator: "/").last!)
        let side: String? = sidecar ?? (root + "/" + stem + ".json")
        return ClipSource(
            clip: clip, path: path ?? root + "/" + clip, languageTag: written == "sv" ? "sv-SE" : written,
            writtenTag: written, clipID: id ?? name, metadata: .sidecar(path: side), byteSize: size)
    }

    /// Every field, with strings compared as bytes (Swift's `==` on String is canonical equivalence).
    static func same(_ a: ClipSource, _ b: ClipSource) -> Bool {
        func bytes(_ s: String?) -> [UInt8]? { s.map { Array($0.utf8) } }
        func side(_ m: MetadataSource) -> [UInt8]?? {
            if case .sidecar(let p) = m { return .some(bytes(p)) }
            return .none
        }
        return bytes(a.clip) == bytes(b.clip) && bytes(a.path) == bytes(b.path)
            && bytes(a.languageTag) == bytes(b.languageTag) && bytes(a.writtenTag) == bytes(b.writtenTag)
            && bytes(a.clipID) == bytes(b.clipID) && side(a.metadata) == side(b.metadata) && a.metadata == b.metadata
            && a.byteSize == b.byteSize && bytes(a.conflict) == bytes(b.conflict)
            && bytes(a.refusal) == bytes(b.refusal) && a.listed == b.listed
    }

    /// `clip` with the stamps a listing gives it.
    static func stamped(_ clip: ClipSource, mtimeNs: Int64, sidecar: FileStamp?, plain: Bool) -> ClipSource {
        var clip = clip
        clip.listed = ListedStamps(
            file: FileStamp(size: clip.byteSize, mtimeNs: mtimeNs), sidecar: sidecar, plain: plain)
        return clip
    }

    static let nfd = "cafe\u{301}"

    /// Clips of every kind the layouts make, compact or not.
    static var mixed: [ClipSource] {
        var refused = clip("en/f.wav")
        refused.refusal = "the file is a named pipe"
        var conflict = clip("en/\\u{301}.wav", path: root + "/en/e\u{301}.wav", id: "e")
        conflict.conflict = "two uploads cannot share a path"
        return [
            clip("de/a.flac", written: "de"),
            clip("en/b.wav", sidecar: .some(nil)),  // no sidecar
            clip("en/c.wav", sidecar: .some(root + "/en/c.JSON")),  // the sidecar as spelled on disk
            clip(
                "en/caf\u{e9}.wav", path: root + "/en/\(nfd).wav", id: "caf\u{e9}",
                sidecar: .some(root + "/en/\(nfd).json")),  // NFD on disk, NFC as the clip
            clip(
                "en/na\u{ef}ve.wav", path: root + "/en/nai\u{308}ve.wav", id: "na\u{ef}ve",
                sidecar: .some(nil)),  // NFD on disk, no sidecar: only the path tells
            clip("en/d.tar.gz"), clip("en/.hidden"), clip("en/noext"), refused, conflict,
            ClipSource(
                clip: "clips/x.mp3", path: root + "/clips/x.mp3", languageTag: "en", clipID: "x",
                metadata: .parsed(.invalid("a TSV row")), byteSize: 7),
            clip("sv/e.wav", written: "sv", size: 1 << 40),
            clip("en/g.wav", id: "other-id"),
            stamped(
                clip("en/s1.wav"), mtimeNs: 1_796_687_606_233_734_415,
                sidecar: FileStamp(size: 112, mtimeNs: -5), plain: true),
            stamped(clip("en/s2.wav", sidecar: .some(nil)), mtimeNs: 0, sidecar: nil, plain: false),
            stamped(clip("en/s3.wav", sidecar: .some(nil)), mtimeNs: .max, sidecar: nil, plain: true),
            // Stamps that do not agree with the clip are kept as given (whole): a sidecar stamp without a sidecar,
            // none with one, another size.
            stamped(
                clip("en/s4.wav", sidecar: .some(nil)), mtimeNs: 1, sidecar: FileStamp(size: 1, mtimeNs: 1), plain: true
            ),
            stamped(clip("en/s5.wav"), mtimeNs: 1, sidecar: nil, plain: true),
            {
                var c = stamped(clip("en/s6.wav"), mtimeNs: 1, sidecar: FileStamp(size: 1, mtimeNs: 1), plain: true)
                c.listed!.file.size = 99
                return c
            }(),
        ]
    }

    @Test func everyClipReadsBackExactly() {
        let list = ClipList(root: Self.root, Self.mixed)
        #expect(list.count == Self.mixed.count)
        for (read, appended) in zip(list, Self.mixed) { #expect(Self.same(read, appended), "\(appended.clip)") }
        for (i, appended) in Self.mixed.enumerated() {
            #expect(list.listed(at: i) == appended.listed, "\(appended.clip)")
        }
        #expect(Self.mixed.filter { $0.listed != nil }.count == 6)
        // Without a root nothing is derived: the same clips.
        let whole: ClipList = [Self.mixed[0], Self.mixed[3]]
        #expect(Self.same(whole[0], Self.mixed[0]) && Self.same(whole[1], Self.mixed[3]))
    }

    @Test func derivationsAreCheckedAgainstTheRoot() {
        // A clip under another root is kept whole, not rebuilt under this one.
        let elsewhere = Self.clip("en/a.wav", path: "/elsewhere/en/a.wav", sidecar: .some("/elsewhere/en/a.json"))
        let list = ClipList(root: Self.root, [elsewhere])
        #expect(Self.same(list[0], elsewhere))
        // A root that is a prefix of the path's bytes but not followed by "/".
        let glued = Self.clip("en/a.wav", path: Self.root + "en/a.wav")
        #expect(Self.same(ClipList(root: Self.root, [glued])[0], glued))
    }

    @Test func changesFiltersAndSortsKeepEveryField() {
        var list = ClipList(root: Self.root, Self.mixed)
        list[0].refusal = "refused later"
        list[1].byteSize = 5
        list[5].clip = "en/h.wav"  // another path: kept whole
        var expected = Self.mixed
        expected[0].refusal = "refused later"
        expected[1].byteSize = 5
        expected[5].clip = "en/h.wav"
        for (read, want) in zip(list, expected) { #expect(Self.same(read, want), "\(want.clip)") }
        let english: ClipList = list.filter { $0.languageTag == "en" }
        #expect(english.map(\.clip) == expected.filter { $0.languageTag == "en" }.map(\.clip))
        for (read, want) in zip(english, expected.filter { $0.languageTag == "en" }) { #expect(Self.same(read, want)) }
        var shuffled = ClipList(root: Self.root, Self.mixed.reversed())
        shuffled.sortByPath()
        let sorted = Self.mixed.sorted(by: ClipSource.pathOrder)
        #expect(shuffled.count == sorted.count)
        for (read, want) in zip(shuffled, sorted) { #expect(Self.same(read, want), "\(want.clip)") }
    }

    /// The listing's sorts (memcmp of path bytes) give ``ClipSource/pathOrder(_:_:)``'s order: paths that are
    /// prefixes of others, non-ASCII (whose byte order is not `String`'s `<` for NFD), equal paths kept in order.
    @Test func pathSortsAreByteOrder() {
        let pieces = ["a", "b", "/", ".", "A", "\u{e9}", "e\u{301}", "\u{1F600}", "z", "0", "-", "_"]
        var generator = SystemRandomNumberGenerator()
        var clips: [ClipSource] = []
        for k in 0..<600 {
            let name = (0..<Int.random(in: 0...6, using: &generator)).map { _ in pieces.randomElement()! }.joined()
            clips.append(Self.clip("en/" + name + ".wav", id: "\(k)"))
        }
        let expected = clips.enumerated().sorted {
            ClipSource.pathOrder($0.element, $1.element)
                || (!ClipSource.pathOrder($1.element, $0.element) && $0.offset < $1.offset)
        }.map(\.element)
        #expect(ClipSource.sortedByPath(clips).map(\.clipID) == expected.map(\.clipID))
        var list = ClipList(root: Self.root, clips)
        list.sortByPath()
        #expect(list.map(\.clipID) == expected.map(\.clipID))
        var sorted = ClipList(root: Self.root, expected)
        sorted.sortByPath()  // already in order: left as it is
        #expect(sorted.map(\.clipID) == expected.map(\.clipID))
    }
}
