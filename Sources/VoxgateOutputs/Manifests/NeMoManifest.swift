import Foundation

/// NeMo's tarred-dataset manifests (`manifests/<tag>/nemo/<split>.json` and `<split>.tars`).
///
/// The rules followed, from NeMo's ASR datasets documentation and its tarred datasets
/// (`TarredAudioToCharDataset`, `expand_sharded_filepaths`): one JSON object per line with
/// `audio_filepath` (for a tarred dataset, the member's name inside its tar), `duration` in seconds and
/// `text`; NeMo finds a tar member's entry by the member's base name without its extension, so those are
/// unique, and it skips tar members that no entry names (the other splits' samples, and the `.json`
/// members). `tarred_audio_filepaths` is one path pattern whose `_OP_`/`_CL_` (and `(`, `[`, `<` / `)`, `]`,
/// `>`) NeMo turns into braces before brace expansion, so a shard path must hold none of those characters.
enum NeMoManifest {
    /// The manifest lines of one split.
    static func lines(_ entries: [ReleaseEntry]) -> [UInt8] {
        var text: [UInt8] = []
        for e in entries { line(e, into: &text) }
        return text
    }

    /// Appends one sample's manifest line.
    static func line(_ e: ReleaseEntry, into text: inout [UInt8]) {
        JSONText.object([
            ("audio_filepath", .string(e.audioMember)),
            ("duration", .double(e.durationSeconds)),
            ("text", .string(e.text)),
            ("lang", .string(e.language)),
            ("speaker", .string(e.speaker)),
            ("shard", .string(e.shard)),
        ]).appendLine(to: &text)
    }

    /// The `tarred_audio_filepaths` value for `shards` (paths relative to the output folder): one brace
    /// range per run of consecutive shard numbers of a terms group, the groups as a brace list.
    static func tarredAudioFilepaths(_ shards: [String]) -> String {
        var groups: [String: [Int]] = [:]  // "shards/<tag>/<tag>-<terms>-" → numbers
        var plain: [String] = []
        for path in Set(shards) {
            let stem = path.hasSuffix(".tar") ? String(path.dropLast(4)) : path
            let digits = stem.suffix(6)
            if let n = Int(digits), digits.allSatisfy({ ("0"..."9").contains($0) }) {
                groups[String(stem.dropLast(6)), default: []].append(n)
            } else {
                plain.append(path)
            }
        }
        var alternatives: [String] = plain.sorted()
        for prefix in groups.keys.sorted() {
            let numbers = groups[prefix]!.sorted()
            var start = numbers[0]
            var last = numbers[0]
            func flush() {
                let a = String(format: "%06d", start)
                let b = String(format: "%06d", last)
                alternatives.append(start == last ? "\(prefix)\(a).tar" : "\(prefix)_OP_\(a)..\(b)_CL_.tar")
            }
            for n in numbers.dropFirst() {
                if n == last + 1 { last = n; continue }
                flush()
                (start, last) = (n, n)
            }
            flush()
        }
        return alternatives.count == 1 ? alternatives[0] : "_OP_" + alternatives.joined(separator: ",") + "_CL_"
    }
}
