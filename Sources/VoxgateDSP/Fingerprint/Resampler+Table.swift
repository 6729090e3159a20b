import RealModule
import Synchronization

extension StreamingResampler {
    /// What a resampler's table depends on.
    struct TableKey: Hashable {
        var inputRate: Int
        var outputRate: Int
        var cutoffHz: Double
        var halfWidth: Int
    }

    /// Tables already made, by what they were made from. Bounded: uploads come at any rate, but a corpus at a
    /// handful; a rate beyond the bound has its table made for each clip, as before.
    private static let tables = Mutex<[TableKey: [Float]]>([:])
    static let cachedTables = 32

    /// The table for `key`, made by `make` the first time (the same values: `make` is a pure function of `key`).
    static func cachedTable(_ key: TableKey, make: () -> [Float]) -> [Float] {
        if let table = tables.withLock({ $0[key] }) { return table }
        let table = make()  // outside the lock: two workers may both make it, with the same result
        tables.withLock { if $0.count < cachedTables { $0[key] = $0[key] ?? table } }
        return table
    }

    /// The polyphase table, `phases` rows of `taps`: a Blackman-windowed sinc, cut at `cyclesPerInput` cycles per
    /// input sample, reaching `half` input samples on each side, each row scaled to unit gain at DC.
    static func makeTable(phases: Int, taps n: Int, half: Double, cyclesPerInput: Double) -> [Float] {
        var table = [Float](repeating: 0, count: phases * n)
        for p in 0..<phases {
            let phi = Double(p) / Double(phases)
            var sum = 0.0
            var row = [Double](repeating: 0, count: n)
            for k in 0..<n {
                // Tap k multiplies input sample base - n/2 + 1 + k; its distance from the output position:
                let t = phi + Double(n / 2 - 1 - k)
                guard abs(t) < half else { continue }
                let x = 2 * cyclesPerInput * t
                let sinc = x == 0 ? 1 : Double.sin(.pi * x) / (.pi * x)
                let w = 0.42 + 0.5 * Double.cos(.pi * t / half) + 0.08 * Double.cos(2 * .pi * t / half)
                row[k] = 2 * cyclesPerInput * sinc * w
                sum += row[k]
            }
            // Unit gain at DC for every phase.
            for k in 0..<n { table[p * n + k] = Float(row[k] / sum) }
        }
        return table
    }
}
