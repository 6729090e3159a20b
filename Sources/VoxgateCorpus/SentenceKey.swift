import Foundation

/// A sentence as a key: case, punctuation and spacing do not make a different sentence.
public enum SentenceKey {
    /// Lower-cased letters and digits of `s` (NFC), every other run of characters one space.
    public static func normalise(_ s: String) -> String {
        var kept = String.UnicodeScalarView()
        for scalar in nfc(s).lowercased().unicodeScalars {
            let isWordCharacter = scalar.properties.isAlphabetic || scalar.properties.numericType != nil
            kept.append(isWordCharacter ? scalar : " ")
        }
        return String(kept).split(separator: " ").joined(separator: " ")
    }

    /// `s` in Normalization Form C. Text whose every scalar is below U+0300 is in NFC already (Unicode's
    /// NFC_Quick_Check is Yes for all of them: the first combining mark is U+0300), and most sentences are; asking
    /// Foundation anyway was most of this key's cost (5% of a nightly run's CPU).
    static func nfc(_ s: String) -> String {
        s.utf8.allSatisfy({ $0 < 0xCC }) ? s : s.precomposedStringWithCanonicalMapping
    }
}
