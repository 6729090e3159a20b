import Foundation
import Testing
import VoxgateCorpus

@testable import VoxgateOutputs
@testable import VoxgatePipeline

/// An upload released as it is goes into its shard from the bytes the analyser read and hashed (issue 18), and its
/// recorded SHA-256 is always the member's: a file changed after analysis is never given a hash of other bytes.
@Suite("Upload members: the analysed bytes and their hash")
struct UploadMemberTests {
    /// A one-clip upload tree (FLAC, released as uploaded), its clip analysed.
    static func analysed(_ configure: (inout ClipAnalyzer) -> Void = { _ in }) throws -> (
        CorpusFixture, ClipSource, ClipOutcome
    ) {
        let corpus = try CorpusFixture(clips: [("en/one.flac", 300, 1.5, [])])
        let source = try UploadTree.scan(root: corpus.root).clips[0]
        var analyzer = ClipAnalyzer(config: PipelineConfig(), withdrawals: Withdrawals())
        configure(&analyzer)
        return (corpus, source, analyzer.analyze(source))
    }

    /// SHA-256 by coreutils (not the code under test).
    static func sha256sum(_ path: String) throws -> String {
        String(try TestSupport.must("sha256sum", ["-b", path]).prefix(64))
    }

    /// Flips one byte in the middle of the file: the same size, other content.
    static func damage(_ path: String) throws {
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: path))
    }

    /// Writes one sample holding `audio` into a shard under `dir` and returns the member's bytes as tar extracts them.
    static func shardMember(_ audio: ShardAudio, in dir: String) throws -> Data {
        let writer = ShardWriter(outputRoot: dir, maxBytes: 1 << 24, maxSamples: 10)
        try writer.add(
            language: "en", terms: Terms(license: "CC0-1.0"),
            members: [("k.\(audio.fileExtension)", audio.content, audio.sha256)])
        let shard = try writer.finish()[0].path
        #expect(try AtomicFile.renameIntoPlace(dir + "/" + shard))
        try FileManager.default.createDirectory(atPath: dir + "/x", withIntermediateDirectories: true)
        try TestSupport.must("tar", ["-xf", dir + "/" + shard, "-C", dir + "/x"])
        return try Data(contentsOf: URL(fileURLWithPath: dir + "/x/k.\(audio.fileExtension)"))
    }

    @Test func theMemberIsTheAnalysedBytesEvenWhenTheFileChangesAfterwards() throws {
        let (corpus, source, outcome) = try Self.analysed()
        defer { corpus.remove() }
        let original = try Data(contentsOf: URL(fileURLWithPath: source.path))
        let analysedHash = try Self.sha256sum(source.path)
        #expect(outcome.isAccepted, "\(outcome.findings)")
        let audio = try #require(outcome.shardAudio)
        guard case .upload(let upload) = audio.content else {
            throw TestFailure("an upload read whole is not sharded from memory: \(audio.content)")
        }
        #expect(upload.count == original.count)
        #expect(audio.sha256 == analysedHash && outcome.analysis.fileSHA256 == analysedHash)

        try Self.damage(source.path)  // changed between analysis and shard writing
        let changedHash = try Self.sha256sum(source.path)
        #expect(changedHash != analysedHash)
        let dir = try TestSupport.temporaryFolder()
        defer { TestSupport.remove(dir) }
        let member = try Self.shardMember(audio, in: dir)
        // The shard holds the bytes that were measured, and the recorded hash is theirs, not the changed file's.
        #expect(member == original)
        #expect(try Self.sha256sum(dir + "/x/k.flac") == audio.sha256)
    }

    /// Uploads too large to read whole (streamed), or read whole but too large to keep until the shard is written.
    @Test(arguments: ["streamed", "not kept"])
    func anUploadCopiedFromDiskIsHashedAsCopiedAndRefusedWhenChanged(_ why: String) throws {
        let (corpus, source, outcome) = try Self.analysed {
            if why == "streamed" { $0.inMemoryLimit = 0 } else { $0.keptUploadLimit = 0 }
        }
        defer { corpus.remove() }
        let audio = try #require(outcome.shardAudio)
        guard case .file(let path, let size) = audio.content else {
            throw TestFailure("a streamed upload is not copied from its file: \(audio.content)")
        }
        #expect(path == source.path && size == source.byteSize)
        let fileHash = try Self.sha256sum(source.path)
        #expect(audio.sha256 == fileHash)
        let dir = try TestSupport.temporaryFolder()
        defer { TestSupport.remove(dir) }
        let unchanged = try Self.shardMember(audio, in: dir)
        let file = try Data(contentsOf: URL(fileURLWithPath: source.path))
        #expect(unchanged == file)

        try Self.damage(source.path)
        let again = try TestSupport.temporaryFolder()
        defer { TestSupport.remove(again) }
        let writer = ShardWriter(outputRoot: again, maxBytes: 1 << 24, maxSamples: 10)
        let refused = #expect(throws: RunError.self, "an upload changed after analysis was copied into a shard") {
            try writer.add(
                language: "en", terms: Terms(license: "CC0-1.0"), members: [("k.flac", audio.content, audio.sha256)])
        }
        #expect(refused?.code == .inputDamaged)
        #expect(
            refused?.message.contains("changed after voxgate analysed it") == true, "\(String(describing: refused))")
    }
}
