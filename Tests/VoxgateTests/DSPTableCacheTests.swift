import Testing

@testable import VoxgateDSP

/// The resampler's and the true-peak meter's tables, made once per process (issue 18), are the ones each clip
/// used to make for itself, bit for bit, and a resampler never gets a table made for other parameters.
@Suite("DSP tables made once: the same bits as made per clip")
struct DSPTableCacheTests {
    /// The table made afresh for a resampler's parameters.
    static func fresh(_ r: StreamingResampler, cutoffHz: Double, halfWidth: Int) -> [Float] {
        let half = Double(halfWidth) * max(Double(r.inputRate) / Double(r.outputRate), 1)
        return StreamingResampler.makeTable(
            phases: r.phases, taps: r.taps, half: half,
            cyclesPerInput: cutoffHz / Double(max(r.inputRate, r.outputRate)))
    }

    @Test func resamplerTablesAreTheFreshOnes() {
        let cases: [(Int, Int, Double, Int)] = [
            (44_100, 8000, 3500, 16), (24_000, 8000, 3500, 16), (16_000, 8000, 3500, 16), (22_050, 8000, 3500, 16),
            (32_000, 8000, 3500, 16), (11_025, 8000, 3500, 16), (8000, 8000, 3500, 16), (44_100, 8000, 3000, 16),
            (44_100, 8000, 3500, 8), (44_100, 16_000, 3500, 16), (8000, 16_000, 3500, 16),
        ]
        for round in 0..<2 {  // the first round may make and keep the tables, the second takes them kept
            for (input, output, cutoff, width) in cases {
                let r = StreamingResampler(inputRate: input, outputRate: output, cutoffHz: cutoff, halfWidth: width)
                #expect(
                    r.table.map(\.bitPattern) == Self.fresh(r, cutoffHz: cutoff, halfWidth: width).map(\.bitPattern),
                    "round \(round): \(input) → \(output) Hz, cut at \(cutoff), half-width \(width)")
            }
        }
    }

    @Test func truePeakDesignsAreTheFreshOnes() {
        for (rate, factor, history) in [(48_000, 4, 11), (44_100, 4, 11), (96_000, 2, 23), (192_000, 1, 0)] {
            let fresh = TruePeakMeter.Design(factor: factor)
            let meter = TruePeakMeter(sampleRate: rate, channels: 2)
            #expect(meter.factor == factor && meter.history == history && fresh.history == history)
            #expect(
                meter.phaseTaps.flatMap { [$0[0], $0[1], $0[2], $0[3]] }.map(\.bitPattern)
                    == fresh.phaseTaps.flatMap { [$0[0], $0[1], $0[2], $0[3]] }.map(\.bitPattern), "\(rate) Hz")
            #expect(meter.gain.bitPattern == fresh.gain.bitPattern, "\(rate) Hz")
        }
    }
}
