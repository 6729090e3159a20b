import Foundation

/// A sentence as a key: case, punctuation and spacing do not make a different sentence.
public enum SentenceKey {
    /// Lower-cased letters and digits of `s` (NFC), every other run of characters one space.
    public static func normalise(_ s: String) -> String {
        var kept = String.UnicodeScalarView()
        for scalar in nfc(s).lowercased().unicodeScalars {
            kept.append(isWordCharacter(scalar) ? scalar : " ")
        }
        return String(kept).split(separator: " ").joined(separator: " ")
    }

    /// A letter or a digit (Unicode's Alphabetic property, or any numeric type). In ASCII these are exactly
    /// `A`–`Z`, `a`–`z` and `0`–`9`, answered without the property tables (which were most of this key's cost).
    static func isWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        guard v >= 0x80 else {
            return (0x30...0x39).contains(v) || (0x41...0x5A).contains(v) || (0x61...0x7A).contains(v)
        }
        return scalar.properties.isAlphabetic || scalar.properties.numericType != nil
    }

    /// `s` in Normalization Form C. Text whose every scalar is below U+0300 is in NFC already (Unicode's
    /// NFC_Quick_Check is Yes for all of them: the first combining mark is U+0300), and most sentences are; asking
    /// Foundation anyway was most of this key's cost (5% of a nightly run's CPU).
    static func nfc(_ s: String) -> String {
        s.utf8.allSatisfy({ $0 < 0xCC }) ? s : s.precomposedStringWithCanonicalMapping
    }
}
