import Foundation
import VoxgateAudio
public import VoxgateCorpus
import VoxgateDSP

/// The decode-and-measure stage: turns one ``ClipSource`` into a provisional ``ClipOutcome``
/// (every check except duplicates, which need path order and are decided by ``DuplicateIndex``).
///
/// Blocking (C decoders, file I/O): call it off the cooperative pool. Streams the file in blocks of
/// `config.run.blockFrames` frames, so its memory does not grow with the clip, except for the
/// shard audio of a clip that may be accepted, which is at most `checks.max_duration_s` long.
public struct ClipAnalyzer: Sendable {
    public var config: PipelineConfig
    public var withdrawals: Withdrawals
    /// Each language community's terms, by tag.
    public var communityTerms: [String: Terms]
    /// Reviewers' votes by clip path (``ReviewPolicy``); empty when nobody voted.
    public var reviews: [String: ReviewTally] = [:]
    /// How a client_id read from a sidecar is kept: the run passes its corpus's pseudonym.
    public var speakerIDs = SpeakerIDs.asRead
    /// The largest upload read whole (``FileImage``); larger ones are streamed from disk. Tests lower it.
    var inMemoryLimit = FileImage.inMemoryLimit
    /// The largest upload whose bytes an accepted clip keeps for its shard (``UploadBytes``), so that the clips
    /// waiting to be written in order (`run.clips_in_flight_per_job` per worker) add at most this much each;
    /// a larger one is copied from disk again and hashed as it is copied. Compressed uploads are tens to
    /// hundreds of kB (the mixed corpus: median 66 kB, largest 1.0 MB).
    var keptUploadLimit = 1 << 20

    public init(config: PipelineConfig, withdrawals: Withdrawals, communityTerms: [String: Terms] = [:]) {
        self.config = config
        self.withdrawals = withdrawals
        self.communityTerms = communityTerms
    }

    /// Analyses one clip: reads its metadata, decodes and measures it, and decides it. Never throws:
    /// whatever is wrong with the clip becomes a finding.
    public func analyze(_ source: ClipSource) -> ClipOutcome {
        var times = StageTimes()
        defer { StageClock.add(times) }
        var clock = StageClock.now()
        let (sidecar, withdrawnBefore) = speakerIDs.keep(source.metadata.read())
        if withdrawnBefore, case .valid(let m) = sidecar {
            // Withdrawn before the ledger kept pseudonyms: known by the raw id only, matched here as it is read.
            var withdrawn = self
            withdrawn.withdrawals.clientIDs.insert(m.clientID)
            withdrawn.speakerIDs.withdrawnBefore = { _ in false }
            return withdrawn.analyze(source)
        }
        clock = times.lap(.metadata, since: clock)
        if let refusal = source.refusal {
            // Not a regular file inside the root: rejected without reading a byte of it.
            let analysis = ClipAnalysis(sidecar: sidecar, measurement: nil, decodeFailure: refusal, fileSHA256: nil)
            return decide(source, analysis: analysis, decoded: true)
        }
        let metadata: ClipMetadata? = if case .valid(let m) = sidecar { m } else { nil }
        // Read once: hashed and decoded from memory (streamed from disk only when larger than FileImage's limit).
        let image = FileImage.read(path: source.path, limit: inMemoryLimit)
        let upload = image.map(UploadBytes.init)  // hashed here, once: the shard member's hash too when released as is
        var analysis = ClipAnalysis(
            sidecar: sidecar, measurement: nil, decodeFailure: nil,
            fileSHA256: upload?.sha256 ?? FileDigest.sha256(path: source.path))
        clock = times.lap(.fileHash, since: clock)
        let (_, metadataFindings) = checkMetadata(source, analysis: &analysis, metadata: metadata)
        clock = times.lap(.metadata, since: clock)
        var flac: (bytes: [UInt8], frames: Int)?
        do {  // a folder where a clip should be was refused above (UploadConfinement)
            // FLAC for the shard is encoded during the one decoding pass, only for clips still acceptable.
            (analysis.measurement, flac) = try decode(
                source.path, image: image,
                mayBeSharded: metadataFindings.isEmpty || reviewMayLift(source, metadataFindings),
                times: &times)
        } catch let error as DecodeError {
            analysis.decodeFailure = error.message
        } catch let error as EncodeError {
            analysis.decodeFailure = "re-encoding to FLAC failed: \(error.message)"
        } catch let error as ResampleError {
            analysis.decodeFailure = "resampling to shards.sample_rate failed: \(error.message)"
        } catch {
            analysis.decodeFailure = "the file could not be read (\(error)); check the disk"
        }
        clock = StageClock.now()
        var outcome = decide(source, analysis: analysis, decoded: true)
        if outcome.isAccepted {
            do {
                outcome.shardAudio = try shardAudio(
                    source: source, measurement: analysis.measurement!, flac: flac, upload: upload,
                    fileSHA256: analysis.fileSHA256)
            } catch {
                outcome.findings.append(
                    Finding(.decodeError, "the file could not be read for sharding (\(error)); check the disk"))
            }
        }
        times.lap(.otherAnalysis, since: clock)
        times.clips = 1
        return outcome
    }

    /// Decides a clip again from an earlier run's analysis, without decoding it: for clips whose file is
    /// unchanged. Thresholds, withdrawals, terms and language checks are applied anew.
    /// - Parameter isReleased: an earlier run released the clip (its audio is in a shard already).
    /// - Returns: nil when the clip is acceptable, not yet released, and its shard audio needs decoding
    ///   (a FLAC re-encode): call ``analyze(_:)`` for it.
    /// - Parameter audio: the clip's shard audio when it is already at hand (a partition's shard member).
    public func reassess(
        _ source: ClipSource, analysis: ClipAnalysis, isReleased: Bool = false, audio: ShardAudio? = nil
    ) -> ClipOutcome? {
        // A file replaced by a link out of the root (or a pipe) since it was decided is never read again.
        if source.refusal != nil { return analyze(source) }
        var outcome = decide(source, analysis: analysis, decoded: false)
        guard outcome.isAccepted, !isReleased, let m = analysis.measurement else { return outcome }
        if let audio {
            outcome.shardAudio = audio
            return outcome
        }
        guard FileManager.default.fileExists(atPath: source.path) else {
            // Decided by an earlier run whose upload has since been removed: it cannot be released now.
            outcome.findings.append(
                Finding(
                    .decodeError,
                    "the upload is no longer in the upload folder, so it cannot be released; restore the file to release it"
                ))
            return outcome
        }
        guard config.shards.audio != .flac, !config.shards.isUniform,
            ContainerFormat(description: m.container)?.isReadableByShardClients == true
        else { return nil }
        guard let sha256 = analysis.fileSHA256 else { return nil }
        outcome.shardAudio = ShardAudio(
            content: .file(path: source.path, size: source.byteSize), fileExtension: m.contentExtension, sha256: sha256)
        return outcome
    }

    /// Every check on an analysis: metadata (consent, withdrawals, language, terms), then the signal
    /// thresholds. Pure: the same analysis and configuration always give the same findings.
    func decide(_ source: ClipSource, analysis: ClipAnalysis, decoded: Bool) -> ClipOutcome {
        var analysis = analysis
        if !decoded, withdrawals.erasedClips.contains(source.clip) {
            return ClipOutcome(
                source: source, analysis: analysis, decoded: decoded, metadata: nil, terms: nil,
                measurement: analysis.measurement,
                findings: [Finding(.consentWithdrawn, Withdrawals.detail)],
                duplicateOf: nil, shardAudio: nil)
        }
        let metadata: ClipMetadata? = if case .valid(let m) = analysis.sidecar { m } else { nil }
        var (terms, findings) = checkMetadata(source, analysis: &analysis, metadata: metadata)
        if let measurement = analysis.measurement {
            findings += SignalCheck.duration(seconds: measurement.durationSeconds, config: config.checks)
            let floor = SignalCheck.silence(rmsDBFS: measurement.rmsDBFS, config: config.checks)
            findings += floor.isEmpty ? SignalCheck.quality(measurement.signal, config: config.checks) : floor
        } else {
            findings.append(Finding(.decodeError, analysis.decodeFailure ?? "the file could not be decoded"))
        }
        if findings.contains(where: { $0.reason == .consentWithdrawn }) {
            // A withdrawal supersedes every other finding, and nothing of the contributor is used (their id
            // would count them as a speaker): the same decision as runs after the ledger erased their metadata.
            return ClipOutcome(
                source: source, analysis: analysis, decoded: decoded, metadata: nil, terms: nil,
                measurement: analysis.measurement, findings: [Finding(.consentWithdrawn, Withdrawals.detail)],
                duplicateOf: nil, shardAudio: nil)
        }
        if metadata == nil { terms = nil }
        var outcome = ClipOutcome(
            source: source, analysis: analysis, decoded: decoded, metadata: metadata, terms: terms,
            measurement: analysis.measurement, findings: findings, duplicateOf: nil, shardAudio: nil)
        applyReview(&outcome)
        return outcome
    }

    /// The checks that need no audio: consent and withdrawals, the language, the terms of use. The language
    /// findings are kept in (and, when of the current revision, taken from) `analysis`.
    private func checkMetadata(_ source: ClipSource, analysis: inout ClipAnalysis, metadata: ClipMetadata?)
        -> (Terms?, [Finding])
    {
        var findings = ConsentCheck.findings(for: analysis.sidecar, withdrawals: withdrawals)
        if let conflict = source.conflict { findings.append(Finding(.invalidMetadata, conflict)) }
        let sentenceLength = metadata.map { $0.sentence.unicodeScalars.count } ?? 0
        if sentenceLength > config.checks.maxSentenceChars {
            findings.append(
                Finding(
                    .invalidMetadata,
                    "the sentence is \(sentenceLength) characters long, over the \(config.checks.maxSentenceChars) "
                        + "allowed (checks.max_sentence_chars); a prompt is one sentence: fix the upload's metadata"))
        }
        if case .entry(let language, let script) = LanguageCatalog.shared.match(source.writtenTag) {
            if let metadata, sentenceLength <= config.checks.maxSentenceChars {
                if let kept = analysis.languageFindings, analysis.languageRevision == LanguageCheck.revision {
                    findings += kept
                } else {
                    var found = LanguageCheck.locale(metadata.locale, folder: language)
                    let written = LanguageCheck.script(of: metadata.sentence, language: language, script: script)
                    found += written.isEmpty ? LanguageCheck.text(of: metadata.sentence, language: language) : written
                    analysis.languageFindings = found
                    analysis.languageRevision = LanguageCheck.revision
                    findings += found
                }
            }
        } else {
            findings.append(LanguageCheck.unknown(tag: source.writtenTag))
        }
        guard let metadata else { return (nil, findings) }
        let (terms, problems) = TermsCheck.effective(
            community: communityTerms[source.languageTag], clip: metadata.terms, config: config.terms)
        return (terms, findings + problems)
    }

    private func shardAudio(
        source: ClipSource, measurement: ClipMeasurement, flac: (bytes: [UInt8], frames: Int)?, upload: UploadBytes?,
        fileSHA256: String?
    ) throws -> ShardAudio {
        if let flac {
            var audio = ShardAudio(
                content: .bytes(flac.bytes), fileExtension: "flac", sha256: FileDigest.sha256(flac.bytes))
            if config.shards.isUniform {
                audio.format = ShardAudio.Format(
                    sampleRate: config.shards.sampleRate ?? measurement.sampleRate,
                    channels: config.shards.channels ?? measurement.channels, frames: flac.frames)
            }
            return audio
        }
        if let upload, upload.count <= keptUploadLimit {  // the bytes analysed, in memory: no second read or hash
            return ShardAudio(
                content: .upload(upload), fileExtension: measurement.contentExtension, sha256: upload.sha256)
        }
        let size = try FileManager.default.attributesOfItem(atPath: source.path)[.size] as? Int ?? source.byteSize
        guard let fileSHA256 else {
            throw RunError(.inputUnusable, "'\(source.path)' could not be read to hash it", path: source.path)
        }
        return ShardAudio(
            content: .file(path: source.path, size: size), fileExtension: measurement.contentExtension,
            sha256: fileSHA256)
    }

    /// The one decoding pass: every signal meter, the PCM digest, the fingerprint and the FLAC encoder, block by block. FLAC is made
    /// for a clip that may still be sharded when `shards.audio` is `flac` or uniform audio is asked for
    /// (``ShardEncoder``: resampled and downmixed on the way), or when its container is one
    /// the shard readers (soundfile, i.e. libsndfile) cannot open, such as WebM.
    func decode(_ path: String, image: FileImage? = nil, mayBeSharded: Bool, times: inout StageTimes) throws
        -> (ClipMeasurement, (bytes: [UInt8], frames: Int)?)
    {
        var clock = StageClock.now()
        var decoder = try AudioDecoder(path: path, image: image)
        clock = times.lap(.decode, since: clock)
        let info = decoder.info
        let blockFrames = config.run.blockFrames
        var interleaved = [Float](repeating: 0, count: blockFrames * info.channels)
        var mono = [Float](repeating: 0, count: blockFrames)
        var meters = SignalMeters(sampleRate: info.sampleRate, channels: info.channels)
        let digest = PCMDigest(sampleRate: info.sampleRate, channels: info.channels)
        var fingerprinter = SpeechFingerprinter(sampleRate: info.sampleRate)
        let maxFrames = Int((config.checks.maxDurationSeconds * Double(info.sampleRate)).rounded(.up))
        var shard: ShardEncoder? =
            mayBeSharded
                && (config.shards.audio == .flac || config.shards.isUniform || !info.container.isReadableByShardClients)
            ? try ShardEncoder(config.shards, info: info)
            : nil
        clock = times.lap(.otherAnalysis, since: clock)
        var frames = 0
        while true {
            let got = try interleaved.withUnsafeMutableBufferPointer { try decoder.read(into: $0) }
            clock = times.lap(.decode, since: clock)
            if got == 0 { break }
            frames += got
            try interleaved.withUnsafeBufferPointer { all in
                let block = UnsafeBufferPointer(rebasing: all[0..<got * info.channels])
                try mono.withUnsafeMutableBufferPointer { scratch in
                    let m = Mixdown.monoView(block, channels: info.channels, frames: got, scratch: scratch)
                    meters.consume(interleaved: block, mono: m, frames: got)
                    clock = times.lap(.meters, since: clock)
                    fingerprinter.consume(mono: m)
                    clock = times.lap(.fingerprint, since: clock)
                    if frames > maxFrames { shard = nil }  // too long: will be rejected, stop holding its audio
                    try shard?.append(block, mono: m, frames: got)
                    clock = times.lap(.shardEncode, since: clock)
                }
                digest.update(block)
                clock = times.lap(.pcmHash, since: clock)
            }
        }
        times.samples += frames * info.channels
        let signal = SignalMetrics(meters)
        clock = times.lap(.meters, since: clock)
        let fingerprint = fingerprinter.finish().subFingerprints
        clock = times.lap(.fingerprint, since: clock)
        let pcmXXH3 = digest.finalize()
        clock = times.lap(.pcmHash, since: clock)
        let flac = try shard?.finish()
        times.lap(.shardEncode, since: clock)
        let measurement = ClipMeasurement(
            frames: frames, sampleRate: info.sampleRate, channels: info.channels,
            container: info.container.description, contentExtension: info.container.fileExtension,
            encoding: info.encoding.rawValue, rmsDBFS: meters.level.rmsDBFS,
            samplePeakDBFS: meters.level.samplePeakDBFS, signal: signal, pcmXXH3: pcmXXH3,
            fingerprint: fingerprint)
        return (measurement, flac)
    }
}

extension SignalMetrics {
    /// The meters' results as the plain values the checks and outputs use.
    init(_ m: SignalMeters) {
        let loudness = m.loudness.result
        let clipping = m.clipping.result
        let speech = m.speech.result
        let truePeak = m.truePeak.truePeakDBTP
        self.init(
            integratedLUFS: loudness.integratedLUFS, maxMomentaryLUFS: loudness.maxMomentaryLUFS,
            maxShortTermLUFS: loudness.maxShortTermLUFS, loudnessRangeLU: loudness.loudnessRangeLU,
            truePeakDBTP: truePeak.isFinite ? truePeak : nil, clippedSampleRatio: clipping.ratio,
            clippedRuns: clipping.runs, speechSeconds: speech.speechSeconds,
            leadingSilenceSeconds: speech.leadingSilenceSeconds, trailingSilenceSeconds: speech.trailingSilenceSeconds,
            hasSpeech: speech.hasSpeech, snrDB: speech.snrDB)
    }
}
