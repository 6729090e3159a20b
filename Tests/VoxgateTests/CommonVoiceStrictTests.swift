import Foundation
import Testing

@testable import VoxgateCorpus
@testable import VoxgateOutputs
@testable import VoxgateRun

/// Issue 23 rows 5–9: a Common Voice release's TSVs are parsed strictly (BOM, UTF-8, control characters,
/// duplicated columns, unusable duration rows), and a folder named like a clip is named as one.
@Suite("Common Voice TSVs are parsed strictly", .serialized)
struct CommonVoiceStrictTests {
    /// A copy of the test release's `cy` locale whose `validated.tsv` is `edit`ed (bytes in, bytes out).
    static func locale(_ edit: (inout [UInt8]) -> Void) throws -> String {
        let dir = try TestSupport.temporaryFolder("voxgate-cvstrict")
        try TestSupport.must("cp", ["-a", CommonVoiceReleaseTests.release + "/cy", dir + "/cy"])
        let path = dir + "/cy/validated.tsv"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        edit(&bytes)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return dir + "/cy"
    }

    static func run(_ root: String) async throws -> (IngestSummary, [String: [String: Any]], String) {
        let out = try TestSupport.temporaryFolder("voxgate-cvstrict-out")
        let summary = try await Ingest.run(IngestOptions(root: root, output: out, config: PipelineConfig(), jobs: 2))
        let lines = try TestSupport.jsonLines(out + "/decisions.jsonl")
        return (summary, Dictionary(uniqueKeysWithValues: lines.map { ($0["clip"] as! String, $0) }), out)
    }

    static func replace(_ bytes: inout [UInt8], _ old: String, _ new: [UInt8]) {
        let o = Array(old.utf8)
        guard let i = (0...(bytes.count - o.count)).first(where: { Array(bytes[$0..<$0 + o.count]) == o }) else {
            Issue.record("'\(old)' not in the TSV")
            return
        }
        bytes.replaceSubrange(i..<i + o.count, with: new)
    }

    // Row 5: a byte-order mark is skipped, as Python's utf-8-sig does.
    @Test func aByteOrderMarkIsSkipped() async throws {
        let root = try Self.locale { $0.insert(contentsOf: [0xEF, 0xBB, 0xBF], at: 0) }
        let (_, d, out) = try await Self.run(root)
        defer { TestSupport.remove((root as NSString).deletingLastPathComponent); TestSupport.remove(out) }
        #expect(d["clips/common_voice_cy_1000001.mp3"]?["reasons"] as? [String] == [])
        #expect(d["clips/common_voice_cy_1000002.mp3"]?["reasons"] as? [String] == [])
    }

    // Row 6: a byte that is not UTF-8, or a NUL, in a sentence: invalid_metadata naming the byte and its position.
    @Test(arguments: [[UInt8(0xFF)], [UInt8(0x00)]])
    func aBadByteInASentenceIsInvalidMetadata(byte: [UInt8]) async throws {
        let root = try Self.locale { Self.replace(&$0, "braf", [UInt8(ascii: "b")] + byte + Array("af".utf8)) }
        let (_, d, out) = try await Self.run(root)
        defer { TestSupport.remove((root as NSString).deletingLastPathComponent); TestSupport.remove(out) }
        let bad = d["clips/common_voice_cy_1000001.mp3"]
        #expect(bad?["reasons"] as? [String] == ["invalid_metadata"])
        let detail = bad?["detail"] as? String ?? ""
        #expect(
            detail.contains("row 2") && detail.contains(byte == [0] ? "U+0000" : "0xFF") && detail.contains("at byte"),
            "\(detail)")
        #expect(d["clips/common_voice_cy_1000002.mp3"]?["reasons"] as? [String] == [])
        // Nothing with U+FFFD or U+0000 reaches a shard.
        for (_, sample) in try ShardReader.read(output: out).samples {
            let sentence = sample.json["sentence"] as? String ?? ""
            #expect(!sentence.contains("\u{FFFD}") && !sentence.contains("\u{0}"))
        }
    }

    // Row 7: a header naming `sentence` twice: the file is refused, its clips not released and reported.
    @Test func aDuplicatedColumnRefusesTheFile() async throws {
        let root = try Self.locale { Self.replace(&$0, "sentence_domain", Array("sentence".utf8)) }
        let (summary, d, out) = try await Self.run(root)
        defer { TestSupport.remove((root as NSString).deletingLastPathComponent); TestSupport.remove(out) }
        for clip in ["clips/common_voice_cy_1000001.mp3", "clips/common_voice_cy_1000002.mp3"] {
            #expect(d[clip]?["reasons"] as? [String] == ["invalid_metadata"])
            #expect(
                (d[clip]?["detail"] as? String)?.contains("names the column 'sentence' twice (columns 4 and 5)") == true
            )
        }
        #expect(summary.warnings.contains { $0.contains("validated.tsv is refused") && $0.contains("'sentence'") })
    }

    // Row 8: unusable clip_durations.tsv rows are counted and named in audit.json and the warnings.
    @Test func unusableDurationRowsAreReported() async throws {
        let root = try Self.locale { _ in }
        let durations = root + "/clip_durations.tsv"
        let text = try String(contentsOfFile: durations, encoding: .utf8)
        try TestSupport.write(
            text + "common_voice_cy_1000005.mp3\tabc\ncommon_voice_cy_1000003.mp3\t-5\nnot_in_clips.mp3\t1200\n",
            to: durations)
        let (summary, _, out) = try await Self.run(root)
        defer { TestSupport.remove((root as NSString).deletingLastPathComponent); TestSupport.remove(out) }
        let audit =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/audit.json")))
            as! [String: Any]
        #expect(audit["unusable_duration_rows"] as? Int == 3)
        let named = audit["unusable_duration_rows_first"] as? [String] ?? []
        #expect(named.count == 3 && named[0].contains("row 6") && named[0].contains("'abc'"), "\(named)")
        #expect(named[2].contains("not_in_clips.mp3") && named[2].contains("not in clips/"))
        #expect(summary.warnings.contains { $0.contains("clip_durations.tsv: 3 row(s) unusable") })
    }

    // Row 9: a folder named like a clip is "a folder, not an audio file".
    @Test func aFolderNamedLikeAClipIsNamedAsAFolder() async throws {
        let root = try Self.locale { _ in }
        try FileManager.default.removeItem(atPath: root + "/clips/common_voice_cy_1000001.mp3")
        try FileManager.default.createDirectory(
            atPath: root + "/clips/common_voice_cy_1000001.mp3", withIntermediateDirectories: false)
        let (_, d, out) = try await Self.run(root)
        defer { TestSupport.remove((root as NSString).deletingLastPathComponent); TestSupport.remove(out) }
        let detail = d["clips/common_voice_cy_1000001.mp3"]?["detail"] as? String ?? ""
        #expect(detail.contains("is a folder, not an audio file"), "\(detail)")
        #expect(!detail.contains("NSCocoaErrorDomain"))
    }

    @Test func theStrictReaderNamesTheFirstBadByte() {
        #expect(TSV.problem(in: ArraySlice(Array("Mae hi'n braf".utf8))) == nil)
        #expect(TSV.problem(in: ArraySlice(Array("caf\u{e9} \u{1F600}\t\u{5b57}".utf8))) == nil)
        #expect(TSV.problem(in: ArraySlice([0x61, 0xC3])) == "byte 0xC3 at byte 2 is not UTF-8")
        #expect(TSV.problem(in: ArraySlice([0x61, 0xFF, 0x61])) == "byte 0xFF at byte 2 is not UTF-8")
        #expect(TSV.problem(in: ArraySlice([0x61, 0x62, 0xC0, 0x80]))?.contains("at byte 3") == true)  // overlong NUL
        #expect(TSV.problem(in: ArraySlice([0xED, 0xA0, 0x80]))?.contains("surrogate") == true)
        #expect(TSV.problem(in: ArraySlice([0x61, 0x1B])) == "control character U+001B at byte 2")
        #expect(TSV.problem(in: ArraySlice([0xC2, 0x85])) == "control character U+0085 at byte 1")
    }
}
