/*
 * lrn-avx512.c - one NHWC pixel of LRN across channels, beta 0.75
 * (contract: core/layers.h): squares into sq, then per 16 channels the
 * window sum as `size` unaligned loads of sq (j ascending), d = k +
 * alpha_n * sum, x / (sqrt(d) * sqrt(sqrt(d))). The tail masked.
 */
#include "../../core/layers.h"

#include <immintrin.h>

static void pixel075_avx512(const float *src, float *dst, int C, int size,
                            float alpha_n, float k, float *sq)
{
    const int half = (size - 1) / 2;
    for (int c = 0; c < C; c += 16) {
        const __mmask16 m = C - c >= 16 ? (__mmask16)0xffff
                                        : (__mmask16)((1u << (C - c)) - 1);
        const __m512 x = _mm512_maskz_loadu_ps(m, src + c);
        _mm512_mask_storeu_ps(sq + half + c, m, _mm512_mul_ps(x, x));
    }
    const __m512 an = _mm512_set1_ps(alpha_n), kk = _mm512_set1_ps(k);
    for (int c = 0; c < C; c += 16) {
        const __mmask16 m = C - c >= 16 ? (__mmask16)0xffff
                                        : (__mmask16)((1u << (C - c)) - 1);
        __m512 s = _mm512_setzero_ps();
        for (int j = 0; j < size; j++)
            s = _mm512_add_ps(s, _mm512_maskz_loadu_ps(m, sq + c + j));
        const __m512 d = _mm512_add_ps(kk, _mm512_mul_ps(an, s));
        const __m512 r = _mm512_sqrt_ps(d);
        const __m512 x = _mm512_maskz_loadu_ps(m, src + c);
        _mm512_mask_storeu_ps(
            dst + c, m, _mm512_div_ps(x, _mm512_mul_ps(r, _mm512_sqrt_ps(r))));
    }
}

const vconv_lrn_kernel vconv_lrn_kernel_avx512 = {"lrn.avx512",
                                                  VCONV_ISA_AVX512,
                                                  pixel075_avx512};
