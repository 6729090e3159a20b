import Foundation

/// Recordings of real people, from Debian packages that `scripts/setup --test` installs (they are not copied
/// into the repository): real room noise, real pauses, exact-zero runs, encoder padding, out-of-range floats.
///
/// - `alsa-utils` (GPL-2): `/usr/share/sounds/alsa/`, eight words spoken by one man ("Front Center", …;
///   WAV 48 kHz mono 16-bit, 1.3–1.5 s, runs of exact zeros) and `Noise.wav`, recorded noise with no speech.
/// - `klettres-data` (GPL-2+): `/usr/share/klettres/<lang>/{alpha,syllab}/`, letters and syllables read by one
///   native speaker per language (Ogg Vorbis, 44.1 kHz mono or stereo; `tn/syllab/ba.ogg` decodes to floats up
///   to 10.09, `ml/syllab/baa.ogg` has a true peak of +0.6 dBTP above a sample peak under 0 dBFS).
enum RealSpeech {
    static let alsa = "/usr/share/sounds/alsa"
    static let klettres = "/usr/share/klettres"

    /// The eight spoken words of alsa-utils.
    static let alsaSpeech = [
        "Front_Center", "Front_Left", "Front_Right", "Rear_Center", "Rear_Left", "Rear_Right", "Side_Left",
        "Side_Right",
    ]
    .map { alsa + "/\($0).wav" }
    /// Recorded noise, no speech.
    static let alsaNoise = alsa + "/Noise.wav"

    /// The klettres files with known edge cases (stereo, out-of-range floats, inter-sample peaks above 0 dBFS).
    static let klettresEdgeCases = [
        "ar/alpha/a-01.ogg", "he/syllab/ad-01.ogg", "lt/syllab/al.ogg", "ml/syllab/baa.ogg", "tn/syllab/ba.ogg",
        "uk/syllab/ba.ogg",
    ].map { klettres + "/" + $0 }

    /// Languages whose alphabet is read by one speaker at 44.1 kHz: each makes one long real recording.
    static let alphabetLanguages = ["ar", "de", "en", "fr", "he", "hu", "lt", "nl", "ru", "uk"]

    static var installed: Bool {
        (alsaSpeech + [alsaNoise] + klettresEdgeCases).allSatisfy { FileManager.default.fileExists(atPath: $0) }
    }

    /// The letters of `language`'s alphabet, in file-name order.
    static func alphabet(_ language: String) throws -> [String] {
        let dir = klettres + "/\(language)/alpha"
        return try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".ogg") }.sorted()
            .map { dir + "/" + $0 }
    }

    /// `count` letters from each of the alphabet languages: short real recordings, many speakers and languages.
    static func letters(perLanguage count: Int) throws -> [String] {
        try alphabetLanguages.flatMap { try alphabet($0).prefix(count) }
    }

    /// One speaker's long recording: `files` converted to 44.1 kHz mono, their leading and trailing silence
    /// (under -45 dBFS) trimmed and 0.15 s of it left after each, concatenated, at most `seconds`: read letters
    /// following each other as closely as in running speech.
    static func concatenate(_ files: [String], to output: String, seconds: Double = 10) throws {
        let parts = try FingerprintFixtures.parallelMap(Array(files.indices)) { (i: Int) -> String in
            let part = output + ".part\(i).wav"
            try TestSupport.must(
                "sox",
                [
                    files[i], "-b", "16", part, "remix", "-", "rate", "44100", "silence", "1", "0.01", "-45d",
                    "reverse",
                    "silence", "1", "0.01", "-45d", "reverse", "pad", "0", "0.15",
                ])
            return part
        }
        defer { parts.forEach(TestSupport.remove) }
        try TestSupport.must("sox", parts + [output, "trim", "0", String(seconds)])
    }

    /// The long real recordings: the alsa words as one recording, and each alphabet language read through.
    static func longRecordings(in dir: String, seconds: Double = 10) throws -> [(name: String, path: String)] {
        var made = [(name: "en-alsa", path: dir + "/en-alsa.wav")]
        try concatenate(alsaSpeech, to: made[0].path, seconds: seconds)
        for language in alphabetLanguages {
            let path = dir + "/\(language)-alphabet.wav"
            try concatenate(try alphabet(language), to: path, seconds: seconds)
            made.append((name: "\(language)-alphabet", path: path))
        }
        return made
    }
}
