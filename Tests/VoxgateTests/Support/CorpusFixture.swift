import Foundation
import VoxgateCorpus
import VoxgateOutputs
import VoxgateRun

/// A small upload tree of speech clips: espeak-ng speech of its own per clip (words and voice chosen by the
/// clip's key `hz`), looped to the wanted length at a gain of its own (0.2 + hz/10 000), so every clip is speech
/// and none is a copy of another, not even a near-duplicate recording.
struct CorpusFixture {
    let root: String
    static let voices = ["en", "en-us+f3", "en-gb-scotland+m3", "en+f5", "en-us+m7", "en-gb-x-rp+f2", "en+m2"]
    /// 31 sentences: a key picks one by `hz % 31` and a voice by `hz / 31`, so keys that differ by less than 31
    /// never share a sentence, and those that do (rarely, within one test) differ in voice.
    static let sentences =
        FingerprintFixtures.moreSentences + FingerprintFixtures.sentences + [
            "Seven swans were swimming slowly across the lake."
        ]

    /// The sentence and voice of the clip keyed `hz`.
    static func speech(_ hz: Int) -> (text: String, voice: String) {
        (sentences[hz % sentences.count], voices[hz / sentences.count % voices.count])
    }

    /// - Parameters:
    ///   - clips: `(relative path, key, seconds, sox output args)`; each gets a valid sidecar.
    ///   - root: an existing upload tree to add the clips to (nil: a new one).
    ///   - firstIndex: the index of the first clip (its sentence is `sentence <i>`, its speaker `spk-<i % 3>`).
    init(
        clips: [(path: String, hz: Int, seconds: Double, args: [String])], into existing: String? = nil,
        firstIndex: Int = 0
    ) throws {
        root = try existing ?? TestSupport.temporaryFolder("voxgate-uploads")
        for (offset, c) in clips.enumerated() {
            let i = firstIndex + offset
            let path = root + "/" + c.path
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let speech = root + "/.speech-\(i).wav"
            defer { TestSupport.remove(speech) }
            let (text, voice) = Self.speech(c.hz)
            try TestSupport.must("espeak-ng", ["-v", voice, "-w", speech, text])
            try TestSupport.must(
                "sox",
                [speech, "-r", "16000", "-c", "1"] + c.args
                    + [
                        path, "norm", "-3", "repeat", "30", "trim", "0", String(c.seconds), "vol",
                        String(0.2 + Double(c.hz) / 10_000),
                    ])
            let stem = (path as NSString).deletingPathExtension
            try TestSupport.write(
                TestSupport.sidecar(sentence: "sentence \(i)", client: "spk-\(i % 3)"), to: stem + ".json")
        }
    }

    /// Six clips in two languages, three formats, one licence each.
    static func standard() throws -> CorpusFixture {
        try CorpusFixture(clips: [
            ("en/one.wav", 300, 1.5, ["-b", "16"]),
            ("en/two.flac", 350, 2.0, []),
            ("en/three.wav", 400, 1.2, ["-b", "24"]),
            ("en/four.flac", 450, 1.7, []),
            ("de/eins.wav", 500, 1.4, ["-b", "16"]),
            ("de/zwei.flac", 550, 1.9, []),
        ])
    }

    func remove() { TestSupport.remove(root) }

    /// Runs an ingest into a fresh folder with a fixed speaker key. The caller removes the folder it returns; a
    /// fresh folder of a run that throws is removed here (the caller never gets it).
    func ingest(jobs: Int, config: PipelineConfig = PipelineConfig(), output: String? = nil) async throws
        -> (summary: IngestSummary, output: String)
    {
        let out = try output ?? TestSupport.temporaryFolder("voxgate-out")
        do {
            let key = root + "/../voxgate-test-speaker.key"
            if !FileManager.default.fileExists(atPath: key) {
                try TestSupport.write(String(repeating: "ab", count: 32), to: key)
            }
            let summary = try await Ingest.run(
                IngestOptions(root: root, output: out, config: config, jobs: jobs, speakerKeyPath: key))
            return (summary, out)
        } catch {
            if output == nil { TestSupport.remove(out) }
            throw error
        }
    }
}

/// The files of an output folder that make up the release: everything but the operator's private state
/// (`.voxgate/`, the ledger, and the lock).
func filesUnder(_ folder: String) throws -> [String: Data] {
    var files: [String: Data] = [:]
    let fm = FileManager.default
    for case let relative as String in fm.enumerator(atPath: folder)! {
        var isDir: ObjCBool = false
        if relative != ".voxgate.lock", !relative.hasPrefix(".voxgate/"), relative != ".voxgate",
            fm.fileExists(atPath: folder + "/" + relative, isDirectory: &isDir),
            !isDir.boolValue
        {
            files[relative] = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + relative))
        }
    }
    return files
}
