package import Foundation

/// A file's size and modification time (to the nanosecond), as `stat` gave them: what a run compares with the
/// ledger's record to tell an unchanged file from a changed one.
public struct FileStamp: Sendable, Hashable {
    public var size: Int
    public var mtimeNs: Int64

    public init(size: Int, mtimeNs: Int64) {
        self.size = size
        self.mtimeNs = mtimeNs
    }

    init(_ s: stat) {
        size = Int(s.st_size)
        mtimeNs = s.st_mtim.nanoseconds
    }

    /// `path`'s stamp (following a link), or nil when it cannot be examined.
    public init?(path: String) {
        var s = stat()
        guard stat(path, &s) == 0 else { return nil }
        self.init(s)
    }
}

extension timespec {
    /// The time in nanoseconds since the epoch, as the ledger records file times.
    package var nanoseconds: Int64 { Int64(tv_sec) * 1_000_000_000 + Int64(tv_nsec) }
}

/// What a listing learned of a clip's files from the one `lstat` it made of each (and the `stat` that follows a
/// link): their stamps, and whether they were regular files reached without a link. A run stamps its clips with
/// these instead of examining every file again, and ``UploadConfinement`` examines again only a clip that is not
/// ``plain``.
public struct ListedStamps: Sendable, Hashable {
    public var file: FileStamp
    /// Nil: the clip has no sidecar file.
    public var sidecar: FileStamp?
    /// The file, and its sidecar if it has one, were regular files and not links when they were listed.
    public var plain: Bool

    public init(file: FileStamp, sidecar: FileStamp?, plain: Bool) {
        self.file = file
        self.sidecar = sidecar
        self.plain = plain
    }
}

/// One directory entry as a listing examines it: `lstat` (no link followed), and `stat` only for a link. It keeps
/// what the listing needs (a folder's whole listing is held at once: 24 bytes an entry, not a `stat`'s 144).
struct ListedEntry {
    var stamp: FileStamp
    var isFolder: Bool
    /// A regular file reached without a link.
    var isPlainFile: Bool

    /// Nil when the entry vanished or is a link to nothing (the entry is then not listed).
    init?(path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        let isLink = info.st_mode & S_IFMT == S_IFLNK
        if isLink {  // followed, as opening it would: its kind and size are the target's
            guard stat(path, &info) == 0 else { return nil }
        }
        stamp = FileStamp(info)
        isFolder = info.st_mode & S_IFMT == S_IFDIR
        isPlainFile = !isLink && info.st_mode & S_IFMT == S_IFREG
    }
}
