import Foundation
import VoxgateAudio

/// Keeps a run inside its upload root: a symbolic link (or a linked folder) that leads out of the root is
/// never followed, and only regular files are ever opened. Applied to every layout's clips after listing.
///
/// A refused clip is rejected with the reason (``ClipSource/refusal``); a refused sidecar makes the clip's
/// metadata invalid without reading it. Nothing outside the root can reach an output this way.
public struct UploadConfinement {
    /// The root with every link resolved, plus "/".
    let realRoot: String
    /// Resolved folders, by folder as listed.
    private var folders: [String: String?] = [:]
    /// The folder of the last path examined, and whether it is inside the root.
    private var lastFolder: (listed: String, isInside: Bool) = ("\u{0}", false)

    public init(root: String) {
        realRoot = (Self.resolve(root) ?? root).withTrailingSlash
    }

    /// Whether `folder`, with every link resolved, is inside the root.
    public func isInside(folder: String) -> Bool {
        guard let real = Self.resolve(folder) else { return false }
        return (real + "/").hasPrefix(realRoot)
    }

    /// Why `path` must not be read, or nil when it is a regular file inside the root (through links or not).
    /// - Parameter listedPlain: the listing found `path` a regular file, not a link (``ListedStamps/plain``): only
    ///   its folder is examined.
    public mutating func problem(_ path: String, listedPlain: Bool = false) -> String? {
        let dir = Self.folder(of: path)
        if dir != lastFolder.listed {  // a listing's clips come folder by folder
            if folders[dir] == nil { folders[dir] = .some(Self.resolve(dir)) }
            lastFolder = (dir, (folders[dir] ?? nil).map { ($0 + "/").hasPrefix(realRoot) } ?? false)
        }
        guard lastFolder.isInside else {
            return "the file is in a folder that links outside the upload root; voxgate never follows links out of "
                + "the root: upload the files themselves"
        }
        if listedPlain { return nil }
        var st = stat()
        guard lstat(path, &st) == 0 else {
            return "the file vanished or cannot be examined (\(String(cString: strerror(errno)))); upload it again"
        }
        var mode = st.st_mode
        if mode & S_IFMT == S_IFLNK {
            guard let target = Self.resolve(path) else {
                return "the file is a symbolic link to nothing; upload the recording itself"
            }
            guard target.hasPrefix(realRoot) else {
                return "the file is a symbolic link to a file outside the upload root, which voxgate never follows; "
                    + "upload the recording itself"
            }
            guard stat(target, &st) == 0 else { return "the file is a symbolic link that cannot be followed" }
            mode = st.st_mode
        }
        if mode & S_IFMT == S_IFDIR {
            return "the path is a folder, not an audio file; remove it or move its contents out"
        }
        guard mode & S_IFMT == S_IFREG else {
            return "the file is \(Self.kind(mode)), not a regular file; voxgate reads only regular files: "
                + "upload the recording itself"
        }
        return nil
    }

    /// Confines every clip of `input`: sets the refusal of a clip whose file must not be read, and makes
    /// the metadata of one whose sidecar must not be read invalid.
    public static func apply(to input: inout CorpusInput) {
        var confinement = UploadConfinement(root: input.root)
        for i in input.clips.indices {
            let clip = input.clips[i]
            let plain = clip.listed?.plain == true  // the listing's lstat found regular files: not examined again
            if let problem = confinement.problem(clip.path, listedPlain: plain) {
                input.clips[i].refusal = problem
            }
            if case .sidecar(let path?) = clip.metadata, let problem = confinement.problem(path, listedPlain: plain) {
                let detail = problem.replacingOccurrences(of: "the file is", with: "the sidecar is")
                input.clips[i].metadata = .parsed(.invalid(detail))
            }
        }
    }

    /// Whether the output folder `output` (which may not exist yet) is the upload root or inside it: a run
    /// would then ingest its own outputs (and the speaker key) the next time. Links are resolved.
    public static func outputIsInside(root: String, output: String) -> Bool {
        guard let realRoot = resolve(root) else { return false }
        var existing = (output as NSString).standardizingPath
        if !existing.hasPrefix("/") { existing = FileManager.default.currentDirectoryPath + "/" + existing }
        var missing: [String] = []
        while resolve(existing) == nil, existing != "/" {
            missing.insert((existing as NSString).lastPathComponent, at: 0)
            existing = (existing as NSString).deletingLastPathComponent
        }
        let base = resolve(existing) ?? existing
        let realOutput = missing.isEmpty ? base : (base == "/" ? "" : base) + "/" + missing.joined(separator: "/")
        return (realOutput + "/").hasPrefix(realRoot.withTrailingSlash)
    }

    /// The folder of `path`: what precedes its last `/` (`/` for a path right under it; empty without a `/`).
    static func folder(of path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "" }
        return slash == path.utf8.startIndex ? "/" : String(path[..<slash])
    }

    static func resolve(_ path: String) -> String? {
        guard let r = realpath(path, nil) else { return nil }
        defer { free(r) }
        return String(cString: r)
    }

    static func kind(_ mode: mode_t) -> String { RegularFile.kind(mode: mode) }
}

extension String {
    fileprivate var withTrailingSlash: String { hasSuffix("/") ? self : self + "/" }
}
