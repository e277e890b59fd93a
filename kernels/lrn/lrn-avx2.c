/*
 * lrn-avx2.c - one NHWC pixel of LRN across channels, beta 0.75
 * (contract: core/layers.h), 8 channels a ymm, the tail by maskload /
 * maskstore.
 */
#include "../../core/layers.h"

#include <immintrin.h>

static __m256i tail_mask(int n)
{
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), idx);
}

static void pixel075_avx2(const float *src, float *dst, int C, int size,
                          float alpha_n, float k, float *sq)
{
    const int half = (size - 1) / 2;
    for (int c = 0; c < C; c += 8) {
        const __m256i m = tail_mask(C - c);
        const __m256 x = _mm256_maskload_ps(src + c, m);
        _mm256_maskstore_ps(sq + half + c, m, _mm256_mul_ps(x, x));
    }
    const __m256 an = _mm256_set1_ps(alpha_n), kk = _mm256_set1_ps(k);
    for (int c = 0; c < C; c += 8) {
        const __m256i m = tail_mask(C - c);
        __m256 s = _mm256_setzero_ps();
        for (int j = 0; j < size; j++)
            s = _mm256_add_ps(s, _mm256_maskload_ps(sq + c + j, m));
        const __m256 d = _mm256_add_ps(kk, _mm256_mul_ps(an, s));
        const __m256 r = _mm256_sqrt_ps(d);
        const __m256 x = _mm256_maskload_ps(src + c, m);
        _mm256_maskstore_ps(
            dst + c, m, _mm256_div_ps(x, _mm256_mul_ps(r, _mm256_sqrt_ps(r))));
    }
}

const vconv_lrn_kernel vconv_lrn_kernel_avx2 = {"lrn.avx2", VCONV_ISA_AVX2,
                                                pixel075_avx2};
