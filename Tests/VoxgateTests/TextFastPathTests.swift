import Foundation
import Testing

@testable import VoxgateCorpus
@testable import VoxgateOutputs

/// The byte-level JSON string escaping, the NFC shortcut of sentence keys and the hex table give exactly what their
/// plain definitions give (the outputs are byte-identical to earlier releases'; sentence keys decide duplicates and
/// splits; hex digests and keyed hashes are compared with those the ledger recorded).
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
        func escaped(_ s: String) -> String {
            var out: [UInt8] = []
            JSONText.escape(s, into: &out)
            return String(decoding: out, as: UTF8.self)
        }
        for s in Self.samples() {
            let out = escaped(s)
            #expect(out == Self.referenceEscape(s), "escaping \(s.debugDescription)")
            let parsed = try JSONSerialization.jsonObject(with: Data(out.utf8), options: .fragmentsAllowed) as? String
            #expect(parsed == s, "round trip of \(s.debugDescription)")
        }
        #expect(escaped("a\u{2028}b\u{1}\"") == "\"a\\u2028b\\u0001\\\"\"")
    }

    @Test func sentenceKeysMatchFoundationsNormalForm() {
        for s in Self.samples() {
            #expect(SentenceKey.nfc(s) == s.precomposedStringWithCanonicalMapping, "NFC of \(s.debugDescription)")
        }
        #expect(SentenceKey.normalise("Cafe\u{301}, CAFÉ!  café") == "café café café")
        #expect(SentenceKey.normalise("  Hello,   World 42 ") == "hello world 42")
    }

    /// The one-pass key is the definition's: on every sample, on every scalar it takes between and before letters,
    /// and on the text it leaves to the definition (a combining word character after punctuation stays on its space).
    @Test func sentenceKeysInOnePassMatchTheDefinition() {
        let taken = (0..<0x300).compactMap(Unicode.Scalar.init) + (0x2010...0x205E).compactMap(Unicode.Scalar.init)
        var texts = Self.samples()
        for c in taken { texts += ["a\(c)B", "\(c)x", "Ab \(c)\(c) 9\(c)"] }
        texts += ["Zażółć gęślą jaźń", "„Ça va?“ – ÉTÉ", "İstanbul ΣΟΦΟΣ", "क ा", "x\u{93E}", "a \u{301}b"]
        var fast = 0
        for text in texts.map(SentenceKey.nfc) {
            #expect(SentenceKey.normalise(text) == SentenceKey.byCharacters(text), "\(text.debugDescription)")
            if SentenceKey.byScalars(text) != nil { fast += 1 }
        }
        #expect(fast > texts.count / 2)  // the one pass is taken, not only the fallback
        #expect(SentenceKey.byScalars("क ा") == nil)
    }

    /// Every ASCII scalar is a word character exactly when Unicode's properties say so, and so is every sample's.
    @Test func wordCharactersMatchTheUnicodeProperties() {
        func byProperties(_ c: Unicode.Scalar) -> Bool { c.properties.isAlphabetic || c.properties.numericType != nil }
        let scalars = (0..<0x80).compactMap(Unicode.Scalar.init) + Self.samples().flatMap(\.unicodeScalars)
        for c in scalars {
            #expect(SentenceKey.isWordCharacter(c) == byProperties(c), "U+\(String(c.value, radix: 16))")
        }
    }

    /// Every byte value, in every position, and digests and keyed hashes of any length: the table's hex is
    /// `String(format: "%02x")` per byte, the formatter it replaced.
    @Test func hexMatchesTheFormatter() {
        func reference(_ bytes: some Sequence<UInt8>) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
        let all = (0...255).map { UInt8($0) }
        #expect(all.hexLowercased == reference(all))
        #expect(all.reversed().hexLowercased == reference(all.reversed()))
        #expect([UInt8]().hexLowercased == "")
        var rng = SystemRandomNumberGenerator()
        for n in [1, 4, 8, 16, 32, 33, 1_000] {
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            #expect(bytes.hexLowercased == reference(bytes))
            #expect(bytes.withUnsafeBytes { $0.hexLowercased } == reference(bytes))
            #expect(bytes.prefix(4).hexLowercased == reference(bytes.prefix(4)))
        }
    }
}
