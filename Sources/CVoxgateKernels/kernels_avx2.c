// AVX2 kernels of VoxgateDSP (see include/VoxgateKernels.h): the same operations as the portable Swift code,
// lane for lane, in one 256-bit register instead of two 128-bit ones.
#include "VoxgateKernels.h"

#include <stdlib.h>

// Never fuse a·b + c (with "fma" not among the target features it cannot happen anyway; this keeps it so if a
// build adds -ffp-contract=fast): the portable path rounds the product, then the sum.
#pragma clang fp contract(off)

int vg_cpu_has_avx2(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") ? 1 : 0;
#else
    return 0;
#endif
}

int vg_avx2_kernels_usable(void) {
    const char *forced = getenv("VOXGATE_PORTABLE_KERNELS");
    if (forced != NULL && forced[0] != '\0' && !(forced[0] == '0' && forced[1] == '\0')) return 0;
    return vg_cpu_has_avx2();
}

#if defined(__x86_64__)
#include <immintrin.h>

#define VG_AVX2 __attribute__((target("avx2")))

/// (a[0]+a[4] + a[2]+a[6]) + (a[1]+a[5] + a[3]+a[7]), grouped as StreamingResampler.horizontalSum: the low and
/// high halves added, then the two halves of that, then its two lanes.
VG_AVX2 static inline float horizontal_sum(__m256 a) {
    __m128 a4 = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    __m128 a2 = _mm_add_ps(a4, _mm_movehl_ps(a4, a4));
    return _mm_cvtss_f32(a2) + _mm_cvtss_f32(_mm_shuffle_ps(a2, a2, 1));
}

VG_AVX2 void vg_resample_single_phase_avx2(
    const float *x, long step, const float *h, long taps, float *out, long count) {
    long j = 0;
    // Four outputs share each load of the taps; each still has its own accumulator, summed over k in order.
    for (; j + 4 <= count; j += 4) {
        const float *x0 = x + j * step, *x1 = x0 + step, *x2 = x1 + step, *x3 = x2 + step;
        __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(),
               s3 = _mm256_setzero_ps();
        for (long k = 0; k < taps; k += 8) {
            __m256 hv = _mm256_loadu_ps(h + k);
            s0 = _mm256_add_ps(s0, _mm256_mul_ps(_mm256_loadu_ps(x0 + k), hv));
            s1 = _mm256_add_ps(s1, _mm256_mul_ps(_mm256_loadu_ps(x1 + k), hv));
            s2 = _mm256_add_ps(s2, _mm256_mul_ps(_mm256_loadu_ps(x2 + k), hv));
            s3 = _mm256_add_ps(s3, _mm256_mul_ps(_mm256_loadu_ps(x3 + k), hv));
        }
        out[j] = horizontal_sum(s0);
        out[j + 1] = horizontal_sum(s1);
        out[j + 2] = horizontal_sum(s2);
        out[j + 3] = horizontal_sum(s3);
    }
    for (; j < count; j++) {
        const float *x0 = x + j * step;
        __m256 s0 = _mm256_setzero_ps();
        for (long k = 0; k < taps; k += 8) s0 = _mm256_add_ps(s0, _mm256_mul_ps(_mm256_loadu_ps(x0 + k), _mm256_loadu_ps(h + k)));
        out[j] = horizontal_sum(s0);
    }
}

VG_AVX2 void vg_fft_passes_from8_avx2(float *re, float *im, const float *cosines, const float *sines, long m) {
    for (long h = 8; h < m; h <<= 1) {
        for (long start = 0; start < m; start += 2 * h) {
            for (long j = 0; j < h; j += 8) {
                long p = start + j, q = p + h, t = h + j;
                __m256 wr = _mm256_loadu_ps(cosines + t), wi = _mm256_loadu_ps(sines + t);
                __m256 ar = _mm256_loadu_ps(re + p), ai = _mm256_loadu_ps(im + p);
                __m256 br = _mm256_loadu_ps(re + q), bi = _mm256_loadu_ps(im + q);
                // t = b·w: tr = br·wr − bi·wi, ti = br·wi + bi·wr, each product rounded before the sum.
                __m256 tr = _mm256_sub_ps(_mm256_mul_ps(br, wr), _mm256_mul_ps(bi, wi));
                __m256 ti = _mm256_add_ps(_mm256_mul_ps(br, wi), _mm256_mul_ps(bi, wr));
                _mm256_storeu_ps(re + p, _mm256_add_ps(ar, tr));
                _mm256_storeu_ps(im + p, _mm256_add_ps(ai, ti));
                _mm256_storeu_ps(re + q, _mm256_sub_ps(ar, tr));
                _mm256_storeu_ps(im + q, _mm256_sub_ps(ai, ti));
            }
        }
    }
}
#endif

#if defined(__x86_64__)
/// The even lanes of the 16 floats at p, in order.
VG_AVX2 static inline __m256 even_of_16(const float *p) {
    __m256 a = _mm256_loadu_ps(p), b = _mm256_loadu_ps(p + 8);
    __m256 t = _mm256_shuffle_ps(a, b, 0x88);  // a0 a2 b0 b2 | a4 a6 b4 b6
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(t), 0xD8));      // a0 a2 a4 a6 b0 b2 b4 b6
}

VG_AVX2 void vg_half_band_avx2(const float *x0, long groups, const float *taps, float *o) {
    // The inputs split once into odd and even samples (in chunks on the stack), so that each of the
    // 13 input vectors of a group of 8 outputs is one contiguous load instead of two loads and two shuffles. Chunks
    // of 256 outputs: the split is stored well before it is read back (loads that straddle two stores still in
    // flight stall; with chunks of 32 the kernel gained only 13% over the portable one).
    enum { chunk = 256, reach = 11 };
    float odd[chunk + 11], even[chunk];
    const __m256 c = _mm256_set1_ps(taps[0]);
    const __m256 h0 = _mm256_set1_ps(taps[1]), h1 = _mm256_set1_ps(taps[2]), h2 = _mm256_set1_ps(taps[3]),
                 h3 = _mm256_set1_ps(taps[4]), h4 = _mm256_set1_ps(taps[5]), h5 = _mm256_set1_ps(taps[6]);
    for (long g0 = 0; g0 < groups; g0 += chunk / 8) {
        long gn = groups - g0 < chunk / 8 ? groups - g0 : chunk / 8;
        const float *x = x0 + 16 * g0;  // output 8·g0 is centred on x[0]
        // odd[i] = x[2i − reach] (i.e. x[2(i − 6) + 1]), i ≤ 8·gn + 10: the odd inputs of the 8·gn outputs and
        // their reach on both sides; the last three one by one, so nothing past x[16·gn + 10] is read (the
        // portable kernel's 16-lane load at distance 11 reads that far, its caller guarantees no further).
        for (long i = 0; i < 8 * gn + 8; i += 8) _mm256_storeu_ps(odd + i, even_of_16(x - reach + 2 * i));
        for (long i = 8 * gn + 8; i <= 8 * gn + 10; i++) odd[i] = x[2 * i - reach];
        for (long i = 0; i < 8 * gn; i += 8) _mm256_storeu_ps(even + i, even_of_16(x + 2 * i));
        for (long g = 0; g < gn; g++) {
            const float *q = odd + 8 * g;  // q[k] = x[2(8g + k) − 11], so distance d = 2m + 1 is q[k + 6 + m]
            __m256 s = _mm256_mul_ps(c, _mm256_loadu_ps(even + 8 * g));
            s = _mm256_add_ps(s, _mm256_mul_ps(h0, _mm256_add_ps(_mm256_loadu_ps(q + 5), _mm256_loadu_ps(q + 6))));
            s = _mm256_add_ps(s, _mm256_mul_ps(h1, _mm256_add_ps(_mm256_loadu_ps(q + 4), _mm256_loadu_ps(q + 7))));
            s = _mm256_add_ps(s, _mm256_mul_ps(h2, _mm256_add_ps(_mm256_loadu_ps(q + 3), _mm256_loadu_ps(q + 8))));
            s = _mm256_add_ps(s, _mm256_mul_ps(h3, _mm256_add_ps(_mm256_loadu_ps(q + 2), _mm256_loadu_ps(q + 9))));
            s = _mm256_add_ps(s, _mm256_mul_ps(h4, _mm256_add_ps(_mm256_loadu_ps(q + 1), _mm256_loadu_ps(q + 10))));
            s = _mm256_add_ps(s, _mm256_mul_ps(h5, _mm256_add_ps(_mm256_loadu_ps(q), _mm256_loadu_ps(q + 11))));
            _mm256_storeu_ps(o + 8 * (g0 + g), s);
        }
    }
}
#endif
