internal import CSoxr

/// Why resampling failed (libsoxr's error text).
public struct ResampleError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// Streaming sample-rate conversion of interleaved `Float` frames with libsoxr, at sox's `rate -v`
/// quality (`SOXR_VHQ`, linear phase): the resampler sox and ffmpeg (`-af aresample=resampler=soxr`) use.
///
/// Memory is the filter state plus one output block, whatever the length of the stream. The class owns
/// its `soxr_t`; `deinit` deletes it.
public final class Resampler {
    private let soxr: OpaquePointer
    public let inputRate: Int
    public let outputRate: Int
    public let channels: Int
    private var output: [Float] = []

    /// - Parameters:
    ///   - inputRate, outputRate: frames per second, both positive.
    ///   - channels: interleaved channels, 1…8.
    public init(inputRate: Int, outputRate: Int, channels: Int) throws(ResampleError) {
        guard inputRate > 0, outputRate > 0, (1...8).contains(channels) else {
            throw ResampleError(message: "cannot resample \(inputRate) Hz → \(outputRate) Hz with \(channels) channels")
        }
        var io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
        var quality = soxr_quality_spec(UInt(SOXR_VHQ), UInt(SOXR_LINEAR_PHASE))
        var runtime = soxr_runtime_spec(1)
        var error: soxr_error_t?
        let handle = soxr_create(
            Double(inputRate), Double(outputRate), UInt32(channels), &error, &io, &quality, &runtime)
        guard let handle, error == nil else {
            if let handle { soxr_delete(handle) }
            throw ResampleError(message: "libsoxr refused \(inputRate) Hz → \(outputRate) Hz (\(Self.text(error)))")
        }
        soxr = handle
        self.inputRate = inputRate
        self.outputRate = outputRate
        self.channels = channels
    }

    deinit { soxr_delete(soxr) }

    /// Resamples `frames` interleaved frames and hands the frames ready so far to `body` (possibly none:
    /// the filter holds back its delay until ``finish(_:)``).
    public func process(
        _ samples: UnsafeBufferPointer<Float>, frames: Int,
        _ body: (UnsafeBufferPointer<Float>, Int) throws -> Void
    ) throws {
        var consumed = 0
        repeat {
            let capacity = reserve(frames - consumed)
            var used = 0
            var made = 0
            let error = output.withUnsafeMutableBufferPointer { out in
                soxr_process(
                    soxr, samples.baseAddress.map { $0 + consumed * channels }, frames - consumed, &used,
                    out.baseAddress, capacity, &made)
            }
            if let error { throw ResampleError(message: "libsoxr failed while resampling (\(Self.text(error)))") }
            consumed += used
            if made > 0 { try hand(made, body) }
            if used == 0 && made == 0 { break }
        } while consumed < frames
    }

    /// Flushes the filter: the last frames of the stream.
    public func finish(_ body: (UnsafeBufferPointer<Float>, Int) throws -> Void) throws {
        while true {
            let capacity = reserve(4096)
            var made = 0
            let error = output.withUnsafeMutableBufferPointer { out in
                soxr_process(soxr, nil, 0, nil, out.baseAddress, capacity, &made)
            }
            if let error { throw ResampleError(message: "libsoxr failed while flushing (\(Self.text(error)))") }
            if made == 0 { break }
            try hand(made, body)
        }
    }

    /// Output room for `inputFrames` input frames (plus the filter's delay), in frames.
    private func reserve(_ inputFrames: Int) -> Int {
        let frames = inputFrames * outputRate / inputRate + 64
        if output.count < frames * channels { output = [Float](repeating: 0, count: frames * channels) }
        return output.count / channels
    }

    private func hand(_ frames: Int, _ body: (UnsafeBufferPointer<Float>, Int) throws -> Void) throws {
        try output.withUnsafeBufferPointer {
            try body(UnsafeBufferPointer(rebasing: $0[0..<frames * channels]), frames)
        }
    }

    private static func text(_ error: soxr_error_t?) -> String { error.map { String(cString: $0) } ?? "unknown error" }
}
