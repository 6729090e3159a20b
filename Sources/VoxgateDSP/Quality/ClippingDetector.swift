/// Runs of consecutive samples at or beyond full scale, per channel, across block boundaries.
///
/// A sample counts as full scale at |x| ≥ 0.999 (−0.009 dBFS): 16-bit and 24-bit maxima qualify, and so do
/// the floats far above 1.0 that lossy decoders return for overdriven sources. Only runs of at least
/// `minRun` samples count: a single full-scale sample is a normalised peak, not clipping.
public struct ClippingStats: Sendable, Hashable {
    /// Runs of at least `minRun` full-scale samples.
    public var runs: Int
    /// Samples inside those runs.
    public var clippedSamples: Int
    /// All samples seen (every channel).
    public var samples: Int
    /// The longest run.
    public var longestRun: Int
    public var ratio: Double { samples == 0 ? 0 : Double(clippedSamples) / Double(samples) }
}

public struct ClippingDetector: Sendable {
    public static let fullScale: Float = 0.999
    let channels: Int
    let minRun: Int
    private var current: [Int]
    public private(set) var stats = ClippingStats(runs: 0, clippedSamples: 0, samples: 0, longestRun: 0)

    public init(channels: Int, minRun: Int = 3) {
        self.channels = channels
        self.minRun = minRun
        current = Array(repeating: 0, count: channels)
    }

    /// Adds `frames` interleaved frames.
    public mutating func consume(_ interleaved: UnsafeBufferPointer<Float>, frames: Int) {
        let block = UnsafeBufferPointer(rebasing: interleaved[0..<(frames * channels)])
        consume(interleaved, frames: frames, samplePeak: LevelMeter.absolutePeak(block))
    }

    /// Adds `frames` interleaved frames whose sample peak (max |x|, all channels) the caller has measured:
    /// ``SignalMeters`` scans each block once for the level meter, this detector and the true-peak meter.
    public mutating func consume(_ interleaved: UnsafeBufferPointer<Float>, frames: Int, samplePeak: Float) {
        // Fast path: a block without any full-scale sample only ends open runs.
        let count = frames * channels
        if samplePeak < Self.fullScale {
            for c in 0..<channels { end(c) }
            stats.samples += count
            return
        }
        for i in 0..<count {
            let c = i % channels
            if abs(interleaved[i]) >= Self.fullScale { current[c] += 1 } else { end(c) }
        }
        stats.samples += count
    }

    private mutating func end(_ c: Int) {
        let run = current[c]
        current[c] = 0
        guard run >= minRun else { return }
        stats.runs += 1
        stats.clippedSamples += run
        stats.longestRun = max(stats.longestRun, run)
    }

    /// The statistics with any run still open at the end of the clip closed.
    public var result: ClippingStats {
        var copy = self
        for c in 0..<channels { copy.end(c) }
        return copy.stats
    }
}
