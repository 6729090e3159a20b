// voxgate's DSP kernels at AVX2 width (8 floats per register), for VoxgateDSP only.
//
// Each kernel does exactly the arithmetic of the portable Swift kernel it stands in for (SIMD8<Float>, which
// baseline x86-64 runs as two SSE halves): the same lanes, the same order of every addition and
// multiplication, no fused multiply-add, so the results are bit-identical and a clip's fingerprint does not
// depend on the node that measured it. Chosen at run time (vg_avx2_kernels_usable); nothing here is compiled
// for a CPU the binary may not run on (the functions carry __attribute__((target("avx2"))), the rest of the
// binary stays baseline x86-64).
#ifndef VOXGATE_KERNELS_H
#define VOXGATE_KERNELS_H

/// 1 when this CPU has AVX2 and VOXGATE_PORTABLE_KERNELS is unset, empty or "0"; else 0 (always 0 off x86-64).
int vg_avx2_kernels_usable(void);

/// 1 when this CPU has AVX2 (the environment aside); always 0 off x86-64.
int vg_cpu_has_avx2(void);

#if defined(__x86_64__)
/// `count` outputs of a single-phase resampler: out[j] = Σ_k x[j·step + k]·h[k], k < taps (a multiple of 8),
/// each summed in one 8-lane accumulator over k and then halved twice (StreamingResampler.horizontalSum).
void vg_resample_single_phase_avx2(
    const float *x, long step, const float *h, long taps, float *out, long count);

/// The passes h = 8 … m/2 of an m-point radix-2 complex FFT in place (RealFFT.laterPasses after its h = 4
/// pass): twiddles of the pass with half-length h at cosines[h + j], sines[h + j].
void vg_fft_passes_from8_avx2(float *re, float *im, const float *cosines, const float *sines, long m);

/// 8·`groups` outputs of the 23-tap half-band decimator (HalfBandDecimator.filter): output j centred on x0[2j],
/// s = c·x[0], then s += h_m·(x[−(2m+1)] + x[2m+1]) for m = 0…5, with taps = {c, h_0, …, h_5}. Reads
/// x0[−11] … x0[16·groups + 10].
void vg_half_band_avx2(const float *x0, long groups, const float *taps, float *o);
#endif

#endif
