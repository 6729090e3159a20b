import Foundation

/// File names of an upload tree as identities: listed byte for byte (a name that is not UTF-8 is reported,
/// never dropped), compared after Unicode NFC.
enum UploadTreeNames {
    /// The entries of a folder (not `.`/`..`): names that are UTF-8, and the others shown escaped (`caf\xE9.wav`).
    /// Nil when the folder cannot be listed.
    static func list(_ dir: String) -> (names: [String], undecodable: [String])? {
        guard let handle = opendir(dir) else { return nil }
        defer { closedir(handle) }
        var names: [String] = [], undecodable: [String] = []
        while let entry = readdir(handle) {
            let bytes = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                Array(raw.prefix(while: { $0 != 0 }))
            }
            if bytes == [0x2E] || bytes == [0x2E, 0x2E] { continue }
            if let name = String(validating: bytes, as: UTF8.self) {
                names.append(name)
            } else {
                undecodable.append(escaped(bytes))
            }
        }
        return (names, undecodable)
    }

    /// A name with every byte that is not printable ASCII shown as `\xHH`.
    static func escaped(_ bytes: [UInt8]) -> String {
        bytes.map {
            (0x20..<0x7F).contains($0) && $0 != 0x5C ? String(UnicodeScalar($0)) : String(format: "\\x%02X", $0)
        }
        .joined()
    }

    /// Marks clips whose paths are equal after NFC but spelled differently on disk: the one spelled in NFC
    /// (else the first in byte order of its spelling) keeps the path as its identity; each other one gets its
    /// own spelling, escaped (`en/cafe\u{301}.wav`), as its `clip` (so nothing collides) and is decided
    /// `invalid_metadata`, naming the first.
    static func markConflicts(_ clips: inout ClipList, root: String) {
        func spelled(_ c: ClipSource) -> String { String(c.path.dropFirst(root.count + 1)) }
        // Two uploads share a path only if one of them is not spelled as its path (two NFC spellings that are
        // canonically equivalent are the same bytes): only the paths of such uploads are looked at.
        var suspects: Set<String> = []
        for c in clips where !spelled(c).utf8.elementsEqual(c.clip.utf8) { suspects.insert(c.clip) }
        guard !suspects.isEmpty else { return }
        var group: [Int: ClipSource] = [:]
        for (i, c) in clips.enumerated() where suspects.contains(c.clip) { group[i] = c }
        var first: [String: Int] = [:]
        let order = group.keys.sorted { a, b in
            let (ca, cb) = (group[a]!, group[b]!)
            let (sa, sb) = (spelled(ca), spelled(cb))
            // Bytes, not `==`: Swift's String equality is canonical equivalence, under which NFC == NFD.
            let (na, nb) = (sa.utf8.elementsEqual(ca.clip.utf8), sb.utf8.elementsEqual(cb.clip.utf8))
            return na != nb ? na : sa.utf8.lexicographicallyPrecedes(sb.utf8)
        }
        for i in order {
            guard let j = first[group[i]!.clip] else {
                first[group[i]!.clip] = i
                continue
            }
            let other = spelled(group[j]!)
            clips[i].conflict =
                "'\(escapedUnicode(spelled(group[i]!)))' is the same path as '\(escapedUnicode(other))' once Unicode-normalised "
                + "(NFC): two uploads cannot share a path; rename one of them"
            // Its spelling, escaped: a Swift String of the raw spelling would equal the first's path.
            clips[i].clip = escapedUnicode(spelled(group[i]!))
        }
    }

    /// A path with non-ASCII scalars shown as `\u{301}`, so two spellings of one name can be told apart.
    static func escapedUnicode(_ s: String) -> String {
        s.unicodeScalars.map { $0.isASCII ? String($0) : "\\u{\(String($0.value, radix: 16))}" }.joined()
    }
}
