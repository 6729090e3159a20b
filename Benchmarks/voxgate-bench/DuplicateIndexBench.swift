import Foundation
import VoxgateCorpus
import VoxgatePipeline

/// `voxgate-bench duplicate-index N [--seconds S] [--released] [--main | --copied]`: registers N synthetic kept clips in a
/// ``DuplicateIndex`` (or, with `--main`, in ``MainDuplicateIndex``, main's string-keyed index before issue 17's
/// compact one) and prints what they keep resident per clip: the growth of the process's resident set (current
/// and peak, `/proc/self/status`) over the registrations, and the index's own count of its bytes. Clips are generated one at a time (nothing but the index grows): paths like
/// `en/c00012345.wav` in 8 language folders, 32-hex PCM identities (XXH3-128; 64-hex SHA-256 digests for `--main`, as
/// main stored them), sidecars by 64-hex pseudonyms (50,000 speakers)
/// reading 8-word sentences (each read three times), and fingerprints of `S` seconds (125 sub-fingerprints a
/// second, as `fingerprint-index` makes them). `--released` registers them as released by an earlier run (a
/// nightly run's index). `--copied` then copies the index and registers one more clip in the copy, as the pipeline
/// does with the index a nightly run filled (both stay alive). Run each size in its own process (`scripts/bench-duplicate-index`): the peak is the
/// process's.
func duplicateIndexBenchmark(clips n: Int, seconds: Int, released: Bool, main: Bool, copied: Bool = false) {
    let languages = ["de", "en", "es", "fr", "it", "nl", "pl", "pt"]
    let words = [
        "the", "river", "morning", "quietly", "under", "green", "house", "seven", "walked", "bright", "paper",
        "window", "across", "small", "garden", "before", "winter", "train", "colour", "letter", "open", "table",
        "mountain", "slowly", "music", "station", "friend", "yellow", "after", "coffee", "north", "bridge",
    ]
    let alphabet = Array("0123456789abcdef".utf8)
    func hex(_ x: UInt64, _ words: Int) -> String {
        var h = x &* 0x9E37_79B9_7F4A_7C15 &+ 0x632B_E59B_D9B4_E019
        var digits: [UInt8] = []
        digits.reserveCapacity(16 * words)
        for _ in 0..<words {
            h ^= h >> 29
            h = h &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 32
            for k in stride(from: 60, through: 0, by: -4) { digits.append(alphabet[Int(h >> UInt64(k) & 15)]) }
        }
        return String(decoding: digits, as: UTF8.self)
    }
    // One sidecar parsed, its sentence and speaker replaced per clip (parsing is not what is measured).
    guard
        case .valid(let template) = SidecarReading.parse(
            Array(#"{"sentence": "s", "client_id": "c", "consent": true, "license": "CC0-1.0"}"#.utf8))
    else { fatalError("the template sidecar does not parse") }
    let signal = SignalMetrics(
        integratedLUFS: -20, maxMomentaryLUFS: -18, maxShortTermLUFS: -19, loudnessRangeLU: 3, truePeakDBTP: -3,
        clippedSampleRatio: 0, clippedRuns: 0, speechSeconds: Double(seconds), leadingSilenceSeconds: 0,
        trailingSilenceSeconds: 0, hasSpeech: true, snrDB: 30)
    var rng = SplitMix(state: 42)
    func outcome(_ i: Int) -> ClipOutcome {
        let language = languages[i % languages.count]
        let number = String(i)
        let path = language + "/c" + String(repeating: "0", count: max(0, 8 - number.count)) + number + ".wav"
        let sentenceID = UInt64(i / 3)
        var metadata = template
        metadata.sentence =
            (0..<8).map { words[Int(((sentenceID &* 0x9E37_79B9) >> UInt64(5 * $0)) & 31)] }.joined(separator: " ")
            + " \(sentenceID)."
        metadata.clientID = hex(UInt64(1_000_000_000 + i % 50_000), 4)
        let measurement = ClipMeasurement(
            frames: 16000 * seconds, sampleRate: 16000, channels: 1, container: "wav", contentExtension: "wav",
            encoding: "pcm_16", rmsDBFS: -20, samplePeakDBFS: -3, signal: signal, pcmXXH3: hex(UInt64(i), main ? 4 : 2),
            fingerprint: rng.fingerprint(frames: 125 * seconds))
        let source = ClipSource(
            clip: path, path: "/uploads/" + path, languageTag: language, clipID: "c" + number,
            metadata: .sidecar(path: nil), byteSize: 32_000 * seconds)
        var outcome = ClipOutcome(
            source: source,
            earlier: ClipAnalysis(
                sidecar: .valid(metadata), measurement: measurement, decodeFailure: nil, fileSHA256: nil))
        outcome.metadata = metadata
        return outcome
    }
    _ = outcome(0)  // warm up what generating a clip allocates once
    let before = ResidentMemory()
    let started = Date()
    func report(_ before: ResidentMemory, _ after: ResidentMemory, _ indexBytes: Int, _ kept: Int) {
        func perClip(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / Double(n)) }
        print(
            #"{"index":"\#(main ? "main" : copied ? "compact+copy" : "compact")","clips":\#(n),"kept":\#(kept),"fingerprint_s":\#(seconds),"released":\#(released),"rss_bytes_per_clip":\#(perClip(after.rss - before.rss)),"peak_rss_bytes_per_clip":\#(perClip(after.peak - before.rss)),"index_counted_bytes_per_clip":\#(indexBytes < 0 ? "null" : perClip(indexBytes)),"seconds":\#(String(format: "%.1f", Date().timeIntervalSince(started)))}"#
        )
    }
    if main {
        var index = MainDuplicateIndex()
        for i in 0..<n {
            if released { index.register(released: outcome(i)) } else { index.register(outcome(i)) }
        }
        // main's Strings and dictionaries are not counted (-1)
        report(before, ResidentMemory(), -1, index.kept.count)
    } else {
        var index = DuplicateIndex()
        for i in 0..<n {
            if released { index.register(released: outcome(i)) } else { index.register(outcome(i)) }
        }
        if copied {
            // What IngestPipeline.run does with the index Ingest.release filled: `var duplicates = duplicates`,
            // then a registration while the caller's copy is alive (copy-on-write copies every buffer it touches).
            var copy = index
            copy.register(outcome(n))
            withExtendedLifetime(index) { report(before, ResidentMemory(), copy.memoryBytes, n) }
        } else {
            report(before, ResidentMemory(), index.memoryBytes, n)
        }
    }
}

/// The process's resident set, current and peak, in bytes (`mallinfo2` is not visible to Swift's Glibc module).
struct ResidentMemory {
    var rss = 0
    var peak = 0

    init() {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        for line in status.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, let kib = Int(fields[1]) else { continue }
            if fields[0] == "VmRSS:" { rss = kib * 1024 }
            if fields[0] == "VmHWM:" { peak = kib * 1024 }
        }
    }
}

/// Main's duplicate index (1719624) as it stored its kept clips, for the comparison only: a String-keyed map from
/// each kept clip's 64-hex digest and from its reading (language, client_id, sentence) to its path, a String per
/// near-duplicate ordinal, and a set of released paths. Registration as main did it, nothing else.
struct MainDuplicateIndex {
    var kept: [String: String] = [:]
    var readings: [String: String] = [:]
    var recordings = NearDuplicateIndex()
    var recordingClips: [String] = []
    var released: Set<String> = []

    mutating func register(released outcome: ClipOutcome) {
        released.insert(outcome.source.clip)
        register(outcome)
    }

    mutating func register(_ outcome: ClipOutcome) {
        guard let measurement = outcome.measurement else { return }
        let clip = outcome.source.clip
        let digest = measurement.pcmXXH3 ?? ""
        if kept[digest] == clip { return }
        if kept[digest] == nil { kept[digest] = clip }
        if let reading = readingKey(outcome), readings[reading] == nil { readings[reading] = clip }
        if !measurement.fingerprint.isEmpty {
            recordings.insert(measurement.fingerprint)
            recordingClips.append(clip)
        }
    }

    private func readingKey(_ outcome: ClipOutcome) -> String? {
        outcome.metadata.map {
            [outcome.source.languageTag, $0.clientID, SentenceKey.normalise($0.sentence)].joined(separator: "\u{0}")
        }
    }
}
