import Foundation
import VoxgateCorpus
import VoxgatePipeline

/// Speaker-disjoint train/dev/test splits that never move between releases.
///
/// A speaker's split is a keyed hash of their client_id (HMAC under the corpus's speaker key) mapped to
/// [0, 1) — their `splitPoint`, computed when the id was read and replaced by the pseudonym — and cut at the
/// configured proportions: the same speaker lands in the same split in every run
/// that keeps the key, whatever else is added. A sentence never appears in two splits: the first
/// accepted clip of a sentence (in path order) fixes its split, and a later clip of that sentence whose
/// speaker belongs to another split is left out of every split (`split: null`) and counted.
///
/// Memory: each distinct sentence of a language is held as a 16-byte key of its normalised text (``Key128``) and
/// its split, not as a String: about 30 bytes a sentence in the dictionary.
struct SplitAssigner {
    enum Split: String, CaseIterable { case train, dev, test }

    private let config: SplitConfig
    private let pseudonym: SpeakerPseudonym
    private var sentenceSplit: [String: [Key128: Split]] = [:]  // language → normalised sentence's key → split

    init(config: SplitConfig, pseudonym: SpeakerPseudonym) {
        self.config = config
        self.pseudonym = pseudonym
    }

    /// The speaker's split, from their split point alone (metadata kept as read, without one: from the id).
    func speakerSplit(_ speaker: ClipMetadata) -> Split {
        let u = speaker.splitPoint ?? pseudonym.unitInterval(purpose: "split", speaker.clientID)
        if u < config.train { return .train }
        if u < config.train + config.dev { return .dev }
        return .test
    }

    /// Records the split of a sentence an earlier run released (it never moves).
    mutating func fix(language: String, sentence: String, split: Split) {
        let key = Key128(hashing: SentenceKey.normalise(sentence))
        if sentenceSplit[language]?[key] == nil { sentenceSplit[language, default: [:]][key] = split }
    }

    /// The split of an accepted clip, or nil when its sentence is already in another split.
    mutating func assign(language: String, speaker: ClipMetadata, sentence: String) -> Split? {
        let split = speakerSplit(speaker)
        let key = Key128(hashing: SentenceKey.normalise(sentence))
        if let fixed = sentenceSplit[language]?[key], fixed != split { return nil }
        sentenceSplit[language, default: [:]][key] = split
        return split
    }
}

/// `<out>/splits/<tag>/<split>.tsv`: the samples of each split, one line each, written as they come.
final class SplitManifests {
    private let outputRoot: String
    private var files: [String: AtomicFile] = [:]

    init(outputRoot: String) { self.outputRoot = outputRoot }

    func add(
        language: String, split: SplitAssigner.Split, key: String, shard: String, clip: String, speaker: String,
        durationSeconds: Double
    ) throws(RunError) {
        let name = "splits/\(TagFileName.of(language))/\(split.rawValue).tsv"
        let file: AtomicFile
        if let open = files[name] {
            file = open
        } else {
            do {
                try FileManager.default.createDirectory(
                    atPath: outputRoot + "/splits/" + TagFileName.of(language), withIntermediateDirectories: true)
            } catch {
                throw RunError(
                    .outputUnusable, "cannot create '\(outputRoot)/splits/\(TagFileName.of(language))'",
                    path: outputRoot)
            }
            file = try AtomicFile(path: outputRoot + "/" + name)
            try file.write("key\tshard\tclip\tspeaker\tduration_s\n")
            files[name] = file
        }
        let fields = [key, shard, clip, speaker, "\(durationSeconds)"].map {
            // A tab or newline would break the row: each becomes a space (looked for first: almost none has one).
            $0.utf8.contains(where: { $0 == 0x09 || $0 == 0x0A })
                ? $0.replacingOccurrences(of: "\t", with: " ").replacingOccurrences(of: "\n", with: " ") : $0
        }
        try file.write(fields.joined(separator: "\t") + "\n")
    }

    func commit() throws(RunError) {
        for name in files.keys.sorted() { try files[name]!.commit() }
        files.removeAll()
    }
}
