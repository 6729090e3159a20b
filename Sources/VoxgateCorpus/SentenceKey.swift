import Foundation

/// A sentence as a key: case, punctuation and spacing do not make a different sentence.
public enum SentenceKey {
    /// Lower-cased letters and digits of `s` (NFC), every other run of characters one space.
    public static func normalise(_ s: String) -> String {
        let text = nfc(s)
        return byScalars(text) ?? byCharacters(text)
    }

    /// The definition: lower-case, every scalar that is not a word character a space, then the words (split on the
    /// space *character*, so a combining word character after a space stays on that space) joined by one space.
    static func byCharacters(_ text: String) -> String {
        var kept = String.UnicodeScalarView()
        for scalar in text.lowercased().unicodeScalars {
            kept.append(isWordCharacter(scalar) ? scalar : " ")
        }
        return String(kept).split(separator: " ").joined(separator: " ")
    }

    /// The same key in one pass over the scalars, for text no scalar of which can join a space's character: every
    /// scalar below U+0300 (the first combining mark) or general punctuation (U+2010–U+205E: none is a word character
    /// or extends a character). `String.lowercased()` is each scalar's lowercase mapping in turn. Nil for other text:
    /// most sentences of most languages are such text, and the definition was a fifth of their key's cost.
    static func byScalars(_ text: String) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        var space = false
        func add(_ scalar: Unicode.Scalar) {
            guard isWordCharacter(scalar) else {
                space = true
                return
            }
            if space && !out.isEmpty { out.append(0x20) }
            space = false
            out.append(contentsOf: UTF8.encode(scalar)!)
        }
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if v < 0x80 {
                add(Unicode.Scalar(UInt8(v) | ((0x41...0x5A).contains(v) ? 0x20 : 0)))
            } else if v < 0x300 || (0x2010...0x205E).contains(v) {
                for lower in scalar.properties.lowercaseMapping.unicodeScalars { add(lower) }
            } else {
                return nil
            }
        }
        return String(decoding: out, as: UTF8.self)
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
