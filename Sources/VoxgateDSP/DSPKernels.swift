import CVoxgateKernels

/// Which implementation of the widest DSP kernels runs: the portable Swift code (`SIMD8<Float>`, two SSE halves on
/// baseline x86-64, NEON on arm64) or the same arithmetic in AVX2 registers (CVoxgateKernels).
///
/// Why a run-time choice: the binary is built for baseline x86-64 so that it runs on every node of a cluster, and
/// Swift has no per-function target attributes; the C module compiles its kernels with
/// `__attribute__((target("avx2")))` and the choice is made once per process from `cpuid`. Both paths give the
/// same bits (same lanes, same order of operations, no fused multiply-add): partitions measured on different
/// nodes merge into what one run would have stored (DSPKernelsTests compares them on real audio).
///
/// Used where AVX2 measurably pays (issue 18: the 4-output single-phase resampler and the FFT's 8-lane passes);
/// the other kernels gained nothing or little at AVX2 width and have one path.
public enum DSPKernels: Sendable, Hashable {
    case portable
    case avx2

    /// AVX2 when this CPU has it, unless the environment variable `VOXGATE_PORTABLE_KERNELS` is set to anything
    /// but "" or "0" (to compare the two paths on one machine). Decided once per process.
    public static let detected: DSPKernels = vg_avx2_kernels_usable() != 0 ? .avx2 : .portable

    /// The paths this CPU can run: `.portable` always, `.avx2` when the CPU has it (whatever the environment says).
    public static var available: [DSPKernels] {
        #if arch(x86_64)
            return cpuHasAVX2 ? [.portable, .avx2] : [.portable]
        #else
            return [.portable]
        #endif
    }

    #if arch(x86_64)
        static let cpuHasAVX2 = vg_cpu_has_avx2() != 0
    #endif
}

extension DSPKernels {
    /// `outputs` results of a single-phase resampler into `out`: output j is the dot product of the `count` taps
    /// with the input from `x` + j·`step` floats (``StreamingResampler``'s 8-lane sums, in AVX2). Only called
    /// with `.avx2` chosen, i.e. on an x86-64 CPU that has it.
    @usableFromInline
    static func resampleSinglePhaseAVX2(
        _ x: UnsafeRawPointer, step: Int, taps h: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>,
        outputs: Int
    ) {
        #if arch(x86_64)
            vg_resample_single_phase_avx2(
                x.assumingMemoryBound(to: Float.self), step, h.assumingMemoryBound(to: Float.self), count, out, outputs)
        #else
            preconditionFailure("the AVX2 kernels exist on x86-64 only (DSPKernels.detected never chooses them here)")
        #endif
    }
}
