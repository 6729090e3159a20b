import Foundation

/// The file-name form of a language tag (or any folder name a clip's language came from), for every file
/// and folder named after one: `shards/<tag>/`, `splits/<tag>/`, `datasheets/<tag>.md`, `report/<tag>.html`.
///
/// A tag made of ASCII letters, digits and `-` (at most 64 bytes, not ending in `-<digits>`, not `index` or
/// `report`) is its own file name, so every catalog tag is (`sv-SE`, `nan-tw`). Any other name (`index`,
/// `a..b`, a 245-byte folder, non-ASCII) becomes its safe characters (at most 32) + `_` + the 16 hex digits
/// of its 64-bit FNV-1a hash: unique, within any file-name limit, never `.`/`..`, and never equal to a name of the first
/// kind (those have no `_`) nor to a `<name>-<n>` page of either.
public enum TagFileName {
    public static func of(_ tag: String) -> String {
        let plain = tag.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-")
        }
        let last = tag.split(separator: "-", omittingEmptySubsequences: false).last ?? ""
        if plain, !tag.isEmpty, tag.utf8.count <= 64, !tag.hasPrefix("-"), !last.isEmpty,
            !last.allSatisfy(\.isNumber), !["index", "report"].contains(tag.lowercased())
        {
            return tag
        }
        let safe = String(
            tag.unicodeScalars.prefix(32).map {
                $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-")
                    ? Character($0) : "_"
            })
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in tag.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return safe + "_" + String(format: "%016llx", hash)
    }
}
