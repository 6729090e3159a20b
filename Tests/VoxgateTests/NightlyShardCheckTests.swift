import Foundation
import Testing
import VoxgateLedger

/// Issue 23 row 11 without `--verify-hashes`: a plain nightly run notices a released shard changed in place, even
/// to the same size and with its modification time set back, and refuses ("changed outside voxgate") without
/// publishing anything; a shard only touched (same bytes) is hashed again, found intact, and the run goes on.
@Suite("A plain run notices a changed released shard")
struct NightlyShardCheckTests {
    static func run(_ root: String, _ out: String) throws -> TestSupport.ToolResult {
        try InputTrustTests.cli(["ingest", root, "--out", out, "--quiet", "--no-report"])
    }

    @Test func aSameSizeEditWithItsTimeSetBackIsRefused() async throws {
        let corpus = try CorpusFixture.standard()
        let out = try TestSupport.temporaryFolder("voxgate-nightly")
        defer {
            corpus.remove()
            TestSupport.remove(out)
        }
        _ = try await InputTrustTests.ingest(corpus.root, out)
        let (shard, _, offset) = try InputTrustTests.firstAudioMember(out)
        let path = out + "/" + shard

        // Touched, bytes unchanged: hashed again, intact; the run goes on and records the new stat.
        try TestSupport.must("touch", [path])
        let touched = try Self.run(corpus.root, out)
        #expect(touched.status == 0, "\(touched.error)")
        #expect(try Self.run(corpus.root, out).status == 0)

        // One byte changed in place, then the modification time put back as it was (only the status-change
        // time still shows it).
        let reference = out + "/../" + UUID().uuidString
        defer { TestSupport.remove(reference) }
        try TestSupport.must("cp", ["-p", path, reference])
        try InputTrustTests.flipByte(path, at: offset + 64)
        try TestSupport.must("touch", ["-r", reference, path])
        let before = try InputTrustTests.snapshot(out)
        let r = try Self.run(corpus.root, out)
        #expect(r.status == 76, "\(r.error)")
        #expect(r.error.contains("changed outside voxgate") && r.error.contains(shard), "\(r.error)")
        #expect(try InputTrustTests.snapshot(out) == before, "the refused run publishes nothing")
        #expect(try Self.run(corpus.root, out).status == 76, "refused again, night after night")
    }
}
