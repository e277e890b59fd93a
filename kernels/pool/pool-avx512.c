/*
 * pool-avx512.c - one NHWC output pixel of max / average pooling (contract:
 * core/layers.h), 16 channels a zmm: per window element one load and one
 * max (or add) a vector; the last partial vector masked, so it reads and
 * writes no float past C. Register plan: one accumulator a vector of
 * channels, four vectors (64 channels) at a time to hide the latency of
 * the dependent max / add chain.
 */
#include "../../core/layers.h"

#include <immintrin.h>

#define V 16

static void max_avx512(const float *src, ptrdiff_t row, int ny, int nx,
                       int C, float div, float *dst)
{
    (void)div;
    int c = 0;
    for (; c + 4 * V <= C; c += 4 * V) {
        const float *s = src + c;
        __m512 m0 = _mm512_loadu_ps(s), m1 = _mm512_loadu_ps(s + V),
               m2 = _mm512_loadu_ps(s + 2 * V), m3 = _mm512_loadu_ps(s + 3 * V);
        for (int y = 0; y < ny; y++)
            for (int x = 0; x < nx; x++) {
                const float *q = s + y * row + (ptrdiff_t)x * C;
                m0 = _mm512_max_ps(m0, _mm512_loadu_ps(q));
                m1 = _mm512_max_ps(m1, _mm512_loadu_ps(q + V));
                m2 = _mm512_max_ps(m2, _mm512_loadu_ps(q + 2 * V));
                m3 = _mm512_max_ps(m3, _mm512_loadu_ps(q + 3 * V));
            }
        _mm512_storeu_ps(dst + c, m0);
        _mm512_storeu_ps(dst + c + V, m1);
        _mm512_storeu_ps(dst + c + 2 * V, m2);
        _mm512_storeu_ps(dst + c + 3 * V, m3);
    }
    for (; c < C; c += V) {
        const __mmask16 k = C - c >= V ? (__mmask16)0xffff
                                       : (__mmask16)((1u << (C - c)) - 1);
        const float *s = src + c;
        __m512 m = _mm512_maskz_loadu_ps(k, s);
        for (int y = 0; y < ny; y++)
            for (int x = 0; x < nx; x++)
                m = _mm512_max_ps(
                    m, _mm512_maskz_loadu_ps(k, s + y * row + (ptrdiff_t)x * C));
        _mm512_mask_storeu_ps(dst + c, k, m);
    }
}

static void avg_avx512(const float *src, ptrdiff_t row, int ny, int nx,
                       int C, float div, float *dst)
{
    const __m512 d = _mm512_set1_ps(div);
    int c = 0;
    for (; c + 4 * V <= C; c += 4 * V) {
        const float *s = src + c;
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (int y = 0; y < ny; y++)
            for (int x = 0; x < nx; x++) {
                const float *q = s + y * row + (ptrdiff_t)x * C;
                a0 = _mm512_add_ps(a0, _mm512_loadu_ps(q));
                a1 = _mm512_add_ps(a1, _mm512_loadu_ps(q + V));
                a2 = _mm512_add_ps(a2, _mm512_loadu_ps(q + 2 * V));
                a3 = _mm512_add_ps(a3, _mm512_loadu_ps(q + 3 * V));
            }
        _mm512_storeu_ps(dst + c, _mm512_div_ps(a0, d));
        _mm512_storeu_ps(dst + c + V, _mm512_div_ps(a1, d));
        _mm512_storeu_ps(dst + c + 2 * V, _mm512_div_ps(a2, d));
        _mm512_storeu_ps(dst + c + 3 * V, _mm512_div_ps(a3, d));
    }
    for (; c < C; c += V) {
        const __mmask16 k = C - c >= V ? (__mmask16)0xffff
                                       : (__mmask16)((1u << (C - c)) - 1);
        const float *s = src + c;
        __m512 a = _mm512_setzero_ps();
        for (int y = 0; y < ny; y++)
            for (int x = 0; x < nx; x++)
                a = _mm512_add_ps(
                    a, _mm512_maskz_loadu_ps(k, s + y * row + (ptrdiff_t)x * C));
        _mm512_mask_storeu_ps(dst + c, k, _mm512_div_ps(a, d));
    }
}

const vconv_pool_kernel vconv_pool_kernel_avx512 = {"pool.avx512",
                                                    VCONV_ISA_AVX512,
                                                    max_avx512, avg_avx512};
