package import Foundation
package import VoxgateCorpus
package import VoxgatePipeline

/// The members of a shard written by voxgate and where their content lies, for copying them into another
/// shard without decoding or re-encoding (`merge`, and removing samples from a released shard).
package enum TarIndex {
    package struct Member {
        package var name: String
        package var offset: Int
        package var size: Int
    }

    /// Every member of the shard at `path`, in order.
    /// - Parameters:
    ///   - code, remedy: the error a damaged shard gives, and what the message tells the operator to do.
    package static func members(
        of path: String, code: RunError.Code = .inputUnusable, remedy: String = "rerun that partition"
    ) throws(RunError) -> [Member] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw RunError(code, "cannot open shard '\(path)'; \(remedy)", path: path)
        }
        defer { try? handle.close() }
        let fileSize = Int((try? handle.seekToEnd()) ?? 0)
        var members: [Member] = []
        var offset = 0
        while let m = try header(handle, at: offset, fileSize: fileSize, path: path, code: code, remedy: remedy) {
            members.append(m)
            offset = m.offset - Tar.blockSize + Tar.memberSize(m.size)
        }
        return members
    }

    /// The member whose header block is at `offset` of the open shard `handle` (`fileSize` bytes), or nil at the
    /// archive's end (a zero block). The header is parsed strictly and its size capped by the file's own size
    /// before anything is sized by it.
    package static func header(
        _ handle: FileHandle, at offset: Int, fileSize: Int, path: String, code: RunError.Code, remedy: String
    ) throws(RunError) -> Member? {
        guard (try? handle.seek(toOffset: UInt64(offset))) != nil,
            let block = try? handle.read(upToCount: Tar.blockSize), block.count == Tar.blockSize
        else {
            throw RunError(code, "shard '\(path)' ends early (truncated); \(remedy)", path: path)
        }
        if block.allSatisfy({ $0 == 0 }) { return nil }
        let bytes = [UInt8](block)
        let name = String(decoding: bytes[0..<100].prefix { $0 != 0 }, as: UTF8.self)
        guard
            let size = Int(
                String(decoding: bytes[124..<136].prefix { $0 != 0 && $0 != 32 }, as: UTF8.self), radix: 8),
            size >= 0, offset + Tar.memberSize(size) <= fileSize
        else {
            throw RunError(code, "shard '\(path)' has a damaged member header (\(name)); \(remedy)", path: path)
        }
        return Member(name: name, offset: offset + Tar.blockSize, size: size)
    }

    /// The uniform-audio format a sample's JSON records (`audio_sample_rate`, `audio_channels`, `audio_frames`),
    /// read from the member at `offset` of the open shard `handle`; nil when it records none.
    package static func format(_ handle: FileHandle, jsonAt offset: Int, size: Int) -> ShardAudio.Format? {
        guard (try? handle.seek(toOffset: UInt64(offset))) != nil, let data = try? handle.read(upToCount: size),
            let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            let rate = json["audio_sample_rate"] as? Int, let channels = json["audio_channels"] as? Int,
            let frames = json["audio_frames"] as? Int
        else { return nil }
        return ShardAudio.Format(sampleRate: rate, channels: channels, frames: frames)
    }

    /// A member's sample key: its name up to the first dot (WebDataset's rule).
    package static func key(of name: String) -> String { String(name.prefix { $0 != "." }) }

    /// A shard's audio member: its name, place, extension, and its uniform-audio format when the sample's JSON
    /// records one (`audio_sample_rate`, `audio_channels`, `audio_frames`).
    package typealias AudioMember = (name: String, offset: Int, size: Int, ext: String, format: ShardAudio.Format?)

    /// The audio member of each sample (by key) in a shard.
    package static func audio(of path: String) throws(RunError) -> [String: AudioMember] {
        var audio: [String: AudioMember] = [:]
        let all = try members(of: path)
        for m in all where !m.name.hasSuffix(".json") {
            let key = key(of: m.name)
            audio[key] = (m.name, m.offset, m.size, String(m.name.dropFirst(key.count + 1)), nil)
        }
        guard let handle = FileHandle(forReadingAtPath: path) else { return audio }
        defer { try? handle.close() }
        for m in all where m.name.hasSuffix(".json") {
            let key = key(of: m.name)
            guard audio[key] != nil else { continue }
            audio[key]?.format = format(handle, jsonAt: m.offset, size: m.size)
        }
        return audio
    }
}
