import Crypto
import Foundation
import Testing
import VoxgateCorpus

@testable import VoxgateOutputs

/// ``KeyedHMAC`` keys its HMAC once and starts every code from a copy: each code must equal a fresh HMAC's of the
/// joined message, under any key length (shorter than, equal to and longer than SHA-256's 64-byte block), and copies
/// used from several threads at once must not see each other's messages.
@Suite("Keyed HMAC")
struct KeyedHMACTests {
    static func reference(key: [UInt8], _ parts: [String]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Data(parts.joined().utf8), using: SymmetricKey(data: key)))
    }

    static func randomText(_ rng: inout SystemRandomNumberGenerator) -> String {
        let alphabet = Array("abcXYZ019-_ \u{0}é日本語🎙️\u{301}")
        return String((0..<Int.random(in: 0...90, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
    }

    @Test func everyCodeEqualsAFreshHMACOfTheJoinedMessage() {
        var rng = SystemRandomNumberGenerator()
        for length in [16, 32, 63, 64, 65, 100, 200] {
            let key = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let keyed = KeyedHMAC(key: key)
            for _ in 0..<60 {
                let parts = (0..<Int.random(in: 1...3, using: &rng)).map { _ in Self.randomText(&rng) }
                let code: [UInt8]
                switch parts.count {
                case 1: code = Array(keyed.code(parts[0]))
                case 2: code = Array(keyed.code(parts[0], parts[1]))
                default: code = Array(keyed.code(parts[0], parts[1], parts[2]))
                }
                #expect(code == Self.reference(key: key, parts), "key of \(length) bytes, parts \(parts)")
            }
            // Codes of one message twice, with others between: nothing of a message stays in the prepared state.
            #expect(Array(keyed.code("same")) == Array(keyed.code("same")))
        }
    }

    @Test func copiesUsedFromSeveralThreadsAtOnceDoNotMix() async {
        let key = (0..<32).map { UInt8($0 * 7 + 1) }
        let keyed = KeyedHMAC(key: key)
        let messages = (0..<400).map { "client-\($0)-" + String(repeating: "x", count: $0 % 97) }
        let expected = messages.map { Self.reference(key: key, ["withdrawal\u{0}", $0]) }
        let results = await withTaskGroup(of: [[UInt8]].self) { group in
            for _ in 0..<4 {
                group.addTask { messages.map { Array(keyed.code("withdrawal\u{0}", $0)) } }
            }
            var all: [[[UInt8]]] = []
            for await r in group { all.append(r) }
            return all
        }
        #expect(results.count == 4)
        for r in results { #expect(r == expected) }
    }

    /// The pseudonyms and withdrawal hashes a ledger holds are the HMACs they always were (a changed value would
    /// orphan every ledger's pseudonyms and recorded withdrawals).
    @Test func pseudonymsAndWithdrawalHashesKeepTheirValues() throws {
        let dir = try TestSupport.temporaryFolder("voxgate-keyed")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let key = (0..<32).map { UInt8(255 - $0) }
        try TestSupport.write(key.hexLowercased + "\n", to: dir + "/key")
        let speaker = try SpeakerPseudonym(keyPath: dir + "/key")
        #expect(Array(speaker("spk-1").utf8) == Array(Self.reference(key: key, ["spk-1"]).hexLowercased.utf8))
        let withdrawal = Self.reference(key: key, ["withdrawal-pseudonym\u{0}p"]).hexLowercased
        #expect(speaker.withdrawalHash(pseudonym: "p") == withdrawal)
        #expect(speaker.withdrawalHash(clientID: "c") == Self.reference(key: key, ["withdrawal\u{0}c"]).hexLowercased)
        #expect(speaker.keyID == Self.reference(key: key, ["voxgate key id"]).prefix(8).hexLowercased)
    }
}
