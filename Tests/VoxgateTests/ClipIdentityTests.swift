import Foundation
import GRDB
import Testing
import VoxgateCorpus
import VoxgateLedger
import VoxgateReport

@testable import VoxgateOutputs
@testable import VoxgateRun

/// A clip is its path: folders as contributors name them (`en-US`, `EN`, bare `sv`, `sr-Latn`, `zh`, NFC/NFD
/// twins, `index`, 245 bytes, non-UTF-8 names), real sentences of each language spoken by espeak-ng.
@Suite("Clip identity: the path as written, one decision per file")
struct ClipIdentityTests {
    /// A tree of `(path, espeak voice, sentence)` clips, each with a valid sidecar of its own speaker.
    static func tree(_ clips: [(path: String, voice: String, sentence: String)]) throws -> String {
        let root = try TestSupport.temporaryFolder("voxgate-identity")
        for (i, c) in clips.enumerated() {
            let path = root + "/" + c.path
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let speech = root + "/.speech.wav"
            defer { TestSupport.remove(speech) }
            try TestSupport.must("espeak-ng", ["-v", c.voice, "-w", speech, c.sentence])
            try TestSupport.must("sox", [speech, "-r", "16000", "-c", "1", "-b", "16", path, "norm", "-3"])
            let sidecar: [String: Any] = [
                "sentence": c.sentence, "client_id": "spk-\(i)", "consent": true, "license": "CC0-1.0",
            ]
            try JSONSerialization.data(withJSONObject: sidecar).write(
                to: URL(fileURLWithPath: (path as NSString).deletingPathExtension + ".json"))
        }
        return root
    }

    static func sentence(_ file: String, line: Int = 5) throws -> String {
        let text = try String(
            contentsOfFile: TestSupport.packageRoot + "/data/cv-sentences/\(file).txt", encoding: .utf8)
        return String(text.split(separator: "\n")[line - 1])
    }

    static func ingest(_ root: String, _ out: String) async throws -> IngestSummary {
        let key = out + ".key"
        if !FileManager.default.fileExists(atPath: key) {
            try TestSupport.write(String(repeating: "cd", count: 32), to: key)
        }
        return try await Ingest.run(
            IngestOptions(root: root, output: out, config: PipelineConfig(), jobs: 2, speakerKeyPath: key))
    }

    /// Every member name of every shard, per shard (GNU tar), and the shards read by Python's webdataset.
    static func checkShards(_ out: String) throws -> Int {
        var samples = 0
        for shard in try filesUnder(out).keys where shard.hasSuffix(".tar") {
            let names = try TestSupport.must("tar", ["-tf", out + "/" + shard]).split(separator: "\n").map(String.init)
            #expect(names.count == Set(names).count, "duplicate member in \(shard): \(names)")
            samples += names.count / 2
        }
        #expect(try ShardReader.read(output: out).samples.count == samples)  // webdataset refuses duplicates
        return samples
    }

    @Test func theIssueTreeGivesOneDecisionPerFileWithClipEqualToItsPath() async throws {
        let nfc = "en/caf\u{E9}.wav", nfd = "en/cafe\u{301}.wav"
        let root = try Self.tree([
            ("en/x.wav", "en", "The quick brown fox jumps over the lazy dog today."),
            ("en-US/x.wav", "en-us+f3", "A completely different recording of another sentence here."),
            ("EN/y.wav", "en+m2", "Yesterday the weather was cold and rainy in the hills."),
            ("en/y.wav", "en-gb-x-rp+f2", "She sells sea shells by the sea shore every summer."),
            (nfc, "en", "Coffee is served in the small cafe near the station."),
            (nfd, "en+f5", "My grandmother walked to the market every single morning."),
            ("sv/a.wav", "sv", try Self.sentence("sv-SE")), ("ga/a.wav", "ga", try Self.sentence("ga-IE")),
            ("hy/a.wav", "hy", try Self.sentence("hy-AM")), ("ne/a.wav", "ne", try Self.sentence("ne-NP")),
            ("pa/a.wav", "pa", try Self.sentence("pa-IN")),
            ("sr-Latn/a.wav", "sr", SerbianLatin.transliterate(try Self.sentence("sr"))),
            ("sr-Cyrl/a.wav", "sr", try Self.sentence("sr", line: 7)), ("zh/a.wav", "cmn", try Self.sentence("zh-CN")),
        ])
        let out = try TestSupport.temporaryFolder("voxgate-identity-out")
        defer { TestSupport.remove(root); TestSupport.remove(out); TestSupport.remove(out + ".key") }
        // The file system keeps both spellings of café (a file system that normalises would hold one).
        let onDisk = try FileManager.default.contentsOfDirectory(atPath: root + "/en").filter { $0.hasSuffix(".wav") }
        try #require(onDisk.count == 4, "\(onDisk)")

        let first = try await Self.ingest(root, out)
        let rows = try TestSupport.jsonLines(out + "/decisions.jsonl")
        #expect(first.clips == 14 && rows.count == 14 && first.decoded == 14)
        let byClip = Dictionary(rows.map { ($0["clip"] as! String, $0) }, uniquingKeysWith: { a, _ in a })
        let conflict = "en/cafe\\u{301}.wav"  // the NFD twin, shown escaped: its NFC path is the other's
        let expected = [
            "en/x.wav", "en-US/x.wav", "EN/y.wav", "en/y.wav", nfc, conflict, "sv/a.wav", "ga/a.wav", "hy/a.wav",
            "ne/a.wav", "pa/a.wav", "sr-Latn/a.wav", "sr-Cyrl/a.wav", "zh/a.wav",
        ]
        #expect(Set(byClip.keys) == Set(expected) && byClip.count == 14)
        for (clip, language) in [
            ("en/x.wav", "en"), ("en-US/x.wav", "en"), ("EN/y.wav", "en"), ("sv/a.wav", "sv-SE"), ("ga/a.wav", "ga-IE"),
            ("hy/a.wav", "hy-AM"), ("ne/a.wav", "ne-NP"), ("pa/a.wav", "pa-IN"), ("sr-Latn/a.wav", "sr"),
            ("sr-Cyrl/a.wav", "sr"),
        ] {
            #expect(byClip[clip]?["language"] as? String == language, "\(clip)")
            #expect(byClip[clip]?["status"] as? String == "accepted", "\(clip): \(byClip[clip]?["detail"] ?? "")")
        }
        #expect(byClip[nfc]?["status"] as? String == "accepted")
        #expect(byClip[conflict]?["reasons"] as? [String] == ["invalid_metadata"])
        #expect((byClip[conflict]?["detail"] as? String)?.contains("'en/caf\\u{e9}.wav'") == true)
        #expect(byClip["zh/a.wav"]?["reasons"] as? [String] == ["unknown_language"])
        #expect(
            (byClip["zh/a.wav"]?["detail"] as? String)?.contains(
                "zh-CN (Chinese (China)), zh-HK (Chinese (Hong Kong)), zh-TW (Chinese (Taiwan))") == true)
        #expect(try Self.checkShards(out) == 12)

        let again = try await Self.ingest(root, out)
        #expect(again.decoded == 0 && again.newShards == 0 && again.rewrittenShards == 0)
    }

    @Test func foldersNamedIndexDotsOrLongAndNamesThatAreNotUTF8() async throws {
        let long = String(repeating: "x", count: 245)
        let sentence = "The quick brown fox jumps over the lazy dog today."
        let root = try Self.tree([
            ("index/a.wav", "en", sentence), ("a..b/a.wav", "en+f3", "Another different sentence for this folder."),
            ("\(long)/a.wav", "en+m2", "Yet another sentence, spoken in a third voice."),
            ("en/a.wav", "en+f5", sentence),
        ])
        let out = try TestSupport.temporaryFolder("voxgate-identity-out")
        defer { TestSupport.remove(root); TestSupport.remove(out); TestSupport.remove(out + ".key") }
        try TestSupport.must(
            "python3",
            [
                "-c",
                "import os,sys,shutil; r=os.fsencode(sys.argv[1]); shutil.copy(r+b'/en/a.wav', r+b'/en/caf\\xe9.wav'); os.mkdir(r+b'/bad\\xff')",
                root,
            ])

        let first = try await Self.ingest(root, out)
        #expect(first.clips == 4)
        #expect(
            first.warnings.contains { $0.hasPrefix("en/caf\\xE9.wav: a file name that is not UTF-8") },
            "\(first.warnings)")
        #expect(first.warnings.contains { $0.hasPrefix("bad\\xFF: a folder or file name that is not UTF-8") })
        let rows = try TestSupport.jsonLines(out + "/decisions.jsonl")
        #expect(Set(rows.map { $0["clip"] as! String }) == ["index/a.wav", "a..b/a.wav", "\(long)/a.wav", "en/a.wav"])
        _ = try Self.checkShards(out)

        let report = try Report.write(output: out)
        let pages = try FileManager.default.contentsOfDirectory(atPath: report.folder)
        #expect(pages.count == 6 && pages.allSatisfy { $0.utf8.count <= 64 }, "\(pages)")  // index, 4 languages, json
        let overview = try String(contentsOfFile: report.folder + "/index.html", encoding: .utf8)
        for tag in ["index", "a..b", "en"] { #expect(overview.contains(">\(tag)<"), "\(tag) in the overview") }
        for name in try filesUnder(out).keys {
            #expect(name.split(separator: "/").allSatisfy { $0.utf8.count <= 100 }, "\(name)")
        }

        let again = try await Self.ingest(root, out)
        #expect(again.decoded == 0 && again.newShards == 0)
    }

    static func sql(_ statement: String, _ out: String) throws {
        try DatabaseQueue(path: out + "/" + Ledger.relativePath).write { try $0.execute(sql: statement) }
    }

    static func paths(_ out: String) throws -> [String] {
        try DatabaseQueue(path: out + "/" + Ledger.relativePath).read {
            try String.fetchAll($0, sql: "SELECT path FROM clip ORDER BY path")
        }
    }

    /// A folder whose ledger keyed clips by `<catalog tag>/<file>` (before this change): carried over.
    @Test func aLedgerOfCanonicalisedPathsIsCarriedOverWithoutDecodingOrDuplicates() async throws {
        let root = try Self.tree([
            ("es-MX/b.wav", "es", try Self.sentence("es")),
            ("sr-Latn/a.wav", "sr", SerbianLatin.transliterate(try Self.sentence("sr"))),
            ("EN/y.wav", "en", "She sells sea shells by the sea shore every summer."),
        ])
        let out = try TestSupport.temporaryFolder("voxgate-identity-out")
        defer { TestSupport.remove(root); TestSupport.remove(out); TestSupport.remove(out + ".key") }
        let first = try await Self.ingest(root, out)
        #expect(first.accepted == 3)
        let samples = try Self.checkShards(out)
        // What an earlier voxgate's ledger held for the same tree.
        for (old, new) in [("es/b.wav", "es-MX/b.wav"), ("sr/a.wav", "sr-Latn/a.wav"), ("en/y.wav", "EN/y.wav")] {
            try Self.sql("UPDATE clip SET path = '\(old)' WHERE path = '\(new)'", out)
        }
        TestSupport.remove(out + "/" + LegacyClipPaths.markerFile)

        let carried = try await Self.ingest(root, out)
        #expect(carried.decoded == 0 && carried.newShards == 0 && carried.rewrittenShards == 0)
        #expect(try Self.checkShards(out) == samples)
        let paths = try Self.paths(out)
        #expect(paths == ["EN/y.wav", "es-MX/b.wav", "sr-Latn/a.wav"])
        let rows = try TestSupport.jsonLines(out + "/decisions.jsonl")
        #expect(
            rows.map { $0["clip"] as! String }.sorted() == paths
                && rows.allSatisfy { $0["status"] as? String == "accepted" })
        #expect(FileManager.default.fileExists(atPath: out + "/" + LegacyClipPaths.markerFile))

        let again = try await Self.ingest(root, out)
        #expect(again.decoded == 0 && again.newShards == 0 && again.rewrittenShards == 0)
    }
}
