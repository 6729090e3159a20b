import Foundation
import VoxgateCorpus
import VoxgatePipeline

/// The members of a shard written by voxgate: name → where its content lies, for copying it into another
/// shard without decoding or re-encoding (`merge`).
enum TarIndex {
    struct Member {
        var name: String
        var offset: Int
        var size: Int
    }

    static func members(of path: String) throws(RunError) -> [Member] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw RunError(.inputUnusable, "cannot open partition shard '\(path)'; check the partition folder", path: path)
        }
        defer { try? handle.close() }
        var members: [Member] = []
        var offset = 0
        while true {
            guard let header = try? handle.read(upToCount: Tar.blockSize), header.count == Tar.blockSize else {
                throw RunError(
                    .inputUnusable, "partition shard '\(path)' ends early; rerun that partition", path: path)
            }
            if header.allSatisfy({ $0 == 0 }) { break }
            let bytes = [UInt8](header)
            let name = String(decoding: bytes[0..<100].prefix { $0 != 0 }, as: UTF8.self)
            guard let size = Int(String(decoding: bytes[124..<136].prefix { $0 != 0 && $0 != 32 }, as: UTF8.self), radix: 8)
            else { throw RunError(.inputUnusable, "partition shard '\(path)' has a damaged header (\(name))", path: path) }
            members.append(Member(name: name, offset: offset + Tar.blockSize, size: size))
            offset += Tar.memberSize(size)
            do { try handle.seek(toOffset: UInt64(offset)) } catch {
                throw RunError(.inputUnusable, "cannot read partition shard '\(path)' (\(error))", path: path)
            }
        }
        return members
    }

    /// The audio member of each sample (by key) in a shard.
    static func audio(of path: String) throws(RunError) -> [String: ShardAudio] {
        var audio: [String: ShardAudio] = [:]
        for m in try members(of: path) where !m.name.hasSuffix(".json") {
            let dot = m.name.firstIndex(of: ".") ?? m.name.endIndex
            let key = String(m.name[..<dot])
            let ext = dot < m.name.endIndex ? String(m.name[m.name.index(after: dot)...]) : ""
            audio[key] = ShardAudio(content: .fileRange(path: path, offset: m.offset, size: m.size), fileExtension: ext)
        }
        return audio
    }
}
