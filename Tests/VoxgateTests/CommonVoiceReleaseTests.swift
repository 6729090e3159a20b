import Foundation
import Testing
import VoxgateCorpus
import VoxgateOutputs
import VoxgateRun

@Suite("Common Voice releases as input", .serialized)
struct CommonVoiceReleaseTests {
    static let release = TestSupport.packageRoot + "/TestAudio/common-voice"

    func ingest(_ root: String, buckets: [String]? = nil) async throws -> (String, [String: [String: Any]]) {
        let out = try TestSupport.temporaryFolder("voxgate-cv")
        var input = InputOptions()
        if let buckets { input.commonVoiceBuckets = buckets }
        _ = try await Ingest.run(
            IngestOptions(root: root, output: out, config: PipelineConfig(), jobs: 2, input: input))
        let lines = try TestSupport.jsonLines(out + "/decisions.jsonl")
        return (out, Dictionary(uniqueKeysWithValues: lines.map { ($0["clip"] as! String, $0) }))
    }

    @Test func layoutIsRecognisedByItsFilesNotItsName() throws {
        #expect(try InputLayouts.scan(root: Self.release).layout == "common-voice")
        #expect(try InputLayouts.scan(root: Self.release + "/eu").layout == "common-voice")
        #expect(try InputLayouts.scan(root: TestSupport.testAudioUploads).layout == "upload-tree")
    }

    @Test func releaseRowsBecomeDecisionsWithTheirMetadataChecked() async throws {
        let (out, d) = try await ingest(Self.release)
        defer { TestSupport.remove(out) }
        #expect(
            d.keys.sorted() == [
                "cy/clips/common_voice_cy_1000001.mp3", "cy/clips/common_voice_cy_1000002.mp3",
                "cy/clips/common_voice_cy_1000003.mp3", "cy/clips/common_voice_cy_1000004.mp3",
                "eu/clips/common_voice_eu_2000001.mp3", "eu/clips/common_voice_eu_2000002.mp3",
            ])  // the missing file has no decision; the unlisted clip is not ingested
        func reasons(_ clip: String) -> [String] { d["cy/clips/\(clip)"]?["reasons"] as? [String] ?? ["?"] }
        #expect(reasons("common_voice_cy_1000001.mp3") == [])
        #expect(reasons("common_voice_cy_1000002.mp3") == [])  // quote characters are text, not quoting
        #expect(reasons("common_voice_cy_1000003.mp3") == ["invalid_metadata"])  // a stray tab
        #expect(reasons("common_voice_cy_1000004.mp3") == ["invalid_metadata"])  // an empty sentence
        #expect((d["cy/clips/common_voice_cy_1000003.mp3"]?["detail"] as? String)?.contains("14 fields") == true)
        #expect(d["eu/clips/common_voice_eu_2000001.mp3"]?["language"] as? String == "eu")
        #expect(d["cy/clips/common_voice_cy_1000001.mp3"]?["sample_rate"] as? Int == 32000)

        let shards = try ShardReader.read(output: out)
        let quoted = try #require(shards.samples["cy/clips/common_voice_cy_1000002.mp3"])
        #expect(quoted.json["sentence"] as? String == #"Dywedodd hi "bore da" wrtho."#)
        #expect(quoted.json["license"] as? String == "CC0-1.0")
        let release = quoted.json["release"] as? [String: String]
        #expect(release?["bucket"] == "validated" && release?["up_votes"] == "3" && release?["down_votes"] == "1")
    }

    @Test func auditComparesDeclaredDurationsAndListsMissingFiles() async throws {
        let (out, _) = try await ingest(Self.release)
        defer { TestSupport.remove(out) }
        let audit =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: out + "/audit.json"))) as! [String: Any]
        #expect(audit["clips_compared"] as? Int == 6)
        let disagreements = audit["disagreements"] as! [[String: Any]]
        #expect(disagreements.map { $0["clip"] as? String } == ["cy/clips/common_voice_cy_1000004.mp3"])
        #expect(disagreements.first?["declared_ms"] as? Int == 0)
        #expect(audit["missing_files"] as? [String] == ["cy/clips/common_voice_cy_1000099.mp3"])
    }

    @Test func bucketsChooseWhichTSVsAreIngested() async throws {
        let (out, d) = try await ingest(Self.release, buckets: ["validated"])
        defer { TestSupport.remove(out) }
        #expect(d.count == 4)
        #expect(d["cy/clips/common_voice_cy_1000003.mp3"] == nil)
    }

    @Test func aLocaleFolderIsARootToo() async throws {
        let (out, d) = try await ingest(Self.release + "/eu")
        defer { TestSupport.remove(out) }
        #expect(d.keys.sorted() == ["clips/common_voice_eu_2000001.mp3", "clips/common_voice_eu_2000002.mp3"])
        #expect(d.values.allSatisfy { $0["language"] as? String == "eu" && $0["status"] as? String == "accepted" })
    }

    @Test func unknownBucketsAreRefused() {
        var input = InputOptions()
        input.commonVoiceBuckets = ["validated", "reported"]
        #expect(throws: RunError.self) { try InputLayouts.scan(root: Self.release, options: input) }
    }
}
