/// Percentiles without sorting: the values `sorted()` would put at some ranks, found by selection (expected
/// linear time; issue 18: the merge sorts behind the fingerprint's and the speech detector's percentiles were
/// 0.45% of a run's CPU).
///
/// The same values as `values.sorted()[rank]`: selection and sorting order by the same `<`, so the element of
/// each rank is equal (`==`) to the sorted one. `<` orders floating-point values other than NaN strictly and
/// weakly; with a NaN in the values sorting has no defined order, so then the values are sorted, as before.
enum OrderStatistic {
    /// The values at `ranks` (each in `0..<values.count`) of `values` in ascending order, in the order of
    /// `ranks`.
    static func values<T: BinaryFloatingPoint>(_ values: consuming [T], at ranks: [Int]) -> [T] {
        precondition(ranks.allSatisfy { values.indices.contains($0) }, "a rank outside the values")
        if values.contains(where: \.isNaN) {
            let sorted = values.sorted()
            return ranks.map { sorted[$0] }
        }
        var a = values
        a.withUnsafeMutableBufferPointer { a in
            // Highest rank first: once rank k is in place, every lower rank lies in [0, k).
            var bound = a.count
            for k in ranks.sorted(by: >) where k < bound {
                select(k, in: a, upTo: bound, budget: 2 * (Int.bitWidth - bound.leadingZeroBitCount) + 4)
                bound = k
            }
        }
        return ranks.map { a[$0] }
    }

    /// Puts the value of rank `k` among `a[0..<end]` at `a[k]`, smaller or equal ones before it and greater or
    /// equal ones after it (quickselect: median-of-three pivot, three-way partition). After `budget` partitions
    /// the part still open is sorted instead, so a pathological order costs at most a sort.
    static func select<T: BinaryFloatingPoint>(
        _ k: Int, in a: UnsafeMutableBufferPointer<T>, upTo end: Int, budget: Int
    ) {
        var lo = 0, hi = end - 1, budget = budget
        while hi > lo {
            if budget == 0 {
                var open = UnsafeMutableBufferPointer(rebasing: a[lo...hi])
                open.sort()
                return
            }
            budget -= 1
            let (x, y, z) = (a[lo], a[lo + (hi - lo) / 2], a[hi])
            let pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y))
            // [lo, lt) < pivot, [lt, i) == pivot, (gt, hi] > pivot.
            var lt = lo, i = lo, gt = hi
            while i <= gt {
                if a[i] < pivot {
                    a.swapAt(lt, i)
                    lt += 1
                    i += 1
                } else if pivot < a[i] {
                    a.swapAt(i, gt)
                    gt -= 1
                } else {
                    i += 1
                }
            }
            if k < lt { hi = lt - 1 } else if k > gt { lo = gt + 1 } else { return }
        }
    }
}
