import Foundation
public import VoxgateCorpus

/// Reading a released sample's audio back out of its shard (the review server plays it when the upload
/// is gone).
public enum ReleaseAudio {
    /// The offset, size and extension of the audio member of sample `key` in the shard at `path`.
    public static func member(shard path: String, key: String) throws(RunError) -> (
        offset: Int, size: Int, fileExtension: String
    )? {
        for m in try TarIndex.members(of: path, code: .outputUnusable, remedy: "rerun the ingest")
        where TarIndex.key(of: m.name) == key && !m.name.hasSuffix(".json") {
            return (m.offset, m.size, String(m.name.dropFirst(key.count + 1)))
        }
        return nil
    }
}
