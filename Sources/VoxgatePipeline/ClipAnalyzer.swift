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
    public var withdrawals: Set<String>
    /// Each language community's terms, by tag.
    public var communityTerms: [String: Terms]

    public init(config: PipelineConfig, withdrawals: Set<String>, communityTerms: [String: Terms] = [:]) {
        self.config = config
        self.withdrawals = withdrawals
        self.communityTerms = communityTerms
    }

    /// Analyses one clip. Never throws: whatever is wrong with the clip becomes a finding.
    public func analyze(_ source: ClipSource) -> ClipOutcome {
        let sidecar = source.metadata.read()
        let metadata: ClipMetadata? = if case .valid(let m) = sidecar { m } else { nil }
        var (terms, findings) = checkMetadata(source, sidecar: sidecar, metadata: metadata)
        var outcome = ClipOutcome(
            source: source, metadata: metadata, terms: terms, measurement: nil, findings: findings, duplicateOf: nil,
            shardAudio: nil)
        do {
            // FLAC for the shard is encoded during the one decoding pass, only for clips still acceptable.
            let (measurement, flac) = try decode(
                source.path, mayBeSharded: findings.isEmpty)
            outcome.measurement = measurement
            findings += SignalCheck.duration(seconds: measurement.durationSeconds, config: config.checks)
            let floor = SignalCheck.silence(rmsDBFS: measurement.rmsDBFS, config: config.checks)
            findings += floor.isEmpty ? SignalCheck.quality(measurement.signal, config: config.checks) : floor
            if findings.isEmpty {
                outcome.shardAudio = try shardAudio(source: source, measurement: measurement, flac: flac)
            }
        } catch let error as DecodeError {
            findings.append(Finding(.decodeError, error.message))
        } catch let error as EncodeError {
            findings.append(Finding(.decodeError, "re-encoding to FLAC failed: \(error.message)"))
        } catch {
            findings.append(Finding(.decodeError, "the file could not be read for sharding (\(error)); check the disk"))
        }
        outcome.findings = findings
        if !findings.isEmpty { outcome.shardAudio = nil }
        return outcome
    }

    /// The checks that need no audio: consent and withdrawals, the language, the terms of use.
    private func checkMetadata(_ source: ClipSource, sidecar: SidecarReading, metadata: ClipMetadata?)
        -> (Terms?, [Finding])
    {
        var findings = ConsentCheck.findings(for: sidecar, withdrawals: withdrawals)
        if let language = LanguageCatalog.shared.entry(for: source.languageTag) {
            if let metadata {
                findings += LanguageCheck.locale(metadata.locale, folder: language)
                let script = LanguageCheck.script(of: metadata.sentence, language: language)
                findings += script.isEmpty ? LanguageCheck.text(of: metadata.sentence, language: language) : script
            }
        } else {
            findings.append(LanguageCheck.unknown(tag: source.languageTag))
        }
        guard let metadata else { return (nil, findings) }
        let (terms, problems) = TermsCheck.effective(
            community: communityTerms[source.languageTag], clip: metadata.terms, config: config.terms)
        return (terms, findings + problems)
    }

    private func shardAudio(source: ClipSource, measurement: ClipMeasurement, flac: [UInt8]?) throws -> ShardAudio {
        if let flac { return ShardAudio(content: .bytes(flac), fileExtension: "flac") }
        let size = try FileManager.default.attributesOfItem(atPath: source.path)[.size] as? Int ?? source.byteSize
        return ShardAudio(content: .file(path: source.path, size: size), fileExtension: measurement.contentExtension)
    }

    /// The one decoding pass: every signal meter, the PCM digest, the fingerprint and the FLAC encoder, block by block. FLAC is made
    /// for a clip that may still be sharded when `shards.audio` is `flac`, or when its container is one
    /// the shard readers (soundfile, i.e. libsndfile) cannot open, such as WebM.
    func decode(_ path: String, mayBeSharded: Bool) throws -> (ClipMeasurement, [UInt8]?) {
        var decoder = try AudioDecoder(path: path)
        let info = decoder.info
        let blockFrames = config.run.blockFrames
        var interleaved = [Float](repeating: 0, count: blockFrames * info.channels)
        var mono = [Float](repeating: 0, count: blockFrames)
        var meters = SignalMeters(sampleRate: info.sampleRate, channels: info.channels)
        var digest = PCMDigest(sampleRate: info.sampleRate, channels: info.channels)
        var fingerprinter = SpeechFingerprinter(sampleRate: info.sampleRate)
        let maxFrames = Int((config.checks.maxDurationSeconds * Double(info.sampleRate)).rounded(.up))
        var encoder: FLACEncoder? =
            mayBeSharded && (config.shards.audio == .flac || !info.container.isReadableByShardClients)
            ? try FLACEncoder(
                sampleRate: info.sampleRate, channels: info.channels,
                bitsPerSample: info.encoding.losslessBitDepth ?? 16,
                compressionLevel: config.shards.flacCompressionLevel)
            : nil
        var frames = 0
        while true {
            let got = try interleaved.withUnsafeMutableBufferPointer { try decoder.read(into: $0) }
            if got == 0 { break }
            frames += got
            try interleaved.withUnsafeBufferPointer { all in
                let block = UnsafeBufferPointer(rebasing: all[0..<got * info.channels])
                mono.withUnsafeMutableBufferPointer { m in
                    Mixdown.mono(block, channels: info.channels, frames: got, into: m)
                    meters.consume(interleaved: block, mono: UnsafeBufferPointer(rebasing: m[0..<got]), frames: got)
                    fingerprinter.consume(mono: UnsafeBufferPointer(rebasing: m[0..<got]))
                }
                digest.update(block)
                if frames > maxFrames { encoder = nil }  // too long: will be rejected, stop holding its audio
                try encoder?.append(block, frames: got)
            }
        }
        let measurement = ClipMeasurement(
            frames: frames, sampleRate: info.sampleRate, channels: info.channels,
            container: info.container.description, contentExtension: info.container.fileExtension,
            encoding: info.encoding.rawValue, rmsDBFS: meters.level.rmsDBFS,
            samplePeakDBFS: meters.level.samplePeakDBFS, signal: SignalMetrics(meters), pcmSHA256: digest.finalize(),
            fingerprint: fingerprinter.finish().subFingerprints)
        return (measurement, try encoder?.finish())
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
