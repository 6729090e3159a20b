import VoxgateAudio

/// An upload's bytes as the analyser read them whole (``FileImage``), with their SHA-256: the shard member of a
/// clip released as uploaded, written from memory instead of read from disk again (issue 18: the copy re-read
/// every upload and hashed it a second time).
///
/// The hash is taken here, over these very bytes, which never change (a ``FileImage`` is immutable): it is the
/// member's hash by construction, whatever happens to the file on disk after it was read. An upload replaced
/// after it was read is therefore released as it was analysed (the bytes measured, with their hash), never
/// with a hash of other bytes; the ledger keeps the listing's size and time, so the next run sees the change.
/// Uploads too large to read whole are still copied from disk and hashed as they are copied
/// (``ShardAudio/Content/file(path:size:)``), and a change is refused there.
public struct UploadBytes: Sendable, Hashable {
    let image: FileImage
    /// SHA-256 of ``count`` bytes, lowercase hex: the analysis's `fileSHA256`.
    public let sha256: String

    init(_ image: FileImage) {
        self.image = image
        sha256 = FileDigest.sha256(image)
    }

    /// The number of bytes.
    public var count: Int { image.bytes.count }

    /// Calls `body` with the bytes (valid only during the call).
    public func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        defer { withExtendedLifetime(image) {} }
        return try body(image.bytes)
    }

    public static func == (a: UploadBytes, b: UploadBytes) -> Bool {
        a.image === b.image || (a.sha256 == b.sha256 && a.image.bytes.elementsEqual(b.image.bytes))
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(sha256) }
}
