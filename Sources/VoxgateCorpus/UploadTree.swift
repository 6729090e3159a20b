import Foundation

/// The upload-tree layout: `<root>/<tag>/<clip-id>.<ext>`, optional `<clip-id>.json` sidecars and
/// an optional `<root>/withdrawals.txt`. The layout every other one falls back to.
public enum UploadTree: InputLayout {
    public static let name = "upload-tree"

    /// The name of the withdrawals file at the root.
    public static let withdrawalsFile = "withdrawals.txt"
    /// The name of a language community's terms file, in its language folder.
    public static let termsFile = "TERMS.yaml"

    public static func recognises(root: String) -> Bool { true }

    /// Lists the tree. Reads directory entries only (and withdrawals.txt), never audio.
    /// - Throws: ``RunError`` (`.inputUnusable`) when the root is missing or unreadable.
    public static func scan(root: String, options: InputOptions = InputOptions()) throws(RunError) -> CorpusInput {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        try InputLayouts.requireFolder(root)
        guard let (rootEntries, rootUndecodable) = UploadTreeNames.list(root) else {
            throw RunError(
                .inputUnusable,
                "cannot list upload root '\(root)' (\(String(cString: strerror(errno)))); check permissions",
                path: root)
        }
        var clips = ClipList(root: root)  // compact: what the run keeps of every clip
        var warnings: [String] = []
        var withdrawals: Set<String> = []
        var communityTerms: [String: Terms] = [:]
        for name in rootUndecodable.sorted() {
            warnings.append("\(name): a folder or file name that is not UTF-8; not read, rename it in UTF-8")
        }
        var confinement = UploadConfinement(root: root)
        // The root's entries in order: a warning, or a language folder to list (listed below, two at a time).
        enum Step {
            case warning(String)
            case folder(Int)
        }
        var steps: [Step] = []
        var folders: [(dir: String, folder: String, tag: String)] = []
        for entry in rootEntries.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) where !entry.hasPrefix(".")
        {
            let full = root + "/" + entry
            if entry == withdrawalsFile {
                withdrawals = try readWithdrawals(full)
                continue
            }
            guard fm.fileExists(atPath: full, isDirectory: &isDir), isDir.boolValue else {
                steps.append(.warning("\(entry): a file at the upload root is not a language folder; ignored"))
                continue
            }
            guard confinement.isInside(folder: full) else {
                // A linked folder leading out of the root is never listed, let alone read.
                steps.append(
                    .warning(
                        "\(entry)/: a link to a folder outside the upload root, which voxgate never follows; ignored"))
                continue
            }
            // The clip keeps the folder as written (its path); its language is the catalog's tag for it.
            let folder = entry.precomposedStringWithCanonicalMapping
            let tag = LanguageCatalog.shared.entry(for: folder)?.tag ?? folder
            steps.append(.folder(folders.count))
            folders.append((full, folder, tag))
            if fm.fileExists(atPath: full + "/" + termsFile) {
                if let problem = confinement.problem(full + "/" + termsFile) {
                    throw RunError(
                        .inputUnusable, "\(full)/\(termsFile): \(problem); the community's terms were not read",
                        path: full + "/" + termsFile)
                }
                communityTerms[tag] = try Terms.load(path: full + "/" + termsFile)
            }
        }
        // Each folder's clips as ClipSources, in order (the whole list is then in order, but for folders whose names
        // are the same after NFC, sorted below). Listing is stat calls: two folders are listed at a time, one per
        // core, and each is appended to the compact list before the next two (so the ClipSources held at once are
        // two folders', never the tree's).
        let jobs = folders
        let width = 2
        var listed: [Int: (clips: [ClipSource], warnings: [String])] = [:]
        func list(from first: Int) {
            let count = min(width, jobs.count - first)
            var results = [(clips: [ClipSource], warnings: [String])](repeating: ([], []), count: count)
            results.withUnsafeMutableBufferPointer { out in
                nonisolated(unsafe) let out = out
                DispatchQueue.concurrentPerform(iterations: count) { k in
                    var found: [String] = []
                    let f = jobs[first + k]
                    let sources = scanLanguage(dir: f.dir, folder: f.folder, tag: f.tag, warnings: &found)
                    out[k] = (ClipSource.sortedByPath(sources), found)
                }
            }
            for (k, result) in results.enumerated() { listed[first + k] = result }
        }
        for step in steps {
            switch step {
            case .warning(let text): warnings.append(text)
            case .folder(let k):
                if listed[k] == nil { list(from: k) }
                clips.append(contentsOf: listed[k]!.clips)
                warnings += listed[k]!.warnings
                listed[k] = nil
            }
        }
        UploadTreeNames.markConflicts(&clips, root: root)
        clips.sortByPath()
        var input = CorpusInput(root: root, layout: name, clips: clips, withdrawals: withdrawals, warnings: warnings)
        input.communityTerms = communityTerms
        return input
    }

    private static func scanLanguage(dir: String, folder: String, tag: String, warnings: inout [String]) -> [ClipSource]
    {
        guard let (entries, undecodable) = UploadTreeNames.list(dir) else {
            warnings.append("\(folder)/: cannot list this folder; its clips were not read")
            return []
        }
        for name in undecodable.sorted() {
            warnings.append("\(folder)/\(name): a file name that is not UTF-8; not read, rename it in UTF-8")
        }
        // Stem as on disk, and its NFC form → the sidecar's on-disk name and what its lstat found.
        var sidecars: [String: (name: String, entry: ListedEntry)] = [:]
        var audio: [(name: String, stem: String, entry: ListedEntry)] = []
        for name in entries where !name.hasPrefix(".") && name != termsFile {
            // One lstat per entry (and a stat following a link, as opening it would), for its kind, size and time:
            // the clip's stamps for the plan and, for a regular file, all the confinement needs.
            guard let entry = ListedEntry(path: dir + "/" + name) else { continue }
            if entry.isFolder {
                warnings.append("\(folder)/\(name)/: nested folders are not part of the layout; ignored")
                continue
            }
            let (stem, ext) = splitExtension(name)
            if ext.lowercased() == "json" {
                sidecars[stem] = (name, entry)
                let nfc = SentenceKey.nfc(stem)
                if sidecars[nfc] == nil { sidecars[nfc] = (name, entry) }
            } else {
                audio.append((name, stem, entry))
            }
        }
        var clips: [ClipSource] = []
        var used: Set<String> = []  // sidecar names
        for (name, stem, entry) in audio {
            let path = dir + "/" + name
            let nfc = SentenceKey.nfc(stem)
            let sidecar = sidecars[stem] ?? sidecars[nfc]
            if let sidecar { used.insert(sidecar.name) }
            var clip = ClipSource(
                clip: folder + "/" + SentenceKey.nfc(name), path: path, languageTag: tag,
                writtenTag: folder, clipID: nfc, metadata: .sidecar(path: sidecar.map { dir + "/" + $0.name }),
                byteSize: entry.stamp.size)
            clip.listed = ListedStamps(
                file: entry.stamp, sidecar: sidecar?.entry.stamp,
                plain: entry.isPlainFile && sidecar?.entry.isPlainFile != false)
            clips.append(clip)
        }
        for name in Set(sidecars.values.map(\.name)).subtracting(used).sorted() {
            warnings.append("\(folder)/\(name): a sidecar without an audio file; ignored")
        }
        return clips
    }

    static func splitExtension(_ name: String) -> (stem: String, ext: String) {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return (name, "") }
        return (String(name[..<dot]), String(name[name.index(after: dot)...]))
    }

    /// Reads `withdrawals.txt` (see ``WithdrawalsFile``).
    public static func readWithdrawals(_ path: String) throws(RunError) -> Set<String> {
        // Withdrawals are honoured, never skipped: an unreadable list stops the run instead of releasing clips.
        try WithdrawalsFile.read(path)
    }
}
