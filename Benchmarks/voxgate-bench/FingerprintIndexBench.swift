import Dispatch
import Foundation
import VoxgatePipeline

/// `voxgate-bench fingerprint-index N`: the near-duplicate index at 10k, 100k, … up to N clips of synthetic
/// fingerprints (1–10 s, 125 sub-fingerprints per second, a tenth of the frames quiet, 0, in pauses of 200 ms on
/// average, as between words: scattered quiet frames would make their neighbours look unstable) with the bit statistics
/// measured on the fixture corpus's espeak-ng and real speech (135,000 informative frames, `voxgate-bench
/// fingerprint-dump` + numpy): every bit is set in 48–51% of frames (so uniform marginals), and flips between
/// consecutive frames in 16% of them (here 15.2%: the OR of two masks of density 1/8 and 1/32), which leaves 30%
/// of the frames stable enough for a query to probe (34% in speech). Queries: half are copies of indexed clips,
/// half unindexed clips. A copy's bit errors are those of Opus at 24 kb/s, the hardest transformation measured:
/// 7.4% of the key bits at the frames a sketch keeps, and persistent (a copy's bits flip between frames as often
/// as the original's, 16.3% against 16.1%, so the same bits stay wrong for a while and stable frames stay
/// stable): each bit of the error mask turns on with probability 1/256 per frame and off with 1/21. Prints
/// memory per clip, inserts/s, queries/s, the share of copies found and the work of an unindexed query (probes,
/// slots read, sketches read, candidates confirmed: what must not grow with the index), median of `repeats` runs, and a
/// projection for 30M clips.
func fingerprintIndexBenchmark(maxClips: Int, repeats: Int = 3) {
    typealias Rng = SplitMix
    func clip(_ rng: inout Rng) -> [UInt32] {
        let frames = 125 + Int(rng.next() % 1125)
        var words = [UInt32](repeating: 0, count: frames)
        var w = UInt32(truncatingIfNeeded: rng.next())
        var quiet = false
        for i in 0..<frames {
            w ^= rng.mask(andOf: 3) | rng.mask(andOf: 5)  // 15.2% of bits change per 8 ms frame
            // A pause starts with probability 1/225 per frame and ends with 1/25: 10% of the frames.
            quiet = quiet ? rng.next() % 25 != 0 : rng.next() % 225 == 0
            words[i] = quiet ? 0 : w
        }
        return words
    }
    var sizes = [10_000]
    while sizes.last! * 10 <= maxClips { sizes.append(sizes.last! * 10) }
    for size in sizes {
        var memory: [Double] = [], inserts: [Double] = [], queries: [Double] = [], found: [Double] = []
        var work = NearDuplicateIndex.QueryWork()
        var keyBits = 0
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
            for c in clips.prefix(1000) {
                var errors = rng.mask(andOf: 4) | rng.mask(andOf: 6)
                probes.append(
                    c.map { word in
                        errors = errors & ~(rng.mask(andOf: 5) | rng.mask(andOf: 6)) | rng.mask(andOf: 8)
                        return word == 0 ? 0 : word ^ errors
                    })
            }
            for _ in 0..<1000 { probes.append(clip(&rng)) }
            var hits = 0
            let start = DispatchTime.now().uptimeNanoseconds
            for p in probes.prefix(1000) where index.bestMatch(p) != nil { hits += 1 }
            for p in probes.dropFirst(1000) { _ = index.bestMatch(p) }
            let querySeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            // The work of the unindexed half (the same in every run), counted in a pass of its own.
            if run == 0 { for p in probes.dropFirst(1000) { _ = index.bestMatch(p, work: &work) } }
            memory.append(Double(index.memoryBytes) / Double(size))
            keyBits = index.keyBits
            inserts.append(Double(size) / insertSeconds)
            queries.append(Double(probes.count) / querySeconds)
            found.append(Double(hits) / Double(min(1000, clips.count)))
        }
        func median(_ x: [Double]) -> Double { x.sorted()[x.count / 2] }
        print(
            #"{"index_clips":\#(size),"bytes_per_clip":\#(String(format: "%.1f", median(memory))),"key_bits":\#(keyBits),"inserts_per_s":\#(String(format: "%.0f", median(inserts))),"queries_per_s":\#(String(format: "%.0f", median(queries))),"matched_per_copy_query":\#(String(format: "%.3f", median(found))),"per_unindexed_query":{"probes":\#(String(format: "%.1f", Double(work.probes) / 1000)),"slots":\#(String(format: "%.1f", Double(work.slots) / 1000)),"sketches":\#(String(format: "%.2f", Double(work.sketches) / 1000)),"candidates":\#(String(format: "%.2f", Double(work.candidates) / 1000))},"runs":\#(repeats)}"#
        )
        if size == sizes.last! {
            let bytes = median(memory) * 30_000_000
            print(
                #"{"projection_clips":30000000,"index_gib":\#(String(format: "%.2f", bytes / 1_073_741_824)),"note":"table + sketches at the measured bytes per clip"}"#
            )
        }
    }
}
