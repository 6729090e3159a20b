import CEbur128
import Foundation

/// libebur128, the independent reference for loudness and true peak (linked by the tests only).
struct EBUR128Reference {
    var integrated: Double?
    var truePeakDBTP: Double
    var loudnessRange: Double?
    var maxMomentary: Double?

    init(_ samples: [Float], sampleRate: Int, channels: Int) {
        let mode = EBUR128_MODE_I.rawValue | EBUR128_MODE_LRA.rawValue | EBUR128_MODE_TRUE_PEAK.rawValue
        let state = ebur128_init(UInt32(channels), UInt(sampleRate), Int32(mode))!
        defer {
            var s: UnsafeMutablePointer<ebur128_state>? = state
            ebur128_destroy(&s)
        }
        // Feed in 100 ms pieces to also read momentary loudness as the reference meter sees it.
        var maxMomentary = -Double.infinity
        let step = sampleRate / 10
        samples.withUnsafeBufferPointer { p in
            var frame = 0
            let frames = samples.count / channels
            while frame < frames {
                let n = min(step, frames - frame)
                ebur128_add_frames_float(state, p.baseAddress! + frame * channels, n)
                var m = 0.0
                if ebur128_loudness_momentary(state, &m) == 0, m.isFinite, frame + n >= sampleRate * 4 / 10 {
                    maxMomentary = max(maxMomentary, m)
                }
                frame += n
            }
        }
        var value = 0.0
        integrated = ebur128_loudness_global(state, &value) == 0 && value.isFinite ? value : nil
        loudnessRange = ebur128_loudness_range(state, &value) == 0 && value.isFinite ? value : nil
        var peak = 0.0
        for c in 0..<channels {
            var p = 0.0
            ebur128_true_peak(state, UInt32(c), &p)
            peak = max(peak, p)
        }
        truePeakDBTP = peak > 0 ? 20 * log10(peak) : -.infinity
        self.maxMomentary = maxMomentary.isFinite ? maxMomentary : nil
    }
}
