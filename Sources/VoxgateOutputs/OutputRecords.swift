package import VoxgateCorpus
import VoxgatePipeline

/// The JSON records of voxgate's output contract. Fields are only ever added, never renamed.
package enum OutputRecords {
    /// Where an accepted clip went.
    package struct Placement {
        package var shard: String
        package var key: String
        /// `train`, `dev`, `test`, or nil when its sentence is already in another split.
        package var split: String?
        /// SHA-256 of the audio member's content (also in the sample's JSON as `audio_sha256`).
        package var audioSHA256: String?

        package init(shard: String, key: String, split: String?, audioSHA256: String?) {
            (self.shard, self.key, self.split, self.audioSHA256) = (shard, key, split, audioSHA256)
        }
    }

    /// One line of `decisions.jsonl`.
    static func decision(_ o: ClipOutcome, placement: Placement?) -> JSONText {
        let m = o.measurement
        var fields: [(String, JSONText)] = [
            ("clip", .string(o.source.clip)),
            ("status", .string(o.isAccepted ? "accepted" : "rejected")),
            ("reasons", .array(o.reasons.map { .string($0.rawValue) })),
            ("detail", .optional(o.detail)),
            ("language", .string(o.source.languageTag)),
            ("duration_s", .double(m?.durationSeconds ?? 0)),
            ("sample_rate", .int(m?.sampleRate ?? 0)),
            ("channels", .int(m?.channels ?? 0)),
            ("loudness_lufs", number(m?.signal.integratedLUFS, 2)),
            ("snr_db", number(m?.signal.snrDB, 1)),
            ("duplicate_of", .optional(o.duplicateOf)),
            ("frames", .int(m?.frames ?? 0)),
            ("format", .optional(m.map { "\($0.container)/\($0.encoding)" })),
            ("rms_dbfs", m.map { .rounded($0.rmsDBFS, places: 2) } ?? .null),
            ("sample_peak_dbfs", m.map { .rounded($0.samplePeakDBFS, places: 2) } ?? .null),
            // Identity version 1 (SHA-256): kept in the contract, null since version 2 (`pcm_xxh3_128`).
            ("pcm_sha256", .null),
            ("pcm_xxh3_128", .optional(m?.pcmXXH3)),
        ]
        fields += signalFields(m?.signal)
        fields += [
            ("shard", .optional(placement?.shard)),
            ("key", .optional(placement?.key)),
            ("split", .optional(placement?.split)),
        ]
        if let r = o.review {
            fields.append(("review", .object([("accept", .int(r.accept)), ("reject", .int(r.reject))])))
        }
        return .object(fields)
    }

    /// `<key>.json` inside a shard: what an ML team needs to train on the sample, and no raw client_id.
    static func sample(
        _ o: ClipOutcome, metadata: ClipMetadata, terms: Terms, speaker: String, split: String?, audioExtension: String,
        audioSHA256: String,
        audioFormat: ShardAudio.Format? = nil
    ) -> JSONText {
        let m = o.measurement!
        // Uniform audio (shards.sample_rate / shards.channels): the member's own rate and channels, after
        // the measured ones. Absent otherwise, so releases made without them do not change.
        let uniform: [(String, JSONText)] =
            audioFormat.map {
                [
                    ("audio_sample_rate", .int($0.sampleRate)), ("audio_channels", .int($0.channels)),
                    ("audio_frames", .int($0.frames)),
                ]
            } ?? []
        return .object(
            [
                ("clip", .string(o.source.clip)),
                ("language", .string(o.source.languageTag)),
                ("sentence", .string(metadata.sentence)),
                ("duration_s", .double(m.durationSeconds)),
                ("frames", .int(m.frames)),
                ("sample_rate", .int(m.sampleRate)),
                ("channels", .int(m.channels)),
                ("speaker", .string(speaker)),
                ("license", .string(terms.license ?? "")),
                ("terms", .string(TermsRecords.label(terms))),
                ("split", .optional(split)),
                ("audio", .string(audioExtension)),
                ("audio_sha256", .string(audioSHA256)),
                ("source_format", .string("\(m.container)/\(m.encoding)")),
                (
                    "metrics",
                    .object(metrics(m))
                ),
                ("pcm_sha256", .null),
                ("pcm_xxh3_128", .optional(m.pcmXXH3)),
                ("release", .object(metadata.release.keys.sorted().map { ($0, .string(metadata.release[$0]!)) })),
            ] + uniform)
    }

    static func metrics(_ m: ClipMeasurement) -> [(String, JSONText)] {
        let head: [(String, JSONText)] = [
            ("loudness_lufs", number(m.signal.integratedLUFS, 2)),
            ("snr_db", number(m.signal.snrDB, 1)),
            ("rms_dbfs", .rounded(m.rmsDBFS, places: 2)),
            ("sample_peak_dbfs", .rounded(m.samplePeakDBFS, places: 2)),
        ]
        return head + signalFields(m.signal)
    }

    static func number(_ x: Double?, _ places: Int) -> JSONText { x.map { .rounded($0, places: places) } ?? .null }

    /// The signal metrics beyond loudness and SNR, in decisions and sample JSON alike.
    static func signalFields(_ s: SignalMetrics?) -> [(String, JSONText)] {
        let fields: [(String, JSONText)] = [
            ("true_peak_dbtp", number(s?.truePeakDBTP, 2)),
            ("max_momentary_lufs", number(s?.maxMomentaryLUFS, 2)),
            ("max_short_term_lufs", number(s?.maxShortTermLUFS, 2)),
            ("loudness_range_lu", number(s?.loudnessRangeLU, 2)),
            ("clipped_ratio", number(s?.clippedSampleRatio, 6)),
            ("clipped_runs", s.map { .int($0.clippedRuns) } ?? .null),
            ("speech_s", number(s?.speechSeconds, 2)),
            ("leading_silence_s", number(s?.leadingSilenceSeconds, 2)),
            ("trailing_silence_s", number(s?.trailingSilenceSeconds, 2)),
        ]
        return fields
    }

    /// A WebDataset key for a clip: no dots (WebDataset splits member names at the first dot), ASCII
    /// only, at most 60 bytes, and unique: a readable stem plus 12 hex digits of SHA-256(clip path).
    package static func key(for clip: ClipSource, clipDigest: String) -> String {
        let readable = clip.clipID.unicodeScalars.map { s -> Character in
            s.isASCII && (s.properties.isAlphabetic || ("0"..."9").contains(s) || s == "-" || s == "_")
                ? Character(s) : "_"
        }
        return String(readable.prefix(40)) + "_" + clipDigest.prefix(12)
    }
}
