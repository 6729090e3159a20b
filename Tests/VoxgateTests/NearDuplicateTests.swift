import Foundation
import Testing

@testable import VoxgateDSP
@testable import VoxgatePipeline

/// The fingerprint and the near-duplicate index against copies made by sox and ffmpeg (never against
/// numbers the code produced): recall per transformation, and no match between different recordings.
@Suite("Near-duplicate recordings: fingerprint and index")
struct NearDuplicateTests {
    @Test func realFFTMatchesADirectDFT() {
        // With and without a window, at the smallest size and at the fingerprint's (both SIMD and scalar passes).
        for n in [16, 64, 512] {
            let fft = RealFFT(size: n)
            var rng = SplitMix64(seed: UInt64(n))
            let x = (0..<n).map { _ in Float(Double(rng.next() >> 11) / Double(1 << 53) - 0.5) }
            let w = (0..<n).map { Float(0.5 - 0.5 * cos(2 * .pi * Double($0) / Double(n))) }
            for windowed in [false, true] {
                var re = [Float](repeating: .nan, count: n / 2 + 1), im = re
                var dft = [Double](repeating: 0, count: n / 2 + 1)
                x.withUnsafeBufferPointer { xp in
                    w.withUnsafeBufferPointer { wp in
                        re.withUnsafeMutableBufferPointer { r in
                            im.withUnsafeMutableBufferPointer {
                                fft.transform(
                                    xp.baseAddress!, window: windowed ? wp.baseAddress! : nil, re: r.baseAddress!,
                                    im: $0.baseAddress!)
                            }
                        }
                    }
                }
                for k in 0...(n / 2) {
                    var (sr, si) = (0.0, 0.0)
                    for t in 0..<n {
                        let v = Double(x[t]) * (windowed ? Double(w[t]) : 1)
                        sr += v * cos(2 * .pi * Double(k * t) / Double(n))
                        si -= v * sin(2 * .pi * Double(k * t) / Double(n))
                    }
                    #expect(
                        abs(Double(re[k]) - sr) < 1e-4 && abs(Double(im[k]) - si) < 1e-4,
                        "n \(n) bin \(k) windowed \(windowed)")
                    dft[k] = sr * sr + si * si
                }
                // The power spectrum straight from the split step: the same powers.
                var power = [Float](repeating: .nan, count: n / 2 + 1)
                var scratchRe = [Float](repeating: 0, count: n / 2), scratchIm = scratchRe
                x.withUnsafeBufferPointer { xp in
                    w.withUnsafeBufferPointer { wp in
                        power.withUnsafeMutableBufferPointer { p in
                            scratchRe.withUnsafeMutableBufferPointer { r in
                                scratchIm.withUnsafeMutableBufferPointer {
                                    fft.powerSpectrum(
                                        xp.baseAddress!, window: windowed ? wp.baseAddress! : nil,
                                        power: p.baseAddress!,
                                        re: r.baseAddress!, im: $0.baseAddress!)
                                }
                            }
                        }
                    }
                }
                for k in 0...(n / 2) {
                    #expect(
                        abs(Double(power[k]) - dft[k]) < 1e-4 * max(1, dft[k]),
                        "n \(n) power bin \(k) windowed \(windowed)")
                }
            }
        }
    }

    @Test func resamplerKeepsThePassbandAndRemovesWhatWouldAlias() {
        // 1 kHz passes at unit gain; 5 kHz (which would alias to 3 kHz at 8 kHz) is gone. 48 kHz and 44.1 kHz in.
        for rate in [48_000, 44_100] {
            for (hz, wanted) in [(1000.0, 1.0), (5000.0, 0.0)] {
                var r = StreamingResampler(inputRate: rate, outputRate: 8000, cutoffHz: 3500)
                let input = (0..<rate).map { Float(sin(2 * .pi * hz * Double($0) / Double(rate))) }
                var out: [Float] = []
                for start in stride(from: 0, to: input.count, by: 4096) {
                    input[start..<min(start + 4096, input.count)].withUnsafeBufferPointer { r.consume($0, into: &out) }
                }
                r.finish(into: &out)
                #expect(out.count == 8000)
                let middle = out[1000..<7000]
                let rms = (middle.reduce(0.0) { $0 + Double($1 * $1) } / Double(middle.count)).squareRoot()
                #expect(
                    abs(rms * 2.0.squareRoot() - wanted) < 0.01,
                    "\(rate) Hz in, \(hz) Hz: amplitude \(rms * 2.0.squareRoot())")
            }
        }
    }

    @Test func halfBandCascadeKeepsThePassbandAndRemovesWhatWouldAlias() {
        // The fingerprint's path from 48 and 96 kHz: half-band ÷2, then the resampler from the halved rate. It gives
        // the single stage's amplitudes within 0.01: 1 kHz at unit gain, 3.3 kHz on the resampler's slope, 5 kHz
        // (aliasing to 3 kHz) and rate/2 − 4.1 kHz (where the half-band's own alias would land, near 4 kHz) gone;
        // ceil(n·8000/rate) outputs.
        func amplitude(_ rate: Int, _ hz: Double, cascade: Bool) -> Double {
            var half = HalfBandDecimator()
            var r = StreamingResampler(inputRate: cascade ? rate / 2 : rate, outputRate: 8000, cutoffHz: 3500)
            let input = (0..<rate).map { Float(sin(2 * .pi * hz * Double($0) / Double(rate))) }
            var halved: [Float] = []
            var out: [Float] = []
            for start in stride(from: 0, to: input.count, by: 4093) {  // blocks of odd length on purpose
                input[start..<min(start + 4093, input.count)].withUnsafeBufferPointer { block in
                    if cascade {
                        halved.removeAll()
                        half.consume(block, into: &halved)
                        halved.withUnsafeBufferPointer { r.consume($0, into: &out) }
                    } else {
                        r.consume(block, into: &out)
                    }
                }
            }
            if cascade {
                halved.removeAll()
                half.finish(into: &halved)
                halved.withUnsafeBufferPointer { r.consume($0, into: &out) }
            }
            r.finish(into: &out)
            #expect(out.count == 8000)
            let middle = out[1000..<7000]
            return (middle.reduce(0.0) { $0 + Double($1 * $1) } / Double(middle.count)).squareRoot() * 2.0.squareRoot()
        }
        for rate in [48_000, 96_000] {
            for (hz, wanted) in [(1000.0, 1.0), (3300.0, 0.80), (5000.0, 0.0), (Double(rate) / 2 - 4100, 0.0)] {
                let single = amplitude(rate, hz, cascade: false)
                let both = amplitude(rate, hz, cascade: true)
                #expect(abs(both - single) < 0.01, "\(rate) Hz in, \(hz) Hz: \(both) against \(single) in one stage")
                #expect(abs(both - wanted) < 0.02, "\(rate) Hz in, \(hz) Hz: amplitude \(both)")
            }
        }
    }

    @Test func halfBandDecimatorStreamsAsInOneBlock() {
        // Any block sizes give the same outputs as one block, ceil(n / 2) of them, zero phase (a lone impulse at
        // input 2k peaks at output k).
        let input = (0..<5001).map { Float(sin(Double($0) * 0.37) + 0.3 * cos(Double($0) * 2.1)) }
        var whole = HalfBandDecimator()
        var expected: [Float] = []
        input.withUnsafeBufferPointer { whole.consume($0, into: &expected) }
        whole.finish(into: &expected)
        #expect(expected.count == 2501)
        // 63–65 and 100 straddle the decimator's 64-sample stage (outputs from it, then from the block in place).
        for block in [1, 7, 63, 64, 65, 100, 333, 4096] {
            var d = HalfBandDecimator()
            var out: [Float] = []
            for start in stride(from: 0, to: input.count, by: block) {
                input[start..<min(start + block, input.count)].withUnsafeBufferPointer { d.consume($0, into: &out) }
            }
            d.finish(into: &out)
            #expect(out.count == expected.count)
            #expect(zip(out, expected).allSatisfy { abs($0 - $1) <= 1e-6 }, "blocks of \(block)")
            // Bit for bit: every output sums the same products in the same order whatever the blocks.
            #expect(out == expected, "blocks of \(block)")
        }
        var impulse = [Float](repeating: 0, count: 101)
        impulse[40] = 1
        var d = HalfBandDecimator()
        var out: [Float] = []
        impulse.withUnsafeBufferPointer { d.consume($0, into: &out) }
        d.finish(into: &out)
        #expect(out.indices.max { out[$0] < out[$1] } == 20)
    }

    /// The half-band first stage changes the fingerprint of 48 kHz speech by a few bits in a hundred at most, far
    /// below the near-duplicate threshold (the fixture's recall and false-positive tests hold with it).
    @Test(.enabled(if: Prerequisite.realSpeech.runs, Prerequisite.realSpeech.comment))
    func halfBandCascadeKeepsTheFingerprint() throws {
        let dir = try TestSupport.temporaryFolder("voxgate-fp-halfband")
        defer { TestSupport.remove(dir) }
        let clips = try FingerprintFixtures.realClips(in: dir).filter { $0.name.hasSuffix("-full") }
        // 48 kHz by resampling and by Opus (which always decodes at 48 kHz), the whole recordings and their pieces.
        let jobs = clips.flatMap { c in [(c, FingerprintFixtures.Transformation.rate48k), (c, .opusAt24k)] }
        let rates = try FingerprintFixtures.parallelMap(jobs) { c, t -> Double in
            let (_, copy) = try FingerprintFixtures.transform(c, t, in: dir)
            let cascade = try FingerprintFixtures.fingerprint(copy).subFingerprints
            let single = try FingerprintFixtures.fingerprint(
                copy,
                make: {
                    SpeechFingerprinter(
                        sampleRate: $0, hop: SpeechFingerprinter.defaultHop, lag: SpeechFingerprinter.defaultLag,
                        quietDB: SpeechFingerprinter.quietFrameDB, halfBand: false)
                }
            ).subFingerprints
            guard cascade.count == single.count else { return 1 }
            let both = zip(cascade, single).filter { $0 != 0 && $1 != 0 }
            let bits = both.reduce(0) { $0 + ($1.0 ^ $1.1).nonzeroBitCount }
            return both.count < 100 ? 1 : Double(bits) / Double(both.count * 32)
        }
        #expect(rates.count == 22)
        #expect(rates.allSatisfy { $0 < 0.05 }, "bit error rates between the two paths: \(rates)")
        print(
            "half-band cascade vs single stage, 48 kHz and Opus copies of 11 real recordings: bit error rates",
            rates.map { String(format: "%.6f", $0) }.joined(separator: " "))
    }

    /// Every clip of the fixture set (espeak-ng, and real speech of 11 speakers), every transformation:
    /// the copy must find its original among all originals.
    @Test(.enabled(if: Prerequisite.realSpeech.runs, Prerequisite.realSpeech.comment))
    func copiesAreFoundWhateverTheyWentThrough() throws {
        let dir = try TestSupport.temporaryFolder("voxgate-fp")
        defer { TestSupport.remove(dir) }
        let real = try FingerprintFixtures.realClips(in: dir)
        #expect(real.count == 22)
        let clips = try FingerprintFixtures.speechClips(in: dir) + real
        var report: [String] = []
        var pooled = (found: 0, copies: 0)  // every transformation but Opus 24 kb/s, both key lengths
        for t in FingerprintFixtures.Transformation.allCases {
            let pairs = try FingerprintFixtures.parallelMap(clips) { c -> ([UInt32], [UInt32]) in
                let (original, copy) = try FingerprintFixtures.transform(c, t, in: dir)
                return (
                    try FingerprintFixtures.fingerprint(original).subFingerprints,
                    try FingerprintFixtures.fingerprint(copy).subFingerprints
                )
            }
            // The keys of an index of up to 2.4M clips (28 bits), and of one of 10–19M clips (31 bits).
            for secondKeyBits in [11, 14] {
                var index = NearDuplicateIndex(expectedClips: 1024, secondKeyBits: secondKeyBits)
                for (original, _) in pairs { index.insert(original) }
                var found = 0
                var worst = 1.0
                var missed: [String] = []
                for (k, (_, copy)) in pairs.enumerated() {
                    // A copy may also match the 1.2 s piece of its own recording: the same recording, so correct.
                    if let m = index.bestMatch(copy),
                        FingerprintFixtures.recording(clips[m.ordinal]) == FingerprintFixtures.recording(clips[k])
                    {
                        found += 1
                        worst = min(worst, m.similarity)
                    } else {
                        missed.append(clips[k].name)
                    }
                }
                let recall = Double(found) / Double(pairs.count)
                if t != .opusAt24k { pooled = (pooled.found + found, pooled.copies + pairs.count) }
                report.append(
                    String(
                        format: "%@ (%d-bit keys): recall %.3f (%d/%d), lowest similarity %.3f", t.rawValue,
                        index.keyBits, recall, found,
                        pairs.count, worst))
                if t == .opusAt24k {
                    // Known issue (measured 2026-12-06): 2 s pieces of read letters (klettres) through Opus 24 kb/s,
                    // recall 0.938-0.948; every other transformation >= 0.959. Visible, not loosened.
                    withKnownIssue("short pieces of read letters through Opus 24 kb/s", isIntermittent: true) {
                        #expect(
                            recall >= 0.95,
                            "\(t.rawValue), \(index.keyBits)-bit keys: recall \(recall); missed \(missed)")
                    }
                    // The known issue must not hide a regression: measured 91-92/97 (5-6 misses); floor at twice the
                    // misses, 85/97. (An index whose neighbouring bits must agree within 1 instead of 3 gives 83/97.)
                    #expect(
                        recall >= 0.875, "\(t.rawValue), \(index.keyBits)-bit keys: recall \(recall); missed \(missed)")
                } else {
                    #expect(
                        recall >= 0.95, "\(t.rawValue), \(index.keyBits)-bit keys: recall \(recall); missed \(missed)")
                }
            }
        }
        let pooledRecall = Double(pooled.found) / Double(pooled.copies)
        report.append(
            String(format: "pooled over the others: recall %.4f (%d/%d)", pooledRecall, pooled.found, pooled.copies))
        print(report.joined(separator: "\n"))
        // Per transformation, 0.95 allows 4 misses of 97. Pooled (measured 2026-12-06: 1252/1261 = 0.9929 with 28-bit
        // keys, 1250/1261 = 0.9913 with 31-bit, 20 misses of 2522 = 0.79%): bound 0.98 (2.5x the misses), so a
        // regression of a miss or two in every transformation fails even where each stays above 0.95.
        #expect(pooled.copies >= 2400)
        #expect(pooledRecall >= 0.98, "pooled recall \(pooledRecall) (\(pooled.found)/\(pooled.copies))")
    }

    /// The same sentence by other voices, other sentences by the same voice, and every pair of a set of more than
    /// 10,000 pairs of distinct recordings: none may match, through the index as the pipeline uses it, nor by
    /// the confirmation alone at any offset.
    @Test(.enabled(if: Prerequisite.realSpeech.runs, Prerequisite.realSpeech.comment))
    func differentRecordingsNeverMatch() throws {
        let dir = try TestSupport.temporaryFolder("voxgate-fp-neg")
        defer { TestSupport.remove(dir) }
        var clips = try FingerprintFixtures.distinctClips(in: dir)
        clips += try FingerprintFixtures.realClips(in: dir).filter { !$0.name.hasSuffix("-1.2s") }
        let prints = try FingerprintFixtures.parallelMap(clips) {
            try FingerprintFixtures.fingerprint($0.path).subFingerprints
        }
        let pairs = clips.count * (clips.count - 1) / 2
        #expect(pairs >= 10_000)
        var index = NearDuplicateIndex()
        for p in prints { index.insert(p) }
        var falseMatches: [String] = []
        for (i, p) in prints.enumerated() {
            if let m = index.bestMatch(p, excluding: { $0 == i }) {
                falseMatches.append("\(clips[i].name) ~ \(clips[m.ordinal].name) (\(m.similarity))")
            }
        }
        #expect(falseMatches.isEmpty, "\(falseMatches.count) false matches: \(falseMatches.prefix(10))")
        // The confirmation alone, at every offset within 0.5 s, for the same sentence by other voices and the
        // other sentences of each voice (the hardest pairs): never within the threshold.
        var lowest = 1.0
        var pairsChecked = 0
        for i in clips.indices {
            for j in clips.indices where j != i && FingerprintFixtures.related(clips[i], clips[j]) {
                var single = NearDuplicateIndex()
                single.insert(prints[j])
                single.threshold = 1
                for offset in stride(from: -60, through: 60, by: 5) {
                    if let m = single.confirm(prints[i], ordinal: 0, offset: offset) {
                        lowest = min(lowest, 1 - m.similarity)
                    }
                }
                pairsChecked += 1
            }
        }
        print(
            "distinct recordings: \(clips.count) clips, \(pairs) pairs, \(falseMatches.count) matches; \(pairsChecked) same-voice or same-sentence pairs, lowest bit error rate \(lowest)"
        )
        #expect(pairsChecked >= 100)
        #expect(lowest > NearDuplicateIndex.maxBitErrorRate)
        // The margin above the threshold (measured 2026-12-06: lowest 0.2208 over 4,032 pairs, 0.061 above 0.16):
        // a fingerprint that tells voices or sentences apart a third less well fails here before it matches them.
        #expect(
            lowest >= 0.20,
            "lowest bit error rate of distinct recordings \(lowest), threshold \(NearDuplicateIndex.maxBitErrorRate)")
    }

    @Test func theIndexGrowsAndStillFindsEveryClip() {
        // Synthetic fingerprints: random words, the first 1000 clips queried after 20,000 more (several rebuilds).
        var rng = SplitMix64(seed: 11)
        var index = NearDuplicateIndex(expectedClips: 16)
        var clips: [[UInt32]] = []
        for _ in 0..<21_000 {
            let length = 125 + Int(rng.next() % 1000)
            let words = (0..<length).map { _ in UInt32(truncatingIfNeeded: rng.next()) | 1 }
            clips.append(words)
            index.insert(words)
        }
        for k in 0..<1000 {
            let m = index.bestMatch(clips[k])
            #expect(m?.ordinal == k && m?.similarity == 1 && m?.offsetMilliseconds == 0)
        }
        #expect(index.memoryBytes / index.count <= 256)
    }

    /// `count` clips that share every bit the index sees (the low 24 bits of each word) with `base`, and differ
    /// above them: to the index, the same recording registered `count` times.
    static func indistinguishable(from base: [UInt32], count: Int, rng: inout SplitMix64) -> [[UInt32]] {
        (0..<count).map { _ in base.map { $0 & 0xFF_FFFF | UInt32(truncatingIfNeeded: rng.next()) << 24 } }
    }

    @Test func aKeyEveryClipHoldsCostsAQueryTheSameAtAnySize() {
        // 3,000 clips hold the query's every key. A probe reads the latest clipsPerKey of them, so the query does
        // as much work at 500 clips as at 3,000, and its best match is the earliest of the latest clipsPerKey.
        var rng = SplitMix64(seed: 23)
        let base = (0..<300).map { _ in UInt32(truncatingIfNeeded: rng.next()) | 1 }
        let clips = Self.indistinguishable(from: base, count: 3000, rng: &rng)
        var index = NearDuplicateIndex(expectedClips: 16)
        var works: [Int: NearDuplicateIndex.QueryWork] = [:]
        for (k, clip) in clips.enumerated() {
            index.insert(clip)
            guard [499, 2999].contains(k) else { continue }
            var work = NearDuplicateIndex.QueryWork()
            let m = index.bestMatch(base, work: &work)
            #expect(m?.ordinal == k + 1 - NearDuplicateIndex.clipsPerKey && m?.similarity == 1)
            works[k] = work
        }
        let small = works[499]!, large = works[2999]!
        // Sketches read also count other keys' entries that agree by chance (their number depends on the runs).
        #expect(small.candidates == large.candidates)
        let bound = large.probes * (NearDuplicateIndex.clipsPerKey + NearDuplicateIndex.spareReads)
        #expect(large.sketches <= bound, "sketches read \(large.sketches), probes \(large.probes)")
        #expect(large.slots > 3 * small.slots, "the runs of the common keys grow: \(small.slots) → \(large.slots)")
    }

    @Test func whatAQueryReadsDoesNotDependOnTheTablesLayout() {
        // The same clips in a table grown from 16 clips (rebuilt many times) and in one sized for them at once:
        // the slots differ; the candidates each probe finds and the matches do not.
        var rng = SplitMix64(seed: 29)
        let base = (0..<300).map { _ in UInt32(truncatingIfNeeded: rng.next()) | 1 }
        var clips = Self.indistinguishable(from: base, count: 400, rng: &rng)
        for _ in 0..<2000 {
            clips.append((0..<(125 + Int(rng.next() % 400))).map { _ in UInt32(truncatingIfNeeded: rng.next()) | 1 })
        }
        clips.shuffle(using: &rng)
        var grown = NearDuplicateIndex(expectedClips: 16)
        var sized = NearDuplicateIndex(expectedClips: clips.count * 3)
        for clip in clips {
            grown.insert(clip)
            sized.insert(clip)
        }
        #expect(grown.keyBits == sized.keyBits)
        for query in [base] + stride(from: 0, to: clips.count, by: 97).map({ clips[$0] }) {
            var a = NearDuplicateIndex.QueryWork(), b = NearDuplicateIndex.QueryWork()
            let m = grown.bestMatch(query, work: &a), n = sized.bestMatch(query, work: &b)
            #expect(m == n && m != nil)
            #expect(a.candidates == b.candidates)
        }
    }

    @Test func aCopyIsFoundThroughItsRareKeysWhenItsCommonOnesAreCrowded() {
        // Every clip starts with the same 60 frames (a common sound), then words of its own. A copy of an early
        // clip is not among the latest clips of the common keys, and is found through the others.
        var rng = SplitMix64(seed: 31)
        let common = (0..<60).map { _ in UInt32(truncatingIfNeeded: rng.next()) | 1 }
        var index = NearDuplicateIndex(expectedClips: 16)
        var clips: [[UInt32]] = []
        for _ in 0..<2000 {
            let own = (0..<240).map { _ in UInt32(truncatingIfNeeded: rng.next()) | 1 }
            clips.append(common + own)
            index.insert(common + own)
        }
        for k in [0, 5, 700, 1999] {
            var work = NearDuplicateIndex.QueryWork()
            let m = index.bestMatch(clips[k], work: &work)
            #expect(m?.ordinal == k && m?.similarity == 1)
            #expect(work.sketches <= work.probes * (NearDuplicateIndex.clipsPerKey + NearDuplicateIndex.spareReads))
        }
    }

    @Test func keysLengthenAsTheIndexGrows() {
        // Tables for 1M, 2.4M, 10M and 30M clips (14 entries per clip at 58% load, midway between growths).
        func bits(clips: Int) -> Int { NearDuplicateIndex.secondKeyBits(capacity: Int(Double(clips * 14) / 0.58)) }
        #expect(bits(clips: 10_000) == 11)
        #expect(bits(clips: 1_000_000) == 11)
        #expect(bits(clips: 10_000_000) == 14)
        #expect(bits(clips: 30_000_000) == 15)
        #expect(bits(clips: 1_000_000_000) == 16)
        // An index with the longest keys still finds every clip it holds.
        var rng = SplitMix64(seed: 5)
        var index = NearDuplicateIndex(expectedClips: 16, secondKeyBits: 16)
        var clips: [[UInt32]] = []
        for _ in 0..<3000 {
            let words = (0..<(125 + Int(rng.next() % 1000))).map { _ in UInt32(truncatingIfNeeded: rng.next()) | 1 }
            clips.append(words)
            index.insert(words)
        }
        #expect(index.keyBits == 33)
        for k in stride(from: 0, to: 3000, by: 7) { #expect(index.bestMatch(clips[k])?.ordinal == k) }
    }
}
