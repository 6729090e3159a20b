import Foundation
import Testing

@testable import VoxgateCorpus
@testable import VoxgateLedger
@testable import VoxgatePipeline

/// The ledger's analyses read field by field (``ClipAnalysis/init(storedJSON:)``) are what `JSONDecoder` reads from
/// the same text, and any text the field reader does not take whole is left to `JSONDecoder`.
@Suite struct StoredAnalysisTests {
    /// `JSONDecoder`, as the ledger decoded every analysis before the field reader.
    static func decoded(_ text: String) throws -> ClipAnalysis {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(ClipAnalysis.self, from: Data(text.utf8))
    }

    /// Analyses with every optional field present and absent, every sidecar reading, non-finite levels, and doubles
    /// from the whole range (subnormal, huge, negative zero, shortest-digit edge cases).
    static func analyses(count: Int) -> [ClipAnalysis] {
        var rng = SystemRandomNumberGenerator()
        func double() -> Double {
            switch Int.random(in: 0..<8, using: &rng) {
            case 0:
                return [.infinity, -.infinity, .nan, -0.0, 0, .leastNonzeroMagnitude, .greatestFiniteMagnitude][
                    Int.random(in: 0..<7, using: &rng)]
            case 1:
                return Double(
                    bitPattern: UInt64.random(in: 0...UInt64.max, using: &rng) & ~(0x7FF << 52) | (0x3FF << 52))
            case 2: return Double(Int.random(in: -1000...1000, using: &rng)) / 100
            default: return Double.random(in: -150...60, using: &rng)
            }
        }
        func optional<T>(_ make: () -> T) -> T? { Bool.random(using: &rng) ? make() : nil }
        func text() -> String {
            ["", "plain", "Zażółć „gęślą“ jaźń", "quote \" back\\slash \n tab\t \r \u{2028}", "日本語の文 😀"][
                Int.random(in: 0..<5, using: &rng)]
        }
        return (0..<count).map { i in
            let signal = SignalMetrics(
                integratedLUFS: optional(double), maxMomentaryLUFS: optional(double),
                maxShortTermLUFS: optional(double),
                loudnessRangeLU: optional(double), truePeakDBTP: optional(double), clippedSampleRatio: double(),
                clippedRuns: Int.random(in: 0...100_000, using: &rng), speechSeconds: double(),
                leadingSilenceSeconds: double(), trailingSilenceSeconds: double(), hasSpeech: Bool.random(using: &rng),
                snrDB: optional(double))
            let measurement = ClipMeasurement(
                frames: Int.random(in: 0...(1 << 40), using: &rng), sampleRate: [8000, 16000, 44100, 48000][i % 4],
                channels: 1 + i % 3, container: ["wav", "ogg-opus", "mp3"][i % 3], contentExtension: "wav",
                encoding: "pcm_16", rmsDBFS: double(), samplePeakDBFS: double(), signal: signal,
                pcmXXH3: optional { "5d472a812ad87045b1f59baf4a5c47c0" }, fingerprint: [])
            var terms = Terms(license: optional { "CC-BY-4.0" })
            terms.attribution = optional(text)
            terms.regions = optional { ["EU", text()] }
            terms.purposes = optional { [] }
            terms.excludedUsers = optional { ["x"] }
            terms.price = optional(text)
            terms.conditions = optional(text)
            let meta = ClipMetadata(
                sentence: text(), clientID: "5b88888ab81de459", consent: Bool.random(using: &rng), terms: terms,
                attribution: optional(text), locale: optional { "de-AT" }, gender: optional { "female" },
                age: optional { "thirties" }, accent: optional(text),
                release: Bool.random(using: &rng) ? [:] : ["sentence_id": text(), "up_votes": "2"],
                splitPoint: optional(double))
            let sidecar: SidecarReading = [.missing, .invalid(text()), .valid(meta), .valid(meta)][i % 4]
            var analysis = ClipAnalysis(
                sidecar: sidecar, measurement: i % 5 == 0 ? nil : measurement, decodeFailure: optional(text),
                fileSHA256: optional { "267b7d83c5d489d8919c8d02a4d834237f65d177108f5861411ec0356eca6e11" })
            analysis.languageFindings = optional {
                [Finding(.languageMismatch, text()), Finding(.invalidMetadata, "")]
            }
            analysis.languageRevision = optional { "catalog-019588ad20c59b3e/lid-ace9ed19ed7c9131/checks-2" }
            return analysis
        }
    }

    @Test func fieldReaderReadsWhatJSONDecoderReads() throws {
        for analysis in Self.analyses(count: 2_000) {
            let text = analysis.ledgerJSON()
            let fast = try #require(ClipAnalysis(storedJSON: text), "not read field by field: \(text)")
            // Compared as the ledger's text: NaN is not equal to itself, and -0.0 equals 0.0.
            #expect(fast.ledgerJSON() == text)
            #expect(fast.ledgerJSON() == (try Self.decoded(text)).ledgerJSON())
            #expect(fast.measurement?.fingerprint ?? [] == [])
        }
    }

    /// Text the field reader does not take whole goes to `JSONDecoder`, which reads what its `Codable` accepts (an
    /// unknown key is ignored) and refuses the rest; the field reader never takes a text `JSONDecoder` refuses, nor
    /// reads one differently.
    @Test func anythingElseIsLeftToJSONDecoder() throws {
        let text = try #require(Self.analyses(count: 4).last).ledgerJSON()  // a valid sidecar
        let extraKey = "{\"addedLater\":1," + text.dropFirst()
        #expect(ClipAnalysis(storedJSON: extraKey) == nil)
        #expect((try ClipAnalysis(ledgerJSON: extraKey)).ledgerJSON() == text)
        let wrongType = text.replacingOccurrences(of: "\"consent\":", with: "\"consent\":\"yes\",\"was\":")
        #expect(ClipAnalysis(storedJSON: wrongType) == nil)
        #expect(throws: (any Error).self) { try ClipAnalysis(ledgerJSON: wrongType) }

        // A number that rounds to zero from digits that are not zero: JSONDecoder refuses it (found by the mutants).
        var exact = try #require(Self.analyses(count: 4).last)
        exact.measurement?.signal.clippedSampleRatio = 0.5
        let half = exact.ledgerJSON()
        #expect(half.contains("\"clippedSampleRatio\":0.5,"))
        let underflow = half.replacingOccurrences(of: ":0.5,", with: ":5e-624,")
        #expect(ClipAnalysis(storedJSON: underflow) == nil)
        #expect(throws: (any Error).self) { try Self.decoded(underflow) }
        let zero = half.replacingOccurrences(of: ":0.5,", with: ":0e-624,")
        #expect(try #require(ClipAnalysis(storedJSON: zero)).ledgerJSON() == (try Self.decoded(zero)).ledgerJSON())
        // A control character (which the strict parser refuses in any text) is read by JSONDecoder alone.
        var control = try #require(Self.analyses(count: 4).last)
        control.decodeFailure = "cannot read \u{1}"
        #expect(ClipAnalysis(storedJSON: control.ledgerJSON()) == nil)
        #expect((try ClipAnalysis(ledgerJSON: control.ledgerJSON())).ledgerJSON() == control.ledgerJSON())

        var rng = SystemRandomNumberGenerator()
        var taken = 0
        for analysis in Self.analyses(count: 300) {
            let bytes = Array(analysis.ledgerJSON().utf8)
            for _ in 0..<20 {
                var mutant = bytes
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    let at = Int.random(in: 0..<mutant.count, using: &rng)
                    mutant[at] = Array("{}[]\",:0123456789.-eEtrufalsn x_\\".utf8).randomElement(using: &rng)!
                }
                let text = String(decoding: mutant, as: UTF8.self)
                guard let fast = ClipAnalysis(storedJSON: text) else { continue }
                taken += 1
                let slow = try #require(
                    try? Self.decoded(text), "taken by the field reader, refused by JSONDecoder: \(text)")
                #expect(fast.ledgerJSON() == slow.ledgerJSON(), "\(text)")
            }
        }
        #expect(taken > 100)  // mutants inside strings and numbers are read, and compared
    }
}
