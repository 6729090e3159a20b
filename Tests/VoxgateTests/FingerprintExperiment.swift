import Foundation
import Testing
@testable import VoxgateDSP
@testable import VoxgatePipeline

@Suite("Fingerprint experiment")
struct FingerprintExperiment {
    @Test(arguments: [UInt32(0xFFFF_FFFF), 0x00FF_FFFF]) func indexTable(mask: UInt32) throws {
        print("=== mask", String(mask, radix: 16))
        let dir = try TestSupport.temporaryFolder("fp-exp")
        defer { TestSupport.remove(dir) }
        let clips = try FingerprintFixtures.speechClips(in: dir) + FingerprintFixtures.realClips(in: dir)
        let prints = try FingerprintFixtures.parallelMap(clips) { try FingerprintFixtures.fingerprint($0.path).subFingerprints }
        for t in FingerprintFixtures.Transformation.allCases {
            let pairs = try FingerprintFixtures.parallelMap(clips) { c -> ([UInt32], [UInt32]) in
                let (o, copy) = try FingerprintFixtures.transform(c, t, in: dir)
                return (try FingerprintFixtures.fingerprint(o).subFingerprints, try FingerprintFixtures.fingerprint(copy).subFingerprints)
            }
            func base(_ n: String) -> String { n.hasPrefix("espeak") ? n : String(n.prefix(15)) }
            var index = NearDuplicateIndex()
            index.threshold = 0.5
            index.confirmMask = mask
            for (o, _) in pairs { index.insert(o) }
            var bers: [Double] = []
            var misses: [String] = []
            for (k, (_, copy)) in pairs.enumerated() {
                if let m = index.bestMatch(copy), base(clips[m.ordinal].name) == base(clips[k].name) { bers.append(1 - m.similarity) } else { misses.append(clips[k].name) }
            }
            bers.sort()
            print(String(format: "%-28@ found %d/%d  median BER %.3f max %.3f  >0.27: %d", t.rawValue as NSString, bers.count, pairs.count, bers.isEmpty ? 1 : bers[bers.count/2], bers.last ?? 1, bers.filter { $0 > 0.27 }.count), misses)
        }
        var index = NearDuplicateIndex()
        index.threshold = 0.5
        index.confirmMask = mask
        for p in prints { index.insert(p) }
        var unrelated: [(Double, String, String)] = []
        func base(_ n: String) -> String { n.hasPrefix("espeak") ? n : String(n.prefix(15)) }
        for (i, p) in prints.enumerated() {
            if let m = index.bestMatch(p, excluding: { base(clips[$0].name) == base(clips[i].name) }) {
                unrelated.append((1 - m.similarity, clips[i].name, clips[m.ordinal].name))
            }
        }
        unrelated.sort { $0.0 < $1.0 }
        print("unrelated best-match BERs (lowest 8):", unrelated.prefix(8).map { String(format: "%.3f %@ ~ %@", $0.0, $0.1, $0.2) })
        print("clips:", clips.count)
    }
}
