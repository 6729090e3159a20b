/// Channel mix-down kernels.
public enum Mixdown {
    /// Averages `channels` interleaved channels into one: `out[i] = mean(in[i*channels ..< (i+1)*channels])`.
    ///
    /// Mono input is copied. Equal weights, as ffmpeg's `-ac 1` and sox's `remix -` do.
    /// - Parameters:
    ///   - interleaved: at least `frames * channels` samples.
    ///   - out: at least `frames` samples.
    @inlinable
    public static func mono(
        _ interleaved: UnsafeBufferPointer<Float>, channels: Int, frames: Int,
        into out: UnsafeMutableBufferPointer<Float>
    ) {
        precondition(interleaved.count >= frames * channels && out.count >= frames)
        guard let src = interleaved.baseAddress, let dst = out.baseAddress else { return }
        switch channels {
        case 1:
            dst.update(from: src, count: frames)
        case 2:
            for i in 0..<frames { dst[i] = (src[2 &* i] + src[2 &* i &+ 1]) * 0.5 }
        default:
            let scale = 1 / Float(channels)
            for i in 0..<frames {
                var sum: Float = 0
                let base = i &* channels
                for c in 0..<channels { sum += src[base &+ c] }
                dst[i] = sum * scale
            }
        }
    }

    /// The mono mix of `frames` interleaved frames: the block itself when it has one channel, without a copy
    /// (the copy was 8% of the meters' instructions under callgrind, where `rep movsb` counts per byte), else
    /// its mix-down written to the start of `scratch`.
    @inlinable
    public static func monoView(
        _ interleaved: UnsafeBufferPointer<Float>, channels: Int, frames: Int,
        scratch: UnsafeMutableBufferPointer<Float>
    ) -> UnsafeBufferPointer<Float> {
        if channels == 1 { return UnsafeBufferPointer(rebasing: interleaved[0..<frames]) }
        mono(interleaved, channels: channels, frames: frames, into: scratch)
        return UnsafeBufferPointer(rebasing: scratch[0..<frames])
    }
}
