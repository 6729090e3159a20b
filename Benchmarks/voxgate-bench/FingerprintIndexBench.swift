import Dispatch
import Foundation
import VoxgatePipeline

/// `voxgate-bench fingerprint-index N`: the near-duplicate index at 10k, 100k, … up to N clips of synthetic
/// fingerprints (1–10 s, 125 sub-fingerprints per second, a tenth of the frames quiet, 0) with the bit statistics
/// measured on the fixture corpus's espeak-ng and real speech (46,900 informative frames, `voxgate-bench
/// fingerprints` + numpy): every bit is set in 48–51% of frames (so uniform marginals), and flips between
/// consecutive frames in 14–18% of them (here 15.2%: the OR of two masks of density 1/8 and 1/32). The walk is
/// pessimistic for the index: it keeps words 4 frames apart more alike (39% of bits differ) than speech does
/// (51%), so its 40-bit keys collide more often than real ones. Prints memory per clip, inserts/s and queries/s (queries: half copies of indexed clips with
/// 5% of their bits flipped, half unindexed clips), median of `repeats` runs, and a projection for 30M clips.
func fingerprintIndexBenchmark(maxClips: Int, repeats: Int = 3) {
    struct Rng {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        /// A mask with each bit set with probability 2^-k: the AND of k random words.
        mutating func mask(andOf k: Int) -> UInt32 {
            var m = UInt32.max
            for _ in 0..<k { m &= UInt32(truncatingIfNeeded: next()) }
            return m
        }
    }
    func clip(_ rng: inout Rng) -> [UInt32] {
        let frames = 125 + Int(rng.next() % 1125)
        var words = [UInt32](repeating: 0, count: frames)
        var w = UInt32(truncatingIfNeeded: rng.next())
        for i in 0..<frames {
            w ^= rng.mask(andOf: 3) | rng.mask(andOf: 5)  // 15.2% of bits change per 8 ms frame
            words[i] = rng.next() % 10 == 0 ? 0 : w
        }
        return words
    }
    var sizes = [10_000]
    while sizes.last! * 10 <= maxClips { sizes.append(sizes.last! * 10) }
    for size in sizes {
        var memory: [Double] = [], inserts: [Double] = [], queries: [Double] = [], found: [Double] = []
        for run in 0..<repeats {
            var rng = Rng(state: UInt64(run + 1))
            var clips: [[UInt32]] = []
            // Keep a sample of clips to query; generate the rest on the fly to bound the benchmark's own memory.
            var index = NearDuplicateIndex()
            var insertSeconds = 0.0
            for i in 0..<size {
                let c = clip(&rng)
                if i % max(1, size / 2000) == 0 { clips.append(c) }
                let start = DispatchTime.now().uptimeNanoseconds
                index.insert(c)
                insertSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            }
            var probes: [[UInt32]] = []
            for c in clips.prefix(1000) { probes.append(c.map { $0 == 0 ? 0 : $0 ^ rng.mask(andOf: 4) & 0x00FF_FFFF }) }
            for _ in 0..<1000 { probes.append(clip(&rng)) }
            var hits = 0
            let start = DispatchTime.now().uptimeNanoseconds
            for p in probes where index.bestMatch(p) != nil { hits += 1 }
            let querySeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            memory.append(Double(index.memoryBytes) / Double(size))
            inserts.append(Double(size) / insertSeconds)
            queries.append(Double(probes.count) / querySeconds)
            found.append(Double(hits) / Double(min(1000, clips.count)))
        }
        func median(_ x: [Double]) -> Double { x.sorted()[x.count / 2] }
        print(
            #"{"index_clips":\#(size),"bytes_per_clip":\#(String(format: "%.1f", median(memory))),"inserts_per_s":\#(String(format: "%.0f", median(inserts))),"queries_per_s":\#(String(format: "%.0f", median(queries))),"matched_per_copy_query":\#(String(format: "%.3f", median(found))),"runs":\#(repeats)}"#
        )
        if size == sizes.last! {
            let bytes = median(memory) * 30_000_000
            print(#"{"projection_clips":30000000,"index_gib":\#(String(format: "%.2f", bytes / 1_073_741_824)),"note":"table + sketches at the measured bytes per clip; query cost per probe constant, more cache misses"}"#)
        }
    }
}
