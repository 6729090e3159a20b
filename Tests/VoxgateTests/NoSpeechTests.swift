import Foundation
import Testing

/// Issue 16: a full-scale clipped square wave was reported only as `silent: no speech detected`. It holds no
/// speech (a steady tone has none of the rise and fall of syllables), so it stays `silent`, but the detail says it
/// is a tone or noise, not silence, and `too_loud` and `clipped` are reported too. Quiet hiss is still plain
/// `silent`.
@Suite("A loud tone without speech is named as a tone, too loud and clipped")
struct NoSpeechTests {
    @Test func aClippedSquareWaveIsAToneTooLoudAndClipped() async throws {
        let corpus = try CorpusFixture(clips: [("en/one.wav", 300, 2.0, ["-b", "16"])])
        defer { corpus.remove() }
        let en = corpus.root + "/en/"
        try TestSupport.must(
            "sox",
            [
                "-n", "-r", "16000", "-c", "1", "-b", "16", en + "square.wav", "synth", "3", "square", "440", "gain",
                "+6",
            ])
        try TestSupport.must(
            "sox",
            ["-n", "-r", "16000", "-c", "1", "-b", "16", en + "hiss.wav", "synth", "3", "whitenoise", "vol", "0.005"])
        for name in ["square", "hiss"] {
            try TestSupport.write(TestSupport.sidecar(sentence: name, client: "spk-7"), to: en + name + ".json")
        }
        let (_, out) = try await corpus.ingest(jobs: 1)
        defer { TestSupport.remove(out) }
        let rows = try TestSupport.jsonLines(out + "/decisions.jsonl")
        let square = try #require(rows.first { $0["clip"] as? String == "en/square.wav" })
        #expect(square["reasons"] as? [String] == ["silent", "too_loud", "clipped"], "\(square)")
        let detail = square["detail"] as? String ?? ""
        #expect(detail.contains("a steady tone, hum or noise") && !detail.contains("only silence"), "\(detail)")
        let hiss = try #require(rows.first { $0["clip"] as? String == "en/hiss.wav" })
        #expect(hiss["reasons"] as? [String] == ["silent"], "\(hiss)")
        #expect((hiss["detail"] as? String ?? "").contains("only silence or noise"), "\(hiss)")
        #expect(rows.first { $0["clip"] as? String == "en/one.wav" }?["status"] as? String == "accepted")
    }
}
