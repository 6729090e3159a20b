import RealModule

/// What a ``LoudnessMeter`` measured. nil values mean "not measurable": see each field.
public struct LoudnessResult: Sendable, Hashable {
    /// Integrated loudness (ITU-R BS.1770-4 §2.8, gated), LUFS. nil when the clip is shorter than one
    /// 400 ms block, or every block is below the −70 LUFS absolute gate (silence).
    public var integratedLUFS: Double?
    /// Largest momentary loudness (400 ms blocks every 100 ms, EBU Tech 3341), LUFS; nil under 400 ms.
    public var maxMomentaryLUFS: Double?
    /// Largest short-term loudness (3 s windows every 100 ms), LUFS; nil when the clip is shorter than 3 s.
    public var maxShortTermLUFS: Double?
    /// Loudness range (EBU Tech 3342: short-term loudness every second, gated at −70 LUFS and −20 LU,
    /// 10th to 95th percentile), LU; nil with fewer than two gated short-term values.
    public var loudnessRangeLU: Double?
}

/// A streaming ITU-R BS.1770-4 / EBU R128 loudness meter over a clip's own channels (not a mix-down).
///
/// Channels are weighted as libebur128 does by default: L, R, C at 1.0, the fourth (LFE) ignored, the
/// fifth and sixth (surrounds) at 1.41, others ignored. Energies are summed per 100 ms sub-block;
/// memory grows by one `Double` per 100 ms of audio (gating needs every block).
public struct LoudnessMeter: Sendable {
    private let filter: KWeighting
    private let channels: Int
    private let weights: [Double]
    private let subBlockFrames: Int
    private var states: [KWeighting.State]
    /// The current block, K-weighted, one channel after another, then the filter's scratch space (kept between
    /// blocks: no allocation per block).
    private var filtered: [Float] = []
    private var partialEnergy = 0.0
    private var partialFrames = 0
    /// Weighted mean-square energy of each completed 100 ms sub-block.
    private var subBlocks: [Double] = []
    private var momentaryBlocks: [Double] = []
    private var maxShortTerm = -Double.infinity
    private var shortTermForRange: [Double] = []

    public init(sampleRate: Int, channels: Int) {
        filter = KWeighting(sampleRate: sampleRate)
        self.channels = channels
        weights = (0..<channels).map { [1, 1, 1, 0, 1.41, 1.41][safe: $0] ?? 0 }
        subBlockFrames = max(1, Int((Double(sampleRate) / 10).rounded()))
        states = Array(repeating: KWeighting.State(), count: channels)
    }

    /// Adds `frames` interleaved frames.
    public mutating func consume(_ interleaved: UnsafeBufferPointer<Float>, frames: Int) {
        guard frames > 0 else { return }
        // Each weighted channel of the whole block is K-weighted into its own stretch of `filtered` (whole
        // blocks keep the filter in its four-lane form; sub-blocks would split them), then summed per sub-block.
        var filtered = self.filtered  // moved out and back: no copy, no overlapping access to self
        self.filtered = []
        let scratch = frames * channels
        if filtered.count < scratch + KWeighting.scratchCount {
            filtered = [Float](repeating: 0, count: scratch + KWeighting.scratchCount)
        }
        filtered.withUnsafeMutableBufferPointer { out in
            for c in 0..<channels where weights[c] > 0 {
                filter.filter(
                    interleaved, channel: c, channels: channels, frames: frames, state: &states[c],
                    into: out.baseAddress! + c * frames, scratch: out.baseAddress! + scratch)
            }
        }
        var offset = 0
        while offset < frames {
            let n = min(frames - offset, subBlockFrames - partialFrames)
            filtered.withUnsafeBufferPointer { out in
                for c in 0..<channels where weights[c] > 0 {
                    let range = UnsafeBufferPointer(rebasing: out[(c * frames + offset)..<(c * frames + offset + n)])
                    partialEnergy += weights[c] * Double(LevelMeter.sumOfSquares(range))
                }
            }
            partialFrames += n
            offset += n
            if partialFrames == subBlockFrames { completeSubBlock() }
        }
        self.filtered = filtered
    }

    private mutating func completeSubBlock() {
        subBlocks.append(partialEnergy / Double(subBlockFrames))
        partialEnergy = 0
        partialFrames = 0
        let count = subBlocks.count
        if count >= 4 { momentaryBlocks.append(subBlocks[(count - 4)...].reduce(0, +) / 4) }
        if count >= 30 {
            let shortTerm = subBlocks[(count - 30)...].reduce(0, +) / 30
            maxShortTerm = max(maxShortTerm, shortTerm)
            if (count - 30) % 10 == 0 { shortTermForRange.append(shortTerm) }
        }
    }

    /// BS.1770-4 loudness of a mean-square energy.
    public static func lufs(_ energy: Double) -> Double { -0.691 + 10 * Double.log10(energy) }

    static let absoluteGate = -70.0

    /// The measurements so far.
    public var result: LoudnessResult {
        var r = LoudnessResult()
        let aboveAbsolute = momentaryBlocks.filter { Self.lufs($0) > Self.absoluteGate }
        if !aboveAbsolute.isEmpty {
            let relativeGate = Self.lufs(aboveAbsolute.reduce(0, +) / Double(aboveAbsolute.count)) - 10
            let gated = aboveAbsolute.filter { Self.lufs($0) > relativeGate }
            if !gated.isEmpty { r.integratedLUFS = Self.lufs(gated.reduce(0, +) / Double(gated.count)) }
        }
        if let m = momentaryBlocks.max(), m > 0 { r.maxMomentaryLUFS = Self.lufs(m) }
        if maxShortTerm > 0 { r.maxShortTermLUFS = Self.lufs(maxShortTerm) }
        r.loudnessRangeLU = Self.loudnessRange(shortTermForRange)
        return r
    }

    /// EBU Tech 3342 loudness range of short-term energies.
    static func loudnessRange(_ energies: [Double]) -> Double? {
        let aboveAbsolute = energies.filter { lufs($0) > absoluteGate }
        guard !aboveAbsolute.isEmpty else { return nil }
        let relativeGate = lufs(aboveAbsolute.reduce(0, +) / Double(aboveAbsolute.count)) - 20
        let values = aboveAbsolute.map(lufs).filter { $0 > relativeGate }
        guard values.count >= 2 else { return nil }
        func rank(_ p: Double) -> Int { Int((Double(values.count - 1) * p).rounded()) }
        let percentiles = OrderStatistic.values(values, at: [rank(0.95), rank(0.10)])
        return percentiles[0] - percentiles[1]
    }
}

extension Array {
    fileprivate subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
