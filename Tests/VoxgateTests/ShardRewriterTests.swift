import Crypto
import Foundation
import Testing
import VoxgateCorpus

@testable import VoxgateOutputs

/// A withdrawal's shard rewrite reads the released shard once: every byte hashed against the ledger's SHA-256,
/// the kept members copied as they pass. Shards of several MiB, so members straddle the 1 MiB reads.
@Suite("Shard rewrites")
struct ShardRewriterTests {
    /// A shard of `count` samples (an audio member of 1–400 KiB and a JSON member each), seeded; its members' bytes.
    static func shard(at path: String, count: Int, seed: UInt64) throws -> [(name: String, bytes: [UInt8])] {
        var rng = SplitMix64(seed: seed)
        var members: [(String, [UInt8])] = []
        for i in 0..<count {
            let key = String(format: "c%05d_%012llx", i, rng.next() & 0xFFFF_FFFF_FFFF)
            let size = Int(rng.next() % 400_000) + 1024
            var audio = [UInt8](repeating: 0, count: size)
            audio.withUnsafeMutableBytes { raw in
                for i in stride(from: 0, to: size - 7, by: 8) {
                    raw.storeBytes(of: rng.next(), toByteOffset: i, as: UInt64.self)
                }
            }
            members.append(("\(key).wav", audio))
            members.append(("\(key).json", Array("{\"i\": \(i)}".utf8)))
        }
        var tar: [UInt8] = []
        for (name, bytes) in members {
            tar += Tar.header(name: name, size: bytes.count) + bytes + Tar.padding(bytes.count)
        }
        try Data(tar + Tar.trailer).write(to: URL(fileURLWithPath: path))
        return members
    }

    static func sha256(_ path: String) throws -> String {
        SHA256.hash(data: try Data(contentsOf: URL(fileURLWithPath: path))).map { String(format: "%02x", $0) }.joined()
    }

    @Test func theRewriteIsTheKeptMembersInOrderAndTheTrailer() throws {
        let dir = try TestSupport.temporaryFolder("voxgate-rewrite")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/en-000000.tar"
        let members = try Self.shard(at: path, count: 40, seed: 7)
        let keys = members.map { TarIndex.key(of: $0.name) }
        // The first, the last and some in between: removed members at either end and beside chunk edges.
        let removing: Set<String> = [keys[0], keys[21], keys[22], keys[41], keys[79]]
        let recorded = try Self.sha256(path)
        let result = try #require(try ShardRewriter.rewrite(path, removing: removing, sha256: recorded))
        var expected: [UInt8] = []
        for (name, bytes) in members where !removing.contains(TarIndex.key(of: name)) {
            expected += Tar.header(name: name, size: bytes.count) + bytes + Tar.padding(bytes.count)
        }
        expected += Tar.trailer
        let written = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path + AtomicFile.partialSuffix)))
        #expect(written.count > 3 << 20, "members straddle the 1 MiB reads")
        #expect(written == expected)
        #expect(result.samples == 35 && result.bytes == expected.count)
        #expect(result.sha256 == (try Self.sha256(path + AtomicFile.partialSuffix)))
        #expect(try Self.sha256(path) == recorded, "the released shard is left as it was")
        // Nothing removed but everything: no shard left, and nothing written.
        unlink(path + AtomicFile.partialSuffix)
        #expect(try ShardRewriter.rewrite(path, removing: Set(keys), sha256: recorded) == nil)
        #expect(access(path + AtomicFile.partialSuffix, F_OK) != 0)
    }

    @Test func aDamagedShardIsRefusedAndLeavesNoRewrite() throws {
        let dir = try TestSupport.temporaryFolder("voxgate-rewrite")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/en-000000.tar"
        let members = try Self.shard(at: path, count: 12, seed: 11)
        let recorded = try Self.sha256(path)
        // One byte of the last member's audio flipped: found only when the whole shard has been read.
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: size - UInt64(Tar.trailer.count) - 600)
        let byte = try #require(try handle.read(upToCount: 1)).first!
        try handle.seek(toOffset: size - UInt64(Tar.trailer.count) - 600)
        try handle.write(contentsOf: [byte ^ 0xFF])
        try handle.close()
        #expect {
            try ShardRewriter.rewrite(path, removing: [TarIndex.key(of: members[4].name)], sha256: recorded)
        } throws: { ($0 as? RunError)?.message.contains("changed outside voxgate") == true }
        #expect(access(path + AtomicFile.partialSuffix, F_OK) != 0, "no partial rewrite is left")
    }
}
