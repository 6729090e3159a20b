import Foundation
import Testing
import VoxgateAudio

@testable import VoxgateCorpus

/// The readers of uploaded text (sidecar JSON, withdrawals.txt) and the sniffer's description of what
/// is not audio: strict, and precise about what is wrong where.
@Suite("untrusted text")
struct UntrustedTextTests {
    @Test func duplicateKeyIsNamed() {
        #expect(throws: StrictJSON.Failure.self) { try StrictJSON.parse(Array(#"{"a": 1, "a": 2}"#.utf8)) }
        do { _ = try StrictJSON.parse(Array(#"{"consent": true, "x": {"y": 1}, "consent": false}"#.utf8)) } catch {
            #expect(error.message.contains(#"the key "consent" appears twice"#), "\(error)")
        }
        // The same key in different objects is fine.
        #expect(throws: Never.self) { try StrictJSON.parse(Array(#"{"a": {"a": 1}, "b": [{"a": 2}]}"#.utf8)) }
    }

    @Test(arguments: [
        (#"{"s": "a\u0000"}"#, "U+0"), (#"{"s": "a\u001f"}"#, "U+1F"), (#"{"s": "a\b"}"#, "control"),
        ("{\"s\": \"a\u{01}\"}", "control byte 0x01"), (#"{"s": "\ud800"}"#, "surrogate"),
        ("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", "nest"),
        (#"{"s": 1} x"#, "after the JSON value"), (#"{"s": 01}"#, "expected ',' or '}'"),
        (#"{"s": tru}"#, "expected true"),
    ])
    func rejectsWithTheReason(json: String, words: String) {
        do {
            let v = try StrictJSON.parse(Array(json.utf8))
            Issue.record("accepted \(json) as \(v)")
        } catch { #expect(error.message.contains(words), "\(json): \(error)") }
    }

    @Test func invalidUTF8IsLocated() {
        let bytes = Array(#"{"sentence": "caf"#.utf8) + [0xE9] + Array(#""}"#.utf8)
        do { _ = try StrictJSON.parse(bytes) } catch {
            #expect(error.message == "byte 0xE9 is not UTF-8 at byte 17", "\(error)")
        }
    }

    /// Strings read whole (printable ASCII up to the quote) or byte by byte from the first other byte give what
    /// Foundation's parser gives, and a control or non-UTF-8 byte after a printable run is located exactly.
    @Test func stringsReadBackAsJSONSerializationReadsThem() throws {
        let pieces = [
            "a", "Z", " ", "~", "/", #"\""#, #"\\"#, #"\/"#, #"\n"#, #"\t"#, #"\u00e9"#, #"\ud83d\ude00"#, "é", "日",
            "😀", "\u{7E}",
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3_000 {
            let body = (0..<Int.random(in: 0...10, using: &generator)).map { _ in pieces.randomElement()! }.joined()
            let json = #"{"s": ""# + body + #"", "t": [""# + body + #""]}"#
            let strict = try StrictJSON.parse(Array(json.utf8))
            let foundation = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
            let expected = foundation["s"] as! String
            #expect(strict == .object(["s": .string(expected), "t": .array([.string(expected)])]), "\(json)")
        }
        for (bytes, message) in [
            (
                Array(#"["abc"#.utf8) + [0x01] + Array(#""]"#.utf8),
                "control byte 0x01 (not allowed in text) in a string at byte 5"
            ),
            (
                Array(#"["abc"#.utf8) + [0x7F] + Array(#""]"#.utf8),
                "control byte 0x7F (not allowed in text) in a string at byte 5"
            ),
            (Array(#"["abc"#.utf8) + [0xFF] + Array(#""]"#.utf8), "byte 0xFF is not UTF-8 at byte 5"),
            (Array(#"["abc"#.utf8), "the JSON ends inside a string at byte 5"),
        ] {
            do {
                let v = try StrictJSON.parse(bytes)
                Issue.record("accepted \(bytes) as \(v)")
            } catch { #expect(error.message == message) }
        }
    }

    /// Integers of up to 15 digits are read without building text; every number still equals what Swift's own
    /// parsing of its text gives, sign of zero included, and longer integers, fractions and exponents go that way.
    @Test func numbersReadAsTheirTextParses() throws {
        var generator = SystemRandomNumberGenerator()
        var texts = [
            "0", "-0", "7", "-7", "999999999999999", "-999999999999999", "1000000000000000", "9007199254740993",
            "-9007199254740993", "123456789012345678901234567890", "0.5", "-0.0", "1e3", "-1E-3", "12.5e+2",
            "4.9e-324", "1.7976931348623157e308",
        ]
        for _ in 0..<2_000 {
            let digits = Int.random(in: 1...18, using: &generator)
            var text = String(Int.random(in: 1...9, using: &generator))
            for _ in 1..<digits { text += String(Int.random(in: 0...9, using: &generator)) }
            texts.append(Bool.random(using: &generator) ? "-" + text : text)
            texts.append(text + "." + String(Int.random(in: 0...999_999, using: &generator)))
        }
        for text in texts {
            let parsed = try StrictJSON.parse(Array("[\(text)]".utf8))
            guard case .array(let items) = parsed, case .number(let x)? = items.first, let expected = Double(text)
            else {
                Issue.record("\(text) read as \(parsed)")
                continue
            }
            #expect(x == expected && x.sign == expected.sign, "\(text): \(x), not \(expected)")
        }
    }

    /// An object's repeated key is found whether the object is small (its members compared) or large (checked
    /// with a dictionary past 16 members), in the same canonical-equivalence sense as a dictionary's keys; objects
    /// nested at any point of a large or small object come out whole.
    @Test func objectsOfAnySizeAreReadWholeAndRepeatsRefused() throws {
        for size in [1, 2, 15, 16, 17, 18, 40] {
            let keys = (0..<size).map { "k\($0)" }
            let members = keys.enumerated().map { n, key in
                n % 5 == 3 ? #""\#(key)": {"k0": [\#(n), {"k1": \#(n)}], "inner": true}"# : #""\#(key)": \#(n)"#
            }
            let parsed = try StrictJSON.parse(Array(("{" + members.joined(separator: ", ") + "}").utf8))
            var expected: [String: JSONValue] = [:]
            for (n, key) in keys.enumerated() {
                expected[key] =
                    n % 5 == 3
                    ? .object([
                        "k0": .array([.number(Double(n)), .object(["k1": .number(Double(n))])]), "inner": .bool(true),
                    ]) : .number(Double(n))
            }
            #expect(parsed == .object(expected), "size \(size)")
            for repeated in [0, size / 2, size - 1] {
                let json = "{" + members.joined(separator: ", ") + #", "\#(keys[repeated])": null}"#
                do {
                    let v = try StrictJSON.parse(Array(json.utf8))
                    Issue.record("size \(size): accepted a repeat of \(keys[repeated]) as \(v)")
                } catch {
                    #expect(error.message.hasPrefix(#"the key "\#(keys[repeated])" appears twice"#), "\(error)")
                }
            }
            // "é" precomposed and decomposed are one key to a dictionary, so one key here, small object or large.
            let accents = #""\u00e9": 1, "e\u0301": 2"#
            let json = "{" + (members + [accents]).joined(separator: ", ") + "}"
            #expect(throws: StrictJSON.Failure.self, "size \(size)") { try StrictJSON.parse(Array(json.utf8)) }
        }
    }

    @Test func parsesWhatJSONSerializationParses() throws {
        let text =
            #"{"sentence": "Grüße, \"du\" \u00e9 \ud83d\ude00\n", "n": -1.5e3, "t": true, "f": false, "z": null, "a": []}"#
        let v = try StrictJSON.parse(Array(text.utf8))
        guard case .object(let o) = v else { Issue.record("not an object"); return }
        #expect(o["sentence"] == .string("Grüße, \"du\" é 😀\n"))
        #expect(o["n"] == .number(-1500))
        #expect(o["t"] == .bool(true) && o["f"] == .bool(false) && o["z"] == .null && o["a"] == .array([]))
    }

    @Test func withdrawalsCommentsAndQuotes() throws {
        let text = """
            # whole-line comment
            spk-1  # GDPR request
              spk-2
            "#spk-3"   # an id that starts with #
            "spk \\"4\\""
            spk-5#no-space

            """
        #expect(try WithdrawalsFile.parse(Array(text.utf8)) == ["spk-1", "spk-2", "#spk-3", "spk \"4\"", "spk-5"])
    }

    @Test func withdrawalsBadBytesAreLocated() {
        for (bytes, words) in [
            (
                Array("spk-1\nsp".utf8) + [0x00] + Array("k\n".utf8),
                "line 2: byte 0x00 at column 3 is a control character"
            ),
            (Array("spk-".utf8) + [0xFF], "line 1: byte 0xFF at column 5 is not UTF-8"),
            (Array("\"spk".utf8), "line 1: a quoted id without its closing quote"),
        ] {
            do {
                let ids = try WithdrawalsFile.parse(bytes)
                Issue.record("accepted: \(ids)")
            } catch { #expect(error.message == words, "\(error.message)") }
        }
    }

    @Test func notAudioIsDescribedNeverShown() {
        #expect(ContentSniffer.describe(Array("root:x:0:0:root:/root:/bin/bash\n".utf8)) == "text")
        #expect(
            ContentSniffer.describe(Array("-----BEGIN OPENSSH PRIVATE KEY-----".utf8)) == "a PEM key or certificate")
        #expect(ContentSniffer.describe(Array("SQLite format 3\u{0}".utf8)) == "an SQLite database")
        #expect(ContentSniffer.describe(Array("{\"a\": 1}".utf8)) == "JSON or other text")
        #expect(ContentSniffer.describe([0x00, 0x8F, 0x13, 0x37, 0xFE]) == "binary data of no known type")
        #expect(ContentSniffer.describe([UInt8]([0x29])) == "text")
    }

    @Test func regularFilesOnly() throws {
        let dir = try TestSupport.temporaryFolder()
        defer { TestSupport.remove(dir) }
        #expect(mkfifo(dir + "/pipe", 0o644) == 0)
        // Opening a FIFO with no writer would block forever; it is refused at once.
        do { _ = try RegularFile.open(dir + "/pipe") } catch { #expect(error.message.contains("named pipe")) }
        do { _ = try RegularFile.open("/dev/zero") } catch { #expect(error.message.contains("character device")) }
        do { _ = try RegularFile.contents("/dev/zero", limit: 10) } catch {
            #expect(error.message.contains("character device"))
        }
        try TestSupport.write("12345678901", to: dir + "/f")
        do { _ = try RegularFile.contents(dir + "/f", limit: 10) } catch {
            #expect(error.message.contains("more than"))
        }
        #expect(try RegularFile.contents(dir + "/f", limit: 11) == Data("12345678901".utf8))
    }
}
