import Foundation
import Testing

@testable import VoxgateCorpus
@testable import VoxgateOutputs

/// The byte-level JSON string escaping and the NFC shortcut of sentence keys give exactly what their plain
/// definitions give (the outputs are byte-identical to earlier releases'; sentence keys decide duplicates and splits).
@Suite struct TextFastPathTests {
    /// Strings mixing ASCII, every escaped character, Latin-1, combining marks, CJK, emoji and U+2028/U+2029.
    static func samples() -> [String] {
        let pieces: [String] = [
            "a", "Z", "0", " ", "\"", "\\", "\n", "\r", "\t", "\u{0}", "\u{1}", "\u{1F}", "\u{7F}", "é", "e\u{301}",
            "ß", "Å", "A\u{30A}", "ǅ", "\u{2FF}", "\u{300}", "\u{2028}", "\u{2029}", "\u{2027}", "\u{202A}", "日本",
            "😀", "👩‍👩‍👧", "ﬁ", "İ", "Σ", "ς", "\u{E2}\u{80}", "-", "'", "…",
        ]
        var rng = SystemRandomNumberGenerator()
        var out = pieces + ["", "plain ascii sentence", "Ça va? Très bien!"]
        for _ in 0..<2_000 {
            let n = Int.random(in: 0...12, using: &rng)
            out.append((0..<n).map { _ in pieces.randomElement(using: &rng)! }.joined())
        }
        return out
    }

    /// RFC 8259 §7 escaping scalar by scalar: the definition the byte-level version must match.
    static func referenceEscape(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    @Test func escapingMatchesTheScalarDefinitionAndParsesBack() throws {
        for s in Self.samples() {
            var out = ""
            JSONText.escape(s, into: &out)
            #expect(out == Self.referenceEscape(s), "escaping \(s.debugDescription)")
            let parsed = try JSONSerialization.jsonObject(with: Data(out.utf8), options: .fragmentsAllowed) as? String
            #expect(parsed == s, "round trip of \(s.debugDescription)")
        }
        var out = ""
        JSONText.escape("a\u{2028}b\u{1}\"", into: &out)
        #expect(out == "\"a\\u2028b\\u0001\\\"\"")
    }

    @Test func sentenceKeysMatchFoundationsNormalForm() {
        for s in Self.samples() {
            #expect(SentenceKey.nfc(s) == s.precomposedStringWithCanonicalMapping, "NFC of \(s.debugDescription)")
        }
        #expect(SentenceKey.normalise("Cafe\u{301}, CAFÉ!  café") == "café café café")
        #expect(SentenceKey.normalise("  Hello,   World 42 ") == "hello world 42")
    }

    /// Every ASCII scalar is a word character exactly when Unicode's properties say so, and so is every sample's.
    @Test func wordCharactersMatchTheUnicodeProperties() {
        func byProperties(_ c: Unicode.Scalar) -> Bool { c.properties.isAlphabetic || c.properties.numericType != nil }
        let scalars = (0..<0x80).compactMap(Unicode.Scalar.init) + Self.samples().flatMap(\.unicodeScalars)
        for c in scalars {
            #expect(SentenceKey.isWordCharacter(c) == byProperties(c), "U+\(String(c.value, radix: 16))")
        }
    }
}
