import Testing

@testable import VoxgateDSP

/// Percentiles by selection (``OrderStatistic``) against `sorted()`, which they replace (issue 18).
@Suite("Order statistics: the same values as sorting")
struct OrderStatisticTests {
    /// Arrays of every shape the percentiles meet: random, with many repeats, constant, sorted, reversed,
    /// organ-pipe, with signed zeros and infinities, of sizes 1 to 700.
    static func arrays<T: BinaryFloatingPoint>(_: T.Type) -> [[T]] where T.RawSignificand: FixedWidthInteger {
        var rng = SplitMix64(seed: 18)
        var out: [[T]] = []
        for n in [1, 2, 3, 4, 5, 7, 10, 31, 64, 100, 255, 256, 257, 625, 700] {
            let random = (0..<n).map { _ in T.random(in: -80...10, using: &rng) }
            let repeats = (0..<n).map { _ in T(Int.random(in: 0..<4, using: &rng)) }
            let sorted = random.sorted()
            let organ = sorted.enumerated().map { $0.offset.isMultiple(of: 2) ? $0.element : -$0.element }
            let special = (0..<n).map { i in [T(0), -T(0), T.infinity, -T.infinity, T(i)][i % 5] }
            out += [random, repeats, [T](repeating: 3, count: n), sorted, sorted.reversed(), organ, special]
        }
        return out
    }

    static func ranks(_ n: Int) -> [Int] {
        let d = Double(n - 1)
        return [Int(d * 0.9), Int(d * 0.10), Int(d * 0.95), Int((d * 0.95).rounded()), 0, n - 1, n / 2, Int(d * 0.10)]
    }

    @Test func percentilesEqualTheSortedOnes() {
        for a in Self.arrays(Float.self) {
            let sorted = a.sorted()
            let ranks = Self.ranks(a.count)
            #expect(OrderStatistic.values(a, at: ranks) == ranks.map { sorted[$0] }, "\(a)")
        }
        for a in Self.arrays(Double.self) {
            let sorted = a.sorted()
            for k in 0..<a.count {
                #expect(OrderStatistic.values(a, at: [k]) == [sorted[k]], "rank \(k) of \(a)")
            }
        }
    }

    /// Every rank at once, after the budget of partitions runs out at each point (the part left is sorted).
    @Test func theBudgetFallbackSortsWhatIsLeft() {
        for a in Self.arrays(Double.self) where a.count > 3 {
            let sorted = a.sorted()
            for budget in 0..<4 {
                for k in [0, a.count / 3, a.count - 1] {
                    var b = a
                    b.withUnsafeMutableBufferPointer {
                        OrderStatistic.select(k, in: $0, upTo: $0.count, budget: budget)
                    }
                    #expect(b[k] == sorted[k], "rank \(k), budget \(budget), \(a)")
                    #expect(b[..<k].allSatisfy { $0 <= b[k] } && b[(k + 1)...].allSatisfy { $0 >= b[k] })
                }
            }
        }
    }

    /// With a NaN, sorting's order is what it is: the values are sorted as before, bit for bit.
    @Test func withANaNTheValuesAreSortedAsBefore() {
        var rng = SplitMix64(seed: 7)
        for n in [5, 50, 500] {
            var a = (0..<n).map { _ in Float.random(in: -1...1, using: &rng) }
            a[n / 3] = .nan
            let sorted = a.sorted()
            let ranks = Self.ranks(n)
            let got = OrderStatistic.values(a, at: ranks)
            #expect(got.map(\.bitPattern) == ranks.map { sorted[$0].bitPattern })
        }
    }
}
