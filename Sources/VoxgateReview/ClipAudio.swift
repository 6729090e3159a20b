import Foundation
import VoxgateCorpus
import VoxgateOutputs

/// A clip's audio for the player: the original upload, or else its member in a released shard. Only a clip
/// the decisions list is ever looked up, and the file must resolve (symbolic links followed) inside the
/// upload root or the output folder: nothing else on disk is served.
enum ClipAudio {
    struct Found {
        var path: String
        var offset: Int
        var size: Int
        var contentType: String
    }

    static func locate(_ clip: ReviewCatalog.Clip, catalog: ReviewCatalog) -> Found? {
        if let root = catalog.uploadRoot, let path = inside(root, clip.clip), let size = regularFileSize(path) {
            return Found(
                path: path, offset: 0, size: size, contentType: contentType((clip.clip as NSString).pathExtension))
        }
        guard let shard = clip.shard, let key = clip.key, let path = inside(catalog.output, shard),
            let member = try? ReleaseAudio.member(shard: path, key: key)
        else { return nil }
        return Found(
            path: path, offset: member.offset, size: member.size, contentType: contentType(member.fileExtension))
    }

    /// `base/relative` with symbolic links resolved, when it lies inside `base` (also resolved).
    static func inside(_ base: String, _ relative: String) -> String? {
        guard !relative.hasPrefix("/"), !relative.split(separator: "/").contains(".."),
            let realBase = realpath(base, nil).map({ p in
                defer { free(p) }; return String(cString: p)
            }),
            let real = realpath(base + "/" + relative, nil).map({ p in
                defer { free(p) }; return String(cString: p)
            })
        else { return nil }
        return real.hasPrefix(realBase.hasSuffix("/") ? realBase : realBase + "/") ? real : nil
    }

    static func regularFileSize(_ path: String) -> Int? {
        guard let a = try? FileManager.default.attributesOfItem(atPath: path),
            a[.type] as? FileAttributeType == .typeRegular
        else { return nil }
        return (a[.size] as? NSNumber)?.intValue
    }

    static func contentType(_ ext: String) -> String {
        switch ext.lowercased() {
        case "wav": "audio/wav"
        case "flac": "audio/flac"
        case "mp3": "audio/mpeg"
        case "ogg", "opus", "oga": "audio/ogg"
        case "webm": "audio/webm"
        case "m4a", "mp4", "aac": "audio/mp4"
        default: "application/octet-stream"
        }
    }

    /// The bytes of `found` (clips are short: at most `checks.max_duration_s` of audio is released).
    static func read(_ found: Found) -> Data? {
        guard let handle = FileHandle(forReadingAtPath: found.path) else { return nil }
        defer { try? handle.close() }
        do {
            try handle.seek(toOffset: UInt64(found.offset))
            return try handle.read(upToCount: found.size) ?? Data()
        } catch { return nil }
    }
}
