import Dispatch
import Foundation
import VoxgateAudio

@testable import VoxgateDSP

/// Speech clips and transformed copies of them for the fingerprint tests, made at test time with espeak-ng,
/// sox and ffmpeg in a temporary folder, plus segments of real recordings (``RealSpeech``).
enum FingerprintFixtures {
    struct Clip: Sendable {
        var name: String
        var path: String
    }

    /// What a copy of an upload may have gone through.
    enum Transformation: String, CaseIterable, Sendable {
        case mp3At32k = "mp3 32 kb/s", mp3At64k = "mp3 64 kb/s", opusAt24k = "opus 24 kb/s"
        case rate48k = "resampled 48 kHz", rate44k = "resampled 44.1 kHz", rate16k = "resampled 16 kHz"
        case rate8k = "resampled 8 kHz"
        case gainUp6 = "gain +6 dB", gainDown12 = "gain -12 dB"
        case silenceAdded = "400/300 ms silence added", silenceTrimmed = "250/150 ms trimmed"
        case mixdown = "stereo mixed down", leftChannel = "left channel of stereo"
        case noise = "white noise at 30 dB SNR"

        /// The arguments making `output` from `input` (`stereo` is the clip's stereo version, for the two
        /// channel transformations, which compare the stereo upload with a mono copy).
        func commands(input: String, stereo: String, output: String) -> [(String, [String])] {
            let ff = ["-hide_banner", "-loglevel", "error", "-y", "-i", input]
            switch self {
            case .mp3At32k: return [("ffmpeg", ff + ["-c:a", "libmp3lame", "-b:a", "32k", output])]
            case .mp3At64k: return [("ffmpeg", ff + ["-c:a", "libmp3lame", "-b:a", "64k", output])]
            case .opusAt24k: return [("ffmpeg", ff + ["-c:a", "libopus", "-b:a", "24k", output])]
            case .rate48k: return [("sox", [input, "-r", "48000", output])]
            case .rate44k: return [("sox", [input, "-r", "44100", output])]
            case .rate16k: return [("sox", [input, "-r", "16000", output])]
            case .rate8k: return [("sox", [input, "-r", "8000", output])]
            case .gainUp6: return [("sox", ["-D", input, output, "gain", "6"])]
            case .gainDown12: return [("sox", [input, output, "gain", "-12"])]
            case .silenceAdded: return [("sox", [input, output, "pad", "0.4", "0.3"])]
            case .silenceTrimmed: return [("sox", [input, output, "trim", "0.25", "-0.15"])]
            case .mixdown:
                return [("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-i", stereo, "-ac", "1", output])]
            case .leftChannel: return [("sox", [stereo, output, "remix", "1"])]
            case .noise: return []  // made in Swift: see `addNoise`
            }
        }

        var fileExtension: String {
            switch self {
            case .mp3At32k, .mp3At64k: "mp3"
            case .opusAt24k: "opus"
            default: "wav"
            }
        }
    }

    /// Sentences of 1 to 10 s for espeak-ng.
    static let sentences = [
        "Yes, thank you.",
        "Please call Stella.",
        "The library opens at nine every morning.",
        "Ask her to bring these things with her from the store.",
        "A large size in stockings is hard to sell, and the shop keeper knows it well enough.",
        "When the sunlight strikes raindrops in the air, they act as a prism and form a rainbow, which is a division of white light into many beautiful colors.",
    ]
    static let voices = ["en", "en-us+f3", "en-gb-scotland+m3", "en+f5"]

    /// espeak-ng clips: every sentence in the first voice, and a few in the others; with ``moreSentences``,
    /// 45 clips, so the recall of each transformation is measured on enough clips without the real speech.
    static func speechClips(in dir: String) throws -> [Clip] {
        var jobs: [(String, String, String)] = []
        for (s, sentence) in (sentences + moreSentences).enumerated() {
            for (v, voice) in voices.enumerated() where v == 0 || s % 2 == v % 2 {
                jobs.append(("espeak-\(voice)-s\(s)", voice, sentence))
            }
        }
        return try parallelMap(jobs) { name, voice, sentence in
            let path = dir + "/\(name).wav"
            try TestSupport.must("espeak-ng", ["-v", voice, "-w", path, sentence])
            return Clip(name: name, path: path)
        }
    }

    /// Segments of the real recordings (``RealSpeech/longRecordings(in:seconds:)``, 11 speakers): each whole
    /// (10 s) and a 2 s piece of each from 1 s in (two to three read letters or words: a 1.2 s piece of read
    /// letters, one letter between pauses, is too little speech to fingerprint; measured recall 0.92 for them).
    static func realClips(in dir: String) throws -> [Clip] {
        try Prerequisite.realSpeech.require()
        let recordings = try RealSpeech.longRecordings(in: dir)
        let pieces = try parallelMap(recordings) { (recording: (name: String, path: String)) -> Clip in
            let piece = dir + "/\(recording.name)-1.2s.wav"
            try TestSupport.must("sox", [recording.path, piece, "trim", "1", "2"])
            return Clip(name: recording.name + "-1.2s", path: piece)
        }
        return recordings.map { Clip(name: $0.name + "-full", path: $0.path) } + pieces
    }

    /// The recording a clip comes from (a 1.2 s piece and its whole recording are one recording).
    static func recording(_ clip: Clip) -> String {
        clip.name.hasSuffix("-1.2s")
            ? String(clip.name.dropLast(5)) : clip.name.hasSuffix("-full") ? String(clip.name.dropLast(5)) : clip.name
    }

    /// More sentences, for a set of distinct recordings: each read by every voice.
    static let moreSentences = [
        "The birch canoe slid on the smooth planks.", "Glue the sheet to the dark blue background.",
        "It's easy to tell the depth of a well.", "These days a chicken leg is a rare dish.",
        "Rice is often served in round bowls.", "The juice of lemons makes fine punch.",
        "The box was thrown beside the parked truck.", "The hogs were fed chopped corn and garbage.",
        "Four hours of steady work faced us.", "A large size in stockings is hard to sell.",
        "The boy was there when the sun rose.", "A rod is used to catch pink salmon.",
        "The source of the huge river is the clear spring.", "Kick the ball straight and follow through.",
        "Help the woman get back to her feet.", "A pot of tea helps to pass the evening.",
        "Smoky fires lack flame and heat.", "The soft cushion broke the man's fall.",
        "The salt breeze came across from the sea.", "The girl at the booth sold fifty bonds.",
        "Yes.", "Good morning.", "Thank you very much.", "Where is the station?",
    ]
    static let moreVoices = ["en", "en-us+f3", "en-gb-scotland+m3", "en+f5", "en-us+m7", "en-gb-x-rp+f2"]

    /// Distinct recordings: every sentence of ``moreSentences`` by every voice of ``moreVoices``.
    static func distinctClips(in dir: String) throws -> [Clip] {
        var jobs: [(String, String, String)] = []
        for (s, sentence) in moreSentences.enumerated() {
            for (v, voice) in moreVoices.enumerated() { jobs.append(("v\(v)-s\(s)", voice, sentence)) }
        }
        return try parallelMap(jobs) { name, voice, sentence in
            let path = dir + "/\(name).wav"
            try TestSupport.must("espeak-ng", ["-v", voice, "-w", path, sentence])
            return Clip(name: name, path: path)
        }
    }

    /// Whether two distinct clips of ``distinctClips`` share their voice or their sentence.
    static func related(_ a: Clip, _ b: Clip) -> Bool {
        let x = a.name.split(separator: "-"), y = b.name.split(separator: "-")
        guard x.count == 2, y.count == 2, x[0].hasPrefix("v"), y[0].hasPrefix("v") else { return false }
        return x[0] == y[0] || x[1] == y[1]
    }

    /// The copy of `clip` that `transformation` makes; for the channel transformations also the stereo
    /// version that stands for the original.
    static func transform(_ clip: Clip, _ transformation: Transformation, in dir: String) throws -> (
        original: String, copy: String
    ) {
        let copy = dir + "/\(clip.name)-\(transformation).\(transformation.fileExtension)"
        var original = clip.path
        var stereo = ""
        if transformation == .mixdown || transformation == .leftChannel {
            // A stereo original whose right channel is a quieter, 0.25 ms later pickup of the same voice.
            stereo = dir + "/\(clip.name)-\(transformation)-stereo.wav"
            try TestSupport.must("sox", [clip.path, stereo, "remix", "1", "1v0.8", "delay", "0", "0.00025"])
            original = stereo
        }
        if transformation == .noise {
            try addNoise(to: clip.path, snrDB: 30, output: copy)
        }
        for (tool, args) in transformation.commands(input: clip.path, stereo: stereo, output: copy) {
            try TestSupport.must(tool, args)
        }
        return (original, copy)
    }

    /// White noise at `snrDB` below the clip's active speech power, written as 32-bit float WAV by sox.
    static func addNoise(to path: String, snrDB: Double, output: String) throws {
        let decoded = try DecodedFile(path: path)
        let mono = monoMix(decoded)
        let speechPower = activeSpeechPower(mono, rate: decoded.info.sampleRate)
        // Seeded by the clip's file name, not its path (a fresh temporary folder each run): the same noise every
        // run, so a recall figure near its bound does not pass or fail by chance.
        let name = (path as NSString).lastPathComponent
        var rng = SplitMix64(seed: UInt64(truncatingIfNeeded: name.utf8.reduce(5381) { $0 &* 33 &+ Int($1) }))
        let gain = Float((3 * speechPower / pow(10, snrDB / 10)).squareRoot())  // uniform ±1 has power 1/3
        let noisy = mono.map { $0 + gain * Float(Double(rng.next() >> 11) / Double(1 << 53) * 2 - 1) }
        let raw = output + ".f32"
        try noisy.withUnsafeBufferPointer { try Data(buffer: $0).write(to: URL(fileURLWithPath: raw)) }
        defer { TestSupport.remove(raw) }
        try TestSupport.must(
            "sox", ["-t", "f32", "-r", String(decoded.info.sampleRate), "-c", "1", raw, "-e", "floating-point", output])
    }

    static func monoMix(_ d: DecodedFile) -> [Float] {
        var mono = [Float](repeating: 0, count: d.frames)
        d.samples.withUnsafeBufferPointer { s in
            mono.withUnsafeMutableBufferPointer {
                Mixdown.mono(s, channels: d.info.channels, frames: d.frames, into: $0)
            }
        }
        return mono
    }

    /// The fingerprint the pipeline computes: AudioDecoder blocks of 4096 frames, mono mix, fingerprinter.
    static func fingerprint(_ path: String) throws -> AudioFingerprint {
        try fingerprint(path, make: { SpeechFingerprinter(sampleRate: $0) })
    }

    static func fingerprint(hop: Int, lag: Int, quiet: Double, _ path: String) throws -> AudioFingerprint {
        try fingerprint(path, make: { SpeechFingerprinter(sampleRate: $0, hop: hop, lag: lag, quietDB: quiet) })
    }

    static func fingerprint(_ path: String, make: (Int) -> SpeechFingerprinter) throws -> AudioFingerprint {
        var decoder = try AudioDecoder(path: path)
        let channels = decoder.info.channels
        var block = [Float](repeating: 0, count: 4096 * channels)
        var mono = [Float](repeating: 0, count: 4096)
        var fingerprinter = make(decoder.info.sampleRate)
        while true {
            let got = try block.withUnsafeMutableBufferPointer { b throws(DecodeError) in try decoder.read(into: b) }
            if got == 0 { break }
            block.withUnsafeBufferPointer { b in
                mono.withUnsafeMutableBufferPointer { m in
                    Mixdown.mono(b, channels: channels, frames: got, into: m)
                    fingerprinter.consume(mono: UnsafeBufferPointer(rebasing: m[0..<got]))
                }
            }
        }
        return fingerprinter.finish()
    }

    /// `transform` over `items` on every core, results in input order.
    static func parallelMap<T, R: Sendable>(_ items: [T], _ transform: @Sendable (T) throws -> R) throws -> [R] {
        let results = LockedBox([Result<R, any Error>?](repeating: nil, count: items.count))
        nonisolated(unsafe) let items = items
        DispatchQueue.concurrentPerform(iterations: items.count) { i in
            let r = Result { try transform(items[i]) }
            results.withLock { $0[i] = r }
        }
        return try results.withLock { $0 }.map { try $0!.get() }
    }
}

/// A value behind a lock, for collecting results from concurrent work.
final class LockedBox<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
