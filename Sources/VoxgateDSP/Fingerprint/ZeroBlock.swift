/// A block of zeros to append from: `append(contentsOf:)` copies it as one `memcpy`, where appending
/// `repeatElement(0, count:)` writes the zeros one by one (issue 18: that loop was 0.2% of a run's CPU, in the
/// half-band decimator and the resampler, which make room for a block's outputs before computing them).
@usableFromInline
enum ZeroBlock {
    @usableFromInline static let count = 4096
    @usableFromInline nonisolated(unsafe) static let floats: UnsafeBufferPointer<Float> = {
        let block = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)  // kept for the process
        block.initialize(repeating: 0)
        return UnsafeBufferPointer(block)
    }()
}

extension Array where Element == Float {
    /// Appends `count` zeros.
    @inlinable
    mutating func appendZeros(_ count: Int) {
        var left = count
        while left > 0 {
            let n = Swift.min(left, ZeroBlock.count)
            append(contentsOf: UnsafeBufferPointer(rebasing: ZeroBlock.floats[0..<n]))
            left -= n
        }
    }
}
