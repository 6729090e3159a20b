import Foundation

/// A sentence as a key: case, punctuation and spacing do not make a different sentence.
public enum SentenceKey {
    /// Lower-cased letters and digits of `s` (NFC), every other run of characters one space.
    public static func normalise(_ s: String) -> String {
        var kept = String.UnicodeScalarView()
        for scalar in s.precomposedStringWithCanonicalMapping.lowercased().unicodeScalars {
            let isWordCharacter = scalar.properties.isAlphabetic || scalar.properties.numericType != nil
            kept.append(isWordCharacter ? scalar : " ")
        }
        return String(kept).split(separator: " ").joined(separator: " ")
    }
}
