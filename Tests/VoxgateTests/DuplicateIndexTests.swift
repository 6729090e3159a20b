import Foundation
import Testing
import VoxgateCorpus

@testable import VoxgatePipeline

/// The duplicate index on its own (whole runs over it: IngestTests, MergeTests, HistoryIndependenceTests): which
/// clip is kept, what a duplicate's detail names, released clips, re-registration, and the compact storage (paths in
/// 1 MiB chunks, sharded tables, 128-bit keys) at sizes that grow every part of it.
@Suite("Duplicate index")
struct DuplicateIndexTests {
    /// An accepted clip as an earlier run left it: `digest` of its samples, a sidecar by `client` reading
    /// `sentence`, and `fingerprint`.
    static func clip(
        _ path: String, digest: String, client: String = "spk-1", sentence: String = "A sentence.",
        fingerprint: [UInt32] = []
    ) -> ClipOutcome {
        let sidecar = SidecarReading.parse(
            Array(
                #"{"sentence": "\#(sentence)", "client_id": "\#(client)", "consent": true, "license": "CC0-1.0"}"#
                    .utf8))
        let signal = SignalMetrics(
            integratedLUFS: -20, maxMomentaryLUFS: -18, maxShortTermLUFS: -19, loudnessRangeLU: 3, truePeakDBTP: -3,
            clippedSampleRatio: 0, clippedRuns: 0, speechSeconds: 1, leadingSilenceSeconds: 0,
            trailingSilenceSeconds: 0, hasSpeech: true, snrDB: 30)
        let measurement = ClipMeasurement(
            frames: 16000, sampleRate: 16000, channels: 1, container: "wav", contentExtension: "wav",
            encoding: "pcm_16", rmsDBFS: -20, samplePeakDBFS: -3, signal: signal, pcmXXH3: digest,
            fingerprint: fingerprint)
        let source = ClipSource(
            clip: path, path: "/uploads/" + path, languageTag: String(path.prefix { $0 != "/" }),
            clipID: String(path.split(separator: "/").last!.split(separator: ".")[0]), metadata: .sidecar(path: nil),
            byteSize: 100)
        return ClipOutcome(
            source: source,
            earlier: ClipAnalysis(sidecar: sidecar, measurement: measurement, decodeFailure: nil, fileSHA256: nil))
    }

    /// A PCM identity of `n` in the form ``PCMDigest`` writes (32 lowercase hex digits, XXH3-128).
    static func digest(_ n: Int) -> String {
        var h = UInt64(n) &* 0x9E37_79B9_7F4A_7C15 &+ 1
        return (0..<2).map { _ in
            h ^= h >> 29
            h = h &* 0xBF58_476D_1CE4_E5B9
            return String(format: "%016llx", h)
        }.joined()
    }

    /// A speech-like fingerprint (words that change in a few bits from frame to frame, as
    /// `voxgate-bench fingerprint-index` makes them) of `frames` frames, seeded by `seed`.
    static func fingerprint(_ seed: UInt64, frames: Int = 250) -> [UInt32] {
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        func mask(_ k: Int) -> UInt32 { (0..<k).reduce(UInt32.max) { m, _ in m & UInt32(truncatingIfNeeded: next()) } }
        var w = UInt32(truncatingIfNeeded: next())
        return (0..<frames).map { _ in
            w ^= mask(3) | mask(5)
            return w
        }
    }

    static func decided(_ outcome: ClipOutcome, in index: inout DuplicateIndex) -> ClipOutcome {
        var outcome = outcome
        index.decide(&outcome)
        return outcome
    }

    @Test func theFirstAcceptedClipIsKeptAndLaterCopiesNameIt() {
        var index = DuplicateIndex()
        let a = Self.decided(Self.clip("en/a.wav", digest: Self.digest(1)), in: &index)
        #expect(a.isAccepted)
        // Rejected for another reason first: not kept, so its copy can be.
        var unconsented = Self.clip("en/b.wav", digest: Self.digest(2), client: "spk-2")
        unconsented.findings.append(Finding(.noConsent, "no consent"))
        index.decide(&unconsented)
        let copyOfA = Self.decided(Self.clip("en/c.wav", digest: Self.digest(1), client: "spk-3"), in: &index)
        #expect(copyOfA.duplicateOf == "en/a.wav")
        #expect(copyOfA.detail == "duplicate: the same decoded samples as en/a.wav, which is kept")
        let copyOfB = Self.decided(Self.clip("en/d.wav", digest: Self.digest(2), client: "spk-4"), in: &index)
        #expect(copyOfB.isAccepted && copyOfB.duplicateOf == nil)
        let copyOfD = Self.decided(Self.clip("fr/e.wav", digest: Self.digest(2), client: "spk-5"), in: &index)
        #expect(copyOfD.duplicateOf == "en/d.wav")
        // A digest in another form than lowercase hex is compared as the string it is.
        let odd = Self.decided(Self.clip("en/f.wav", digest: "NOT-HEX", client: "spk-6"), in: &index)
        let oddCopy = Self.decided(Self.clip("en/g.wav", digest: "NOT-HEX", client: "spk-7"), in: &index)
        let upper = Self.decided(Self.clip("en/h.wav", digest: Self.digest(1).uppercased(), client: "s8"), in: &index)
        #expect(odd.isAccepted && oddCopy.duplicateOf == "en/f.wav" && upper.isAccepted)
    }

    @Test func aSentenceIsTheSameReadingOnlyInTheSameLanguageBySameSpeaker() {
        var index = DuplicateIndex()
        _ = Self.decided(Self.clip("en/a.wav", digest: Self.digest(1), sentence: "Hello, world!"), in: &index)
        // The same normalised sentence by the same speaker in other languages, and by others in English: kept.
        for (i, (path, client)) in [("fr/b.wav", "spk-1"), ("de/c.wav", "spk-1"), ("en/d.wav", "spk-2")].enumerated() {
            let other = Self.decided(
                Self.clip(path, digest: Self.digest(10 + i), client: client, sentence: "hello   WORLD"), in: &index)
            #expect(other.isAccepted, "\(path)")
        }
        let again = Self.decided(
            Self.clip("en/e.wav", digest: Self.digest(20), sentence: "HELLO world."), in: &index)
        #expect(again.duplicateOf == "en/a.wav")
        #expect(again.detail == "duplicate: the same speaker already recorded this sentence in en/a.wav, which is kept")
        let french = Self.decided(Self.clip("fr/f.wav", digest: Self.digest(21), sentence: "hello world"), in: &index)
        #expect(french.duplicateOf == "fr/b.wav")
        // Off by configuration: the same reading is kept.
        var off = DuplicateIndex(sameSpeakerSentence: false)
        _ = Self.decided(Self.clip("en/a.wav", digest: Self.digest(1), sentence: "Hello"), in: &off)
        #expect(Self.decided(Self.clip("en/b.wav", digest: Self.digest(2), sentence: "hello"), in: &off).isAccepted)
    }

    @Test func aCopyOfTheRecordingNamesTheKeptClipAndAClipIsNeverItsOwnCopy() {
        var index = DuplicateIndex()
        let recording = Self.fingerprint(7)
        let a = Self.clip("en/a.wav", digest: Self.digest(1), fingerprint: recording)
        _ = Self.decided(a, in: &index)
        _ = Self.decided(Self.clip("en/b.wav", digest: Self.digest(2), fingerprint: Self.fingerprint(8)), in: &index)
        let copy = Self.decided(
            Self.clip("fr/c.wav", digest: Self.digest(3), client: "spk-9", sentence: "Other.", fingerprint: recording),
            in: &index)
        #expect(copy.duplicateOf == "en/a.wav")
        #expect(
            copy.detail == "duplicate: the same recording as en/a.wav (similarity 1.00 at offset +0 ms), which is kept")
        // The kept clip decided again (a later run): not a duplicate of itself, by any kind.
        #expect(Self.decided(a, in: &index).isAccepted)
    }

    @Test func aReleasedClipStaysKeptWhateverComesBeforeIt() {
        var index = DuplicateIndex()
        let z = Self.clip("en/z.wav", digest: Self.digest(1), sentence: "Kept.", fingerprint: Self.fingerprint(3))
        index.register(released: z)
        // A new clip earlier in path order, with the same samples: the duplicate, not the kept one.
        let a = Self.decided(Self.clip("en/a.wav", digest: Self.digest(1), client: "spk-2"), in: &index)
        #expect(a.duplicateOf == "en/z.wav")
        // The released clip decided again is left as it is, even with a new analysis that a kept clip duplicates.
        let kept = Self.decided(Self.clip("en/k.wav", digest: Self.digest(5), client: "spk-5"), in: &index)
        #expect(kept.isAccepted)
        let reanalysed = Self.decided(
            Self.clip("en/z.wav", digest: Self.digest(5), client: "spk-5", fingerprint: Self.fingerprint(3)), in: &index
        )
        #expect(reanalysed.isAccepted && reanalysed.duplicateOf == nil)
        // Released without a measurement (nothing registered), it is still released by its path.
        var noMeasurement = Self.clip("en/y.wav", digest: Self.digest(6))
        noMeasurement.measurement = nil
        index.register(released: noMeasurement)
        index.register(released: noMeasurement)
        #expect(Self.decided(Self.clip("en/y.wav", digest: Self.digest(5)), in: &index).isAccepted)
        // A clip registered as kept but not released is checked (here: the copy of a released clip).
        var other = DuplicateIndex()
        other.register(released: z)
        other.register(Self.clip("en/m.wav", digest: Self.digest(9)))
        let m = Self.decided(Self.clip("en/m.wav", digest: Self.digest(1), client: "spk-3"), in: &other)
        #expect(m.duplicateOf == "en/z.wav")
    }

    /// A near-duplicate decision that stands (``StandingNearDuplicate``) replaces the lookup only while its kept clip
    /// is registered as released, and never the exact checks that come first.
    @Test func aStandingNearDuplicateStandsWhileItsKeptClipIsReleased() {
        let detail = "the same recording as en/x.wav (similarity 0.87 at offset -24 ms), which is kept"
        let standing = StandingNearDuplicate(kept: "en/x.wav", detail: detail)
        let x = Self.clip("en/x.wav", digest: Self.digest(1), sentence: "X.", fingerprint: Self.fingerprint(11))
        // Y's fingerprint matches nothing: what it is found to be comes from the standing decision alone.
        let y = Self.clip("en/y.wav", digest: Self.digest(2), client: "spk-2", fingerprint: Self.fingerprint(12))
        var index = DuplicateIndex()
        index.register(released: x)
        var decided = y
        index.decide(&decided, standing: standing)
        #expect(decided.duplicateOf == "en/x.wav" && decided.shardAudio == nil)
        #expect(decided.detail == "duplicate: " + detail)
        // Its kept clip not released (withdrawn, say, so not registered): looked up again, and nothing matches.
        var fresh = DuplicateIndex()
        fresh.register(Self.clip("en/x.wav", digest: Self.digest(1), sentence: "X.", fingerprint: Self.fingerprint(11)))
        var looked = y
        fresh.decide(&looked, standing: standing)
        #expect(looked.isAccepted && looked.duplicateOf == nil)
        // The same samples as a kept clip: the exact finding, whatever stood.
        var copy = Self.clip("en/z.wav", digest: Self.digest(1), client: "spk-3", fingerprint: Self.fingerprint(12))
        index.decide(&copy, standing: StandingNearDuplicate(kept: "en/w.wav", detail: detail))
        #expect(copy.detail == "duplicate: the same decoded samples as en/x.wav, which is kept")
    }

    /// The standing decision read back from a record's detail is the finding the lookup wrote, word for word; any
    /// other duplicate finding, or another kept clip, gives none.
    @Test func aStandingNearDuplicateIsReadBackFromTheRecordWordForWord() throws {
        var index = DuplicateIndex()
        let recording = Self.fingerprint(21)
        _ = Self.decided(Self.clip("en/a b; c.wav", digest: Self.digest(1), fingerprint: recording), in: &index)
        var copy = Self.clip(
            "en/d.wav", digest: Self.digest(2), client: "spk-2", sentence: "D.", fingerprint: recording)
        copy.findings.append(Finding(.languageMismatch, "the text reads as French; which is kept (similarity 1)"))
        index.decide(&copy)
        let finding = try #require(copy.findings.first { $0.reason == .duplicate })
        let read = try #require(StandingNearDuplicate(duplicateOf: copy.duplicateOf, detail: copy.detail))
        #expect(read == StandingNearDuplicate(kept: "en/a b; c.wav", detail: finding.detail))
        #expect(StandingNearDuplicate(duplicateOf: "en/other.wav", detail: copy.detail) == nil)
        #expect(StandingNearDuplicate(duplicateOf: nil, detail: copy.detail) == nil)
        #expect(
            StandingNearDuplicate(
                duplicateOf: "en/a.wav", detail: "duplicate: the same decoded samples as en/a.wav, which is kept")
                == nil)
        #expect(
            StandingNearDuplicate(
                duplicateOf: "en/a.wav",
                detail: "duplicate: the same recording as en/a.wav (similarity <b>1</b> at offset +0 ms), which is kept"
            )
                == nil)
    }

    @Test func registeringAClipTwiceHasNoFurtherEffect() {
        var index = DuplicateIndex()
        let a = Self.clip("en/a.wav", digest: Self.digest(1), fingerprint: Self.fingerprint(1))
        index.register(a)
        let bytes = index.memoryBytes  // a second fingerprint or path would add to it
        index.register(a)
        #expect(index.memoryBytes == bytes)
        index.register(released: a)
        let released = index.memoryBytes
        index.register(released: a)
        index.register(a)
        #expect(index.memoryBytes == released)
        var copy = a
        copy.source.clip = "en/b.wav"
        #expect(Self.decided(copy, in: &index).duplicateOf == "en/a.wav")
    }

    /// Paths compare as Strings do: a clip spelled in another Unicode normalisation is the same clip.
    @Test func aPathInAnotherNormalisationIsTheSameClip() {
        let composed = "fr/caf\u{E9}.wav"
        let decomposed = "fr/cafe\u{301}.wav"
        var index = DuplicateIndex()
        _ = Self.decided(Self.clip(composed, digest: Self.digest(1)), in: &index)
        #expect(Self.decided(Self.clip(decomposed, digest: Self.digest(1)), in: &index).isAccepted)
        var released = DuplicateIndex()
        released.register(released: Self.clip(decomposed, digest: Self.digest(1)))
        #expect(Self.decided(Self.clip(composed, digest: Self.digest(2)), in: &released).isAccepted)
        #expect(
            Self.decided(Self.clip("fr/other.wav", digest: Self.digest(1)), in: &released).duplicateOf == decomposed)
    }

    /// Enough clips, with long paths, to grow every shard of the tables several times and fill several 1 MiB chunks
    /// of paths: every copy still names its own original, and every released clip is found by its path.
    @Test func thousandsOfClipsEachCopyNamesItsOriginal() {
        let n = 30_000
        let folder = String(repeating: "long-folder-name/", count: 4)
        func path(_ i: Int) -> String { "en/\(folder)c\(String(format: "%08d", i)).wav" }
        var index = DuplicateIndex()
        for i in 0..<n {
            let outcome = Self.clip(path(i), digest: Self.digest(i), client: "spk-\(i % 997)", sentence: "S \(i)")
            if i % 3 == 0 { index.register(released: outcome) } else { index.register(outcome) }
        }
        #expect(index.memoryBytes > n * 60)
        var wrong: [String] = []
        for i in stride(from: 0, to: n, by: 7) {
            let copy = Self.decided(
                Self.clip("fr/copy\(i).wav", digest: Self.digest(i), client: "other"), in: &index)
            if copy.duplicateOf != path(i) { wrong.append("copy \(i): \(copy.duplicateOf ?? "kept")") }
            let reading = Self.decided(
                Self.clip("en/zz\(i).wav", digest: Self.digest(n + i), client: "spk-\(i % 997)", sentence: "s  \(i)."),
                in: &index)
            if reading.duplicateOf != path(i) { wrong.append("reading \(i): \(reading.duplicateOf ?? "kept")") }
            // Decided again under a changed analysis: released clips are left alone, the others are checked.
            let again = Self.decided(Self.clip(path(i), digest: Self.digest(0), client: "x", sentence: "y"), in: &index)
            let expected: String? = i % 3 == 0 || i == 0 ? nil : path(0)
            if again.duplicateOf != expected { wrong.append("again \(i): \(again.duplicateOf ?? "kept")") }
        }
        #expect(wrong.isEmpty, "\(wrong.prefix(5))")
    }
}
